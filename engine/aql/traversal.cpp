#include "engine/aql/traversal.hpp"

#include <algorithm>
#include <deque>
#include <queue>

#include "engine/aql/aql_error.hpp"
#include "engine/edge_validation.hpp"
#include "engine/names.hpp"

namespace themis::aql {

bool split_handle(std::string_view handle, std::string& collection,
                  std::string& key) {
  auto slash = handle.find('/');
  if (slash == std::string_view::npos)
    return false;
  auto c = handle.substr(0, slash);
  auto k = handle.substr(slash + 1);
  if (!engine::valid_collection_name(c) || !engine::valid_key(k))
    return false;
  collection.assign(c);
  key.assign(k);
  return true;
}

std::string edge_document_error(const json& doc) {
  if (!doc.is_object())
    return {};
  // a document that names neither is no edge; one that names either must
  // be a whole edge (ArangoDB's 1233, engine/edge_validation.hpp)
  if (!doc.contains("_from") && !doc.contains("_to"))
    return {};
  return engine::edge_document_problem(doc);
}

const std::string& other_end(const graph_edge& e, const std::string& vertex,
                             edge_direction dir) {
  switch (dir) {
    case edge_direction::outbound:
      return e.to;
    case edge_direction::inbound:
      return e.from;
    default:
      return e.from == vertex ? e.to : e.from;
  }
}

namespace {

uniqueness parse_uniqueness(const json& v, const char* name, bool global_ok) {
  if (!v.is_string())
    throw aql_error(error_kind::semantic,
                    std::string("OPTIONS ") + name + " must be a string");
  auto& s = v.get_ref<const std::string&>();
  if (s == "none")
    return uniqueness::none;
  if (s == "path")
    return uniqueness::path;
  if (s == "global" && global_ok)
    return uniqueness::global;
  throw aql_error(error_kind::semantic,
                  std::string("OPTIONS ") + name + ": unsupported value '" + s +
                    "' (" + (global_ok ? "none, path, global" : "none, path") +
                    ")");
}

} // namespace

traversal_options parse_traversal_options(const json& opts) {
  traversal_options o;
  if (opts.is_null())
    return o;
  if (!opts.is_object())
    throw aql_error(error_kind::semantic, "OPTIONS must be an object");
  for (auto& [k, v] : opts.items()) {
    if (k == "order") {
      if (v == "bfs")
        o.order = traversal_order::bfs;
      else if (v == "dfs")
        o.order = traversal_order::dfs;
      else if (v == "weighted")
        o.order = traversal_order::weighted;
      else
        throw aql_error(error_kind::semantic,
                        "OPTIONS order must be \"bfs\", \"dfs\" or "
                        "\"weighted\"");
    } else if (k == "bfs") {
      if (!v.is_boolean())
        throw aql_error(error_kind::semantic, "OPTIONS bfs must be a boolean");
      if (v.get<bool>())
        o.order = traversal_order::bfs;
    } else if (k == "uniqueVertices") {
      o.unique_vertices = parse_uniqueness(v, "uniqueVertices", true);
    } else if (k == "uniqueEdges") {
      o.unique_edges = parse_uniqueness(v, "uniqueEdges", false);
    } else if (k == "weightAttribute") {
      if (!v.is_string() || v.get_ref<const std::string&>().empty())
        throw aql_error(error_kind::semantic,
                        "OPTIONS weightAttribute must be a non-empty string");
      o.weight_attribute = v.get<std::string>();
    } else if (k == "defaultWeight") {
      if (!v.is_number() || v.get<double>() < 0)
        throw aql_error(error_kind::semantic,
                        "OPTIONS defaultWeight must be a non-negative number");
      o.default_weight = v.get<double>();
    } else if (k == "vertexStubs") {
      if (!v.is_boolean())
        throw aql_error(error_kind::semantic,
                        "OPTIONS vertexStubs must be a boolean");
      o.vertex_stubs = v.get<bool>();
    } else if (k == "maxPaths") {
      if (!v.is_number() || v.get<double>() < 1)
        throw aql_error(error_kind::semantic,
                        "OPTIONS maxPaths must be a positive number");
      o.max_paths = std::min<uint64_t>(default_max_paths,
                                       static_cast<uint64_t>(v.get<double>()));
    }
    // other ArangoDB options (parallelism, vertexCollections …) are ignored
  }
  if (o.unique_vertices == uniqueness::global &&
      o.order == traversal_order::dfs)
    throw aql_error(error_kind::semantic,
                    "uniqueVertices: \"global\" needs order \"bfs\" or "
                    "\"weighted\"");
  return o;
}

double edge_weight(const graph_edge& e, const traversal_options& o) {
  if (o.weight_attribute.empty())
    return o.default_weight;
  auto it = e.doc.find(o.weight_attribute);
  if (it == e.doc.end() || !it->is_number())
    return o.default_weight;
  double w = it->get<double>();
  if (w < 0)
    throw aql_error(error_kind::runtime, "negative edge weight on " + e.id +
                                           " (" + o.weight_attribute + ")");
  return w;
}

json graph_path::to_json(bool with_weights) const {
  json vs = json::array(), es = json::array();
  for (auto* v : vertices)
    vs.push_back(*v);
  for (auto* e : edges)
    es.push_back(e->doc);
  json p = {{"vertices", std::move(vs)}, {"edges", std::move(es)}};
  if (with_weights)
    p["weights"] = weights;
  return p;
}

traverser::traverser(graph_source& source, edge_direction dir,
                     uint64_t min_depth, uint64_t max_depth,
                     const traversal_options& opts) :
  source_(source),
  dir_(dir), min_(min_depth), max_(max_depth), opts_(opts) {
  if (max_ > max_traversal_depth)
    throw aql_error(error_kind::semantic,
                    "traversal depth " + std::to_string(max_) +
                      " exceeds the limit of " +
                      std::to_string(max_traversal_depth));
}

uint32_t traverser::vertex_index(const std::string& handle) {
  auto [it, fresh] =
    ids_.try_emplace(handle, static_cast<uint32_t>(handles_.size()));
  if (fresh) {
    handles_.push_back(handle);
    docs_.emplace_back();
    loaded_.push_back(false);
  }
  return it->second;
}

const json& traverser::vertex_doc(uint32_t v) {
  if (!loaded_[v]) {
    docs_[v] = source_.vertex(handles_[v]);
    if (docs_[v].is_null() && opts_.vertex_stubs)
      docs_[v] = {{"_id", handles_[v]}};
    loaded_[v] = true;
  }
  return docs_[v];
}

void traverser::build_path(int64_t n, graph_path& p) {
  p.vertex_ids.clear();
  p.vertices.clear();
  p.edges.clear();
  p.weights.clear();
  p.weight = n >= 0 ? nodes_[static_cast<size_t>(n)].weight : 0;
  for (auto i = n; i >= 0; i = nodes_[static_cast<size_t>(i)].parent) {
    auto& nd = nodes_[static_cast<size_t>(i)];
    p.vertex_ids.push_back(&handles_[nd.vertex]);
    p.vertices.push_back(&vertex_doc(nd.vertex));
    if (nd.edge) {
      p.edges.push_back(nd.edge.get());
      p.weights.push_back(nd.weight);
    }
  }
  p.weights.push_back(0); // the start vertex
  std::reverse(p.vertex_ids.begin(), p.vertex_ids.end());
  std::reverse(p.vertices.begin(), p.vertices.end());
  std::reverse(p.edges.begin(), p.edges.end());
  std::reverse(p.weights.begin(), p.weights.end());
}

bool traverser::on_path(int64_t n, uint32_t vertex, const graph_edge* e) const {
  bool check_v = opts_.unique_vertices == uniqueness::path;
  bool check_e = opts_.unique_edges == uniqueness::path;
  for (auto i = n; i >= 0; i = nodes_[static_cast<size_t>(i)].parent) {
    auto& nd = nodes_[static_cast<size_t>(i)];
    if (check_v && nd.vertex == vertex)
      return true;
    if (check_e && nd.edge && nd.edge->id == e->id)
      return true;
  }
  return false;
}

bool traverser::run(const std::string& start, const visit_fn& emit,
                    const visit_fn& prune) {
  nodes_.clear();
  std::vector<bool> visited; // uniqueVertices: global
  bool global = opts_.unique_vertices == uniqueness::global;
  auto mark = [&](uint32_t v) {
    if (visited.size() <= v)
      visited.resize(v + 1, false);
    bool seen = visited[v];
    visited[v] = true;
    return !seen;
  };
  // BFS: FIFO; DFS: LIFO; weighted: lightest first (then oldest)
  std::deque<int64_t> fifo;
  using weighted_entry = std::pair<double, int64_t>;
  std::priority_queue<weighted_entry, std::vector<weighted_entry>,
                      std::greater<>>
    heap;
  auto push = [&](int64_t n) {
    if (opts_.order == traversal_order::weighted)
      heap.emplace(nodes_[static_cast<size_t>(n)].weight, n);
    else
      fifo.push_back(n);
  };
  auto empty = [&] {
    return opts_.order == traversal_order::weighted ? heap.empty()
                                                    : fifo.empty();
  };
  auto pop = [&] {
    int64_t n;
    if (opts_.order == traversal_order::weighted) {
      n = heap.top().second;
      heap.pop();
    } else if (opts_.order == traversal_order::bfs) {
      n = fifo.front();
      fifo.pop_front();
    } else {
      n = fifo.back();
      fifo.pop_back();
    }
    return n;
  };

  nodes_.push_back({-1, vertex_index(start), 0, 0, nullptr});
  if (global && opts_.order == traversal_order::bfs)
    mark(0);
  push(0);
  graph_path path;
  std::vector<edge_ptr> edges;
  uint64_t steps = 0;
  while (!empty()) {
    auto n = pop();
    if ((++steps & 63) == 0)
      source_.tick();
    auto nd = nodes_[static_cast<size_t>(n)]; // nodes_ may grow below
    if (global && opts_.order == traversal_order::weighted && !mark(nd.vertex))
      continue; // reached before on a lighter path
    build_path(n, path);
    bool pruned = prune && prune(path);
    if (nd.depth >= min_ && !emit(path))
      return false;
    if (pruned || nd.depth >= max_)
      continue;
    edges.clear();
    source_.edges(handles_[nd.vertex], dir_, edges);
    size_t first_child = nodes_.size();
    for (auto& e : edges) {
      auto w = vertex_index(other_end(*e, handles_[nd.vertex], dir_));
      if (on_path(n, w, e.get()))
        continue;
      if (global && opts_.order == traversal_order::bfs && !mark(w))
        continue;
      if (global && opts_.order == traversal_order::weighted &&
          w < visited.size() && visited[w])
        continue;
      if (nodes_.size() >= opts_.max_paths)
        throw aql_error(error_kind::limit,
                        "traversal stopped: more than " +
                          std::to_string(opts_.max_paths) +
                          " paths (narrow it with a lower depth, PRUNE or "
                          "uniqueVertices)");
      nodes_.push_back(
        {n, w, nd.depth + 1, nd.weight + edge_weight(*e, opts_), e});
    }
    if (opts_.order == traversal_order::dfs) // first edge on top
      for (auto c = nodes_.size(); c > first_child; --c)
        push(static_cast<int64_t>(c - 1));
    else
      for (auto c = first_child; c < nodes_.size(); ++c)
        push(static_cast<int64_t>(c));
  }
  return true;
}

} // namespace themis::aql
