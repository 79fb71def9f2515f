#pragma once
/// The parsed and resolved AQL query. Variables are resolved to slots at
/// parse time (one slot per declaration across the whole query, subqueries
/// included), so evaluation indexes a vector instead of looking names up.

#include <memory>
#include <string>
#include <vector>

#include "engine/aql/value.hpp"

namespace themis::aql {

struct query;
struct expr;
using expr_ptr = std::unique_ptr<expr>;

enum class expr_kind {
  literal,    ///< value
  bind,       ///< @name: name (resolved to a literal before running)
  variable,   ///< slot, name
  collection, ///< name: all documents of a collection as an array
  attribute,  ///< args[0].name
  index,      ///< args[0][args[1]]
  expand,     ///< args[0][*] then args[1] (may be null) over CURRENT (slot)
  array,      ///< args
  object,     ///< members
  unary,      ///< op args[0]
  binary,     ///< args[0] op args[1]
  ternary,    ///< args[0] ? args[1] : args[2] (args[1] null: `a ?: b`)
  call,       ///< name(args)
  subquery,   ///< sub
};

enum class op_code {
  neg,
  plus,
  not_,
  add,
  sub,
  mul,
  div,
  mod,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  in,
  not_in,
  like,
  not_like,
  regex,
  not_regex,
  and_,
  or_,
  range,
};

struct object_member {
  std::string key;
  expr_ptr key_expr; ///< computed key `[expr]: v`, else null
  expr_ptr value;
};

struct expr {
  expr_kind kind = expr_kind::literal;
  int line = 0;
  int column = 0;
  json value;
  std::string name;
  int slot = -1;
  op_code op = op_code::add;
  std::vector<expr_ptr> args;
  std::vector<object_member> members;
  std::shared_ptr<query> sub;
  int height = 1; ///< of this subtree: the parser bounds it (stack depth)
};

enum class clause_kind {
  for_,
  filter,
  let,
  sort,
  limit,
  collect,
  return_,
  insert,
  update,
  replace,
  remove,
};

struct sort_key {
  expr_ptr e;
  bool ascending = true;
};

struct collect_var {
  std::string name;
  int slot = -1;
  expr_ptr e;           ///< group expression, or the aggregate's argument
  std::string function; ///< AGGREGATE: MIN, MAX, SUM, AVG, COUNT, LENGTH …
};

/// A variable visible at a COLLECT … INTO without projection: INTO gets an
/// object of them per grouped row.
struct visible_var {
  std::string name;
  int slot = -1;
};

/// Graph traversals (docs/graph.md): `FOR v[, e[, p]] IN [min[..max]]
/// OUTBOUND|INBOUND|ANY start edges…` and the path searches
/// `FOR v[, e] IN dir SHORTEST_PATH a TO b edges…`, K_SHORTEST_PATHS,
/// ALL_SHORTEST_PATHS. Hangs off a FOR clause (`clause::graph`).
enum class graph_kind {
  traversal,
  shortest_path,
  k_shortest_paths,
  all_shortest_paths
};
enum class edge_direction { outbound, inbound, any };

struct edge_collection_ref {
  std::string name; ///< collection name, or the @@bind's name
  bool bind = false;
};

struct graph_spec {
  graph_kind kind = graph_kind::traversal;
  edge_direction direction = edge_direction::outbound;
  expr_ptr min_depth; ///< null: 1
  expr_ptr max_depth; ///< null: min_depth
  expr_ptr start;
  expr_ptr target; ///< path searches only
  std::vector<edge_collection_ref> edges;
  /// `GRAPH 'name'` (a string or bind parameter): the edge collections of
  /// that named graph (engine/aql/named_graph.hpp) instead of `edges`.
  expr_ptr graph_name;
  expr_ptr prune; ///< PRUNE condition (sees v, e, p), or null
  int edge_slot = -1;
  int path_slot = -1;
  std::string edge_var, path_var;
};

struct clause {
  clause_kind kind = clause_kind::filter;
  int line = 0;
  int column = 0;

  // FOR var IN source / LET var = e
  std::string var;
  int slot = -1;
  expr_ptr source;

  // FILTER e, LET, RETURN [DISTINCT] e, modifications: e (key/document)
  expr_ptr e;
  expr_ptr with;                     ///< UPDATE/REPLACE … WITH doc
  expr_ptr options;                  ///< OPTIONS {…}
  std::shared_ptr<graph_spec> graph; ///< FOR over a graph, else null
  bool distinct = false;

  std::vector<sort_key> sort;

  expr_ptr offset; ///< LIMIT [offset,] count
  expr_ptr count;

  std::vector<collect_var> groups;
  std::vector<collect_var> aggregates;
  std::string into_var;
  int into_slot = -1;
  expr_ptr into_expr;
  std::vector<visible_var> into_visible;
  std::string count_var;
  int count_slot = -1;

  // modification target: collection name, or @@bind (resolved before run)
  std::string collection;
  std::string collection_bind;
  int new_slot = -1;
  int old_slot = -1;
};

struct query {
  std::vector<clause> clauses;
};

/// A whole parsed query: the top level and its size in slots.
struct parsed_query {
  std::shared_ptr<query> root;
  int slots = 0;
  std::vector<std::string> bind_names;       ///< @x used by the query
  std::vector<std::string> collection_binds; ///< @@x used by the query
  bool modifies = false;
};

} // namespace themis::aql
