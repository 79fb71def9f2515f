// Differential check of themisd's GraphQL validator against graphql-js 16:
// `node graphql_validate_diff.js <path to graphql_validate_cli>` starts the
// C++ core over the spec example schema, builds graphql-js's schema from our
// own introspection answer, then validates every document of
// graphql_validate_corpus.js with both (graphql-js: parse + validate with
// specifiedRules) and compares the errors (message and locations, as sets:
// rule order differs). Prints each mismatch and exits 1 if there is any;
// "ok validate-diff N documents" otherwise. Syntax errors only need to be
// syntax errors on both sides (messages differ in detail).
'use strict';

const { spawn } = require('child_process');
const readline = require('readline');
const g = require('graphql');
const corpus = require('./graphql_validate_corpus.js');

function startCli(path) {
  const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = readline.createInterface({ input: child.stdout });
  const waiting = [];
  rl.on('line', (line) => waiting.shift()(JSON.parse(line)));
  child.on('exit', (code) => {
    while (waiting.length) waiting.shift()({ fatal: 'cli exited ' + code });
  });
  return {
    ask(req) {
      return new Promise((resolve) => {
        waiting.push(resolve);
        child.stdin.write(JSON.stringify(req) + '\n');
      });
    },
    close() { child.stdin.end(); },
  };
}

function key(e) {
  const locs = (e.locations || []).map((l) => l.line + ':' + l.column).join(',');
  return e.message + ' @' + locs;
}

async function main() {
  const cli = startCli(process.argv[2]);
  const intro = await cli.ask({
    op: 'execute',
    query: g.getIntrospectionQuery({ specifiedByUrl: true, directiveIsRepeatable: true }),
  });
  if (!intro.data) throw new Error('introspection failed: ' + JSON.stringify(intro));
  const schema = g.buildClientSchema(intro.data);
  const schemaErrors = g.validateSchema(schema);
  if (schemaErrors.length) throw new Error('schema: ' + schemaErrors.join('; '));

  let mismatches = 0;
  let invalid = 0;
  for (const q of corpus) {
    let want;
    let syntax = false;
    try {
      want = g.validate(schema, g.parse(q)).map((e) => e.toJSON());
    } catch (e) {
      syntax = true;
      want = [e.toJSON ? e.toJSON() : { message: String(e) }];
    }
    const got = (await cli.ask({ op: 'validate', query: q })).errors || [];
    if (want.length) invalid++;
    if (syntax) {
      const ok = got.length === 1 && got[0].message.startsWith('Syntax Error');
      if (!ok) {
        mismatches++;
        console.log('MISMATCH (syntax) ' + q + '\n  graphql-js: ' +
          want[0].message + '\n  ours:       ' + JSON.stringify(got));
      }
      continue;
    }
    const a = want.map(key).sort();
    const b = got.map(key).sort();
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      mismatches++;
      console.log('MISMATCH ' + q);
      for (const x of a) if (!b.includes(x)) console.log('  only graphql-js: ' + x);
      for (const x of b) if (!a.includes(x)) console.log('  only ours:       ' + x);
    }
  }
  cli.close();
  if (mismatches) {
    console.log(mismatches + ' of ' + corpus.length + ' documents differ');
    process.exit(1);
  }
  console.log('ok validate-diff ' + corpus.length + ' documents (' + invalid +
    ' invalid)');
}

main().catch((e) => { console.error(e); process.exit(2); });
