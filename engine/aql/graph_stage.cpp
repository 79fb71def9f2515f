/// FOR over a graph: traversals and path searches in the pipeline
/// (docs/graph.md). Each input row runs one traversal; its paths become
/// rows with the vertex, edge and path variables bound, streamed, so a
/// LIMIT further down stops the traversal early.

#include "engine/aql/aql_error.hpp"
#include "engine/aql/graph_source_sql.hpp"
#include "engine/aql/named_graph.hpp"
#include "engine/aql/pipeline.hpp"
#include "engine/aql/query_run.hpp"
#include "engine/aql/shortest_path.hpp"
#include "engine/aql/traversal.hpp"
#include "engine/names.hpp"

namespace themis::aql {

namespace {

/// A start or target vertex: a handle "collection/key" or a document with
/// _id.
std::string vertex_handle(const expr& at, const json& v, const char* what) {
  const json* h = &v;
  if (v.is_object()) {
    auto it = v.find("_id");
    if (it == v.end())
      runtime_error_at(at, std::string(what) +
                             " is a document without _id: pass a handle "
                             "\"collection/key\"");
    h = &*it;
  }
  std::string c, k;
  if (!h->is_string() || !split_handle(h->get_ref<const std::string&>(), c, k))
    runtime_error_at(at, std::string(what) +
                           " must be a document handle \"collection/key\"");
  return h->get<std::string>();
}

/// The edge collections of the named graph `name` (its definition read
/// from the query's namespace, in the query's read transaction); ArangoDB's
/// 1924 "graph not found" as a 404 when there is none.
std::vector<std::string> named_graph_edges(query_run& run, const expr& at,
                                           const json& name) {
  if (!name.is_string() ||
      !engine::valid_key(name.get_ref<const std::string&>()))
    runtime_error_at(at, "GRAPH expects a graph name (a string)");
  auto& n = name.get_ref<const std::string&>();
  auto def = run.collection_exists(graphs_collection)
               ? run.read_document(graphs_collection, n)
               : json();
  if (def.is_null())
    throw aql_error(error_kind::collection_not_found,
                    graph_not_found_message(n), at.line, at.column);
  std::vector<std::string> out;
  std::string error;
  if (!graph_edge_collections(def, out, error))
    runtime_error_at(at, "graph '" + n + "': " + error);
  return out;
}

uint64_t depth_value(const expr* e, env& en, evaluator& ev, uint64_t dflt) {
  if (!e)
    return dflt;
  auto v = ev.eval(*e, en);
  if (!v.is_number() || v.get<double>() < 0 ||
      v.get<double>() !=
        static_cast<double>(static_cast<int64_t>(v.get<double>())))
    runtime_error_at(*e, "traversal depth must be a non-negative integer");
  if (v.get<double>() > static_cast<double>(max_traversal_depth))
    throw aql_error(error_kind::semantic,
                    "traversal depth " + v.dump() + " exceeds the limit of " +
                      std::to_string(max_traversal_depth),
                    e->line, e->column);
  return static_cast<uint64_t>(v.get<double>());
}

} // namespace

bool pipeline::push_graph(size_t i, env& en) {
  auto& c = q_.clauses[i];
  auto& g = *c.graph;
  auto& ev = run_.eval;
  auto opts =
    parse_traversal_options(c.options ? ev.eval(*c.options, en) : json());
  std::vector<std::string> names;
  if (g.graph_name)
    names = named_graph_edges(run_, *g.graph_name, ev.eval(*g.graph_name, en));
  for (auto& e : g.edges)
    names.push_back(e.bind ? run_.collection_bind(e.name) : e.name);
  graph_source_sql source(run_, names);
  auto start = vertex_handle(*g.start, ev.eval(*g.start, en), "start vertex");
  auto vslot = static_cast<size_t>(c.slot);
  auto bind = [&](const graph_path& p) {
    en[vslot] = *p.vertices.back();
    if (g.edge_slot >= 0)
      en[static_cast<size_t>(g.edge_slot)] =
        p.edges.empty() ? json() : p.edges.back()->doc;
    if (g.path_slot >= 0)
      en[static_cast<size_t>(g.path_slot)] =
        p.to_json(opts.order == traversal_order::weighted);
  };

  if (g.kind == graph_kind::traversal) {
    auto min = depth_value(g.min_depth.get(), en, ev, 1);
    auto max = g.max_depth ? depth_value(g.max_depth.get(), en, ev, 1) : min;
    traverser t(source, g.direction, min, max, opts);
    traverser::visit_fn prune;
    if (g.prune)
      prune = [&](const graph_path& p) {
        bind(p);
        return truthy(ev.eval(*g.prune, en));
      };
    return t.run(
      start,
      [&](const graph_path& p) {
        run_.progress.rows_scanned.fetch_add(1, std::memory_order_relaxed);
        bind(p);
        return push(i + 1, en);
      },
      prune);
  }

  auto target =
    vertex_handle(*g.target, ev.eval(*g.target, en), "target vertex");
  bool all = g.kind == graph_kind::all_shortest_paths;
  if (all) { // ArangoDB: ALL_SHORTEST_PATHS counts hops, no weights
    opts.weight_attribute.clear();
    opts.default_weight = 1;
  }
  path_search search(source, g.direction, opts, all,
                     g.kind == graph_kind::shortest_path);
  search.start(start, target);
  graph_path p;
  if (g.kind == graph_kind::shortest_path) {
    if (!search.next(p))
      return true;
    for (size_t k = 0; k < p.vertices.size(); ++k) {
      en[vslot] = *p.vertices[k];
      if (g.edge_slot >= 0)
        en[static_cast<size_t>(g.edge_slot)] =
          k == 0 ? json() : p.edges[k - 1]->doc;
      if (!push(i + 1, en))
        return false;
    }
    return true;
  }
  while (search.next(p)) {
    json path = p.to_json(false);
    if (!all)
      path["weight"] = p.weight;
    en[vslot] = std::move(path);
    if (!push(i + 1, en))
      return false;
  }
  return true;
}

} // namespace themis::aql
