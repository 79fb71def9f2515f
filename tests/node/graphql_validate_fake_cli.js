#!/usr/bin/env node
// A stand-in for graphql_validate_cli that answers introspection from
// graphql-js's own copy of the spec schema and finds every document valid:
// test_graphql_validate_diff.py checks that the diff notices.
'use strict';

const readline = require('readline');
const g = require('graphql');

const schema = g.buildSchema(`
  enum DogCommand { SIT DOWN HEEL }
  type Dog { name: String! barkVolume: Int doesKnowCommand(dogCommand: DogCommand!): Boolean! }
  type Query { dog: Dog }
`);
const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const req = JSON.parse(line);
  if (req.op === 'execute') {
    const r = g.graphqlSync({ schema, source: req.query });
    process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    process.stdout.write(JSON.stringify({ errors: [] }) + '\n');
  }
});
