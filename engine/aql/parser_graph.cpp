#include "engine/aql/parser_impl.hpp"
#include "engine/aql/traversal.hpp"

// Graph traversals and path searches after `FOR v[, e[, p]] IN`
// (docs/graph.md): the rest of the FOR clause is parsed here.

namespace themis::aql::detail {

namespace {

bool is_direction(const std::string& upper_text) {
  return upper_text == "OUTBOUND" || upper_text == "INBOUND" ||
         upper_text == "ANY";
}

edge_direction direction_of(const std::string& upper_text) {
  return upper_text == "OUTBOUND"  ? edge_direction::outbound
         : upper_text == "INBOUND" ? edge_direction::inbound
                                   : edge_direction::any;
}

} // namespace

bool parser::starts_graph() const {
  auto& t = peek();
  auto& n = peek(1);
  auto direction_kw = [&](const token& x) {
    return x.kind == token_kind::ident && !x.quoted &&
           is_direction(upper(x.text));
  };
  if (direction_kw(t)) {
    // `FOR x IN any RETURN x`: a collection called "any"
    if (n.kind == token_kind::end)
      return false;
    if (n.kind == token_kind::ident && !n.quoted &&
        (starts_query(n) || is_kw(n, "OPTIONS")))
      return false;
    if (n.kind == token_kind::op)
      return n.text == "(" || n.text == "{" || n.text == "[";
    return true;
  }
  // `1..3 OUTBOUND`, `@d OUTBOUND`; a plain `1..3` is a range to loop over
  auto depth = [](const token& x) {
    return x.kind == token_kind::integer || x.kind == token_kind::bind;
  };
  if (depth(t))
    return direction_kw(n) ||
           (is_op(n, "..") && depth(peek(2)) && direction_kw(peek(3)));
  return false;
}

expr_ptr parser::graph_depth() {
  auto& t = peek();
  if (t.kind != token_kind::integer && t.kind != token_kind::bind)
    fail(t, "traversal depth must be an integer or a bind parameter, found " +
              describe(t));
  auto e = parse_primary();
  if (e->kind == expr_kind::literal &&
      e->value.get<double>() > static_cast<double>(max_traversal_depth))
    fail(t,
         "traversal depth " + t.text + " exceeds the limit of " +
           std::to_string(max_traversal_depth),
         error_kind::semantic);
  return e;
}

void parser::parse_graph_for(clause& c, const token& vt,
                             const std::vector<const token*>& more) {
  auto g = std::make_shared<graph_spec>();
  if (!is_kw(peek(), "OUTBOUND") && !is_kw(peek(), "INBOUND") &&
      !is_kw(peek(), "ANY")) {
    g->min_depth = graph_depth();
    if (accept_op(".."))
      g->max_depth = graph_depth();
  }
  auto& dt = peek();
  if (!is_kw(dt, "OUTBOUND") && !is_kw(dt, "INBOUND") && !is_kw(dt, "ANY"))
    fail(dt, "expected OUTBOUND, INBOUND or ANY but found " + describe(dt));
  g->direction = direction_of(upper(next().text));

  size_t max_vars = 3;
  if (accept_kw("SHORTEST_PATH")) {
    g->kind = graph_kind::shortest_path;
    max_vars = 2;
  } else if (accept_kw("K_SHORTEST_PATHS")) {
    g->kind = graph_kind::k_shortest_paths;
    max_vars = 1;
  } else if (accept_kw("ALL_SHORTEST_PATHS")) {
    g->kind = graph_kind::all_shortest_paths;
    max_vars = 1;
  }
  if (g->kind != graph_kind::traversal && g->min_depth)
    fail(dt, "a path search takes no depth range");
  if (more.size() + 1 > max_vars)
    fail(*more[max_vars - 1],
         g->kind == graph_kind::traversal
           ? "a traversal declares at most three variables (vertex, edge, "
             "path)"
         : g->kind == graph_kind::shortest_path
           ? "SHORTEST_PATH declares at most two variables (vertex, edge)"
           : "K_SHORTEST_PATHS and ALL_SHORTEST_PATHS declare one variable "
             "(the path)");

  g->start = parse_expr();
  if (g->kind != graph_kind::traversal) {
    expect_kw("TO");
    g->target = parse_expr();
  }
  if (accept_kw("GRAPH")) {
    // resolved when the clause runs (graph_stage.cpp)
    auto& gt = peek();
    if (gt.kind != token_kind::string && gt.kind != token_kind::bind)
      fail(gt, "GRAPH expects the graph's name as a string or bind "
               "parameter but found " +
                 describe(gt));
    g->graph_name = parse_primary();
  } else
    do {
      auto& et = peek();
      if (et.kind == token_kind::ident && !et.quoted &&
          is_direction(upper(et.text)) && peek(1).kind == token_kind::ident)
        fail(et, "a direction per edge collection is not supported",
             error_kind::semantic);
      if (et.kind == token_kind::bind_coll) {
        g->edges.push_back({next().text, true});
        note_collection_bind(g->edges.back().name);
      } else if (et.kind == token_kind::ident &&
                 !(is_keyword(upper(et.text)) && !et.quoted) &&
                 !is_kw(et, "PRUNE")) {
        g->edges.push_back({next().text, false});
      } else {
        fail(et, "edge collection name expected but found " + describe(et));
      }
    } while (accept_op(","));

  // the variables are visible in PRUNE and OPTIONS, not in the start
  c.slot = declare(vt, c.var);
  if (more.size() > 0) {
    g->edge_var = more[0]->text;
    g->edge_slot = declare(*more[0], g->edge_var);
  }
  if (more.size() > 1) {
    g->path_var = more[1]->text;
    g->path_slot = declare(*more[1], g->path_var);
  }
  if (accept_kw("PRUNE")) {
    if (g->kind != graph_kind::traversal)
      fail(peek(), "PRUNE applies to traversals only");
    g->prune = parse_expr();
  }
  if (accept_kw("OPTIONS"))
    c.options = parse_expr();
  c.graph = std::move(g);
}

} // namespace themis::aql::detail
