#include "engine/aql/shortest_path.hpp"

#include <algorithm>
#include <functional>
#include <queue>

#include "engine/aql/aql_error.hpp"

namespace themis::aql {

namespace {

edge_direction reverse(edge_direction d) {
  return d == edge_direction::outbound  ? edge_direction::inbound
         : d == edge_direction::inbound ? edge_direction::outbound
                                        : edge_direction::any;
}

constexpr double epsilon = 1e-9;

} // namespace

path_search::path_search(graph_source& source, edge_direction dir,
                         const traversal_options& opts, bool shortest_only,
                         bool first_only) :
  source_(source),
  dir_(dir), opts_(opts), shortest_only_(shortest_only),
  first_only_(first_only) {}

uint32_t path_search::vertex_index(const std::string& handle) {
  auto [it, fresh] =
    ids_.try_emplace(handle, static_cast<uint32_t>(handles_.size()));
  if (fresh) {
    handles_.push_back(handle);
    to_target_.push_back(-2); // not settled yet
    docs_.emplace_back();
    loaded_.push_back(false);
  }
  return it->second;
}

void path_search::count_state() {
  if (++states_ > opts_.max_paths)
    throw aql_error(error_kind::limit,
                    "path search stopped: more than " +
                      std::to_string(opts_.max_paths) +
                      " search states (the graph is too large or too "
                      "dense for this search)");
  if ((states_ & 63) == 0)
    source_.tick();
}

bool path_search::on_path(int64_t n, uint32_t vertex) const {
  for (auto i = n; i >= 0; i = nodes_[static_cast<size_t>(i)].parent)
    if (nodes_[static_cast<size_t>(i)].vertex == vertex)
      return true;
  return false;
}

void path_search::start(const std::string& from, const std::string& to) {
  ids_.clear();
  handles_.clear();
  to_target_.clear();
  nodes_.clear();
  open_.clear();
  docs_.clear();
  loaded_.clear();
  closed_.clear();
  states_ = 0;
  best_ = -1;
  target_ = vertex_index(to);
  auto s = vertex_index(from);

  // Backward Dijkstra from the target until the start is settled: settled
  // vertices know their exact distance; the others are at least `radius`
  // away (or unreachable, when the search ran out of vertices).
  using entry = std::pair<double, uint32_t>;
  std::priority_queue<entry, std::vector<entry>, std::greater<>> heap;
  std::vector<double> tentative{0};
  auto tent = [&](uint32_t v) -> double& {
    if (tentative.size() <= v)
      tentative.resize(v + 1, -1);
    return tentative[v];
  };
  tent(target_) = 0;
  heap.emplace(0, target_);
  double radius = 0;
  bool complete = true;
  uint32_t settled = 0;
  std::vector<edge_ptr> edges;
  auto back = reverse(dir_);
  while (!heap.empty()) {
    auto [d, u] = heap.top();
    heap.pop();
    if (to_target_[u] >= 0)
      continue;
    to_target_[u] = d;
    radius = d;
    if (u == s) {
      complete = heap.empty();
      break;
    }
    if (first_only_ && ++settled >= backward_budget_) {
      complete = false;
      break;
    }
    edges.clear();
    source_.edges(handles_[u], back, edges);
    for (auto& e : edges) {
      auto w = vertex_index(other_end(*e, handles_[u], back));
      if (to_target_[w] >= 0)
        continue;
      double nd = d + edge_weight(*e, opts_);
      auto& t = tent(w);
      if (t < 0 || nd < t) {
        t = nd;
        count_state();
        heap.emplace(nd, w);
      }
    }
  }
  for (auto& h : to_target_)
    if (h == -2)
      h = complete ? -1 : -3; // -1 unreachable, -3 at least `radius`
  radius_ = radius;
  complete_ = complete;
  if (to_target_[s] == -1)
    return; // the target cannot be reached
  nodes_.push_back({-1, s, 0, nullptr});
  open_.emplace_back(estimate(s), 0);
}

double path_search::estimate(uint32_t v) const {
  auto h = to_target_[v];
  return h < 0 ? radius_ : h;
}

bool path_search::next(graph_path& out) {
  auto cmp = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  };
  std::vector<edge_ptr> edges;
  while (!open_.empty()) {
    std::pop_heap(open_.begin(), open_.end(), cmp);
    auto n = open_.back().second;
    open_.pop_back();
    auto nd = nodes_[static_cast<size_t>(n)];
    if (first_only_) { // A* over the graph: a vertex is expanded once
      if (closed_.size() <= nd.vertex)
        closed_.resize(nd.vertex + 1, false);
      if (closed_[nd.vertex])
        continue;
      closed_[nd.vertex] = true;
    }
    if (nd.vertex == target_) {
      if (first_only_ && best_ >= 0)
        return false; // one path only
      if (best_ < 0)
        best_ = nd.weight;
      else if (shortest_only_ && nd.weight > best_ + epsilon)
        return false;
      out.vertex_ids.clear();
      out.vertices.clear();
      out.edges.clear();
      out.weights.clear();
      out.weight = nd.weight;
      for (auto i = n; i >= 0; i = nodes_[static_cast<size_t>(i)].parent) {
        auto& x = nodes_[static_cast<size_t>(i)];
        if (!loaded_[x.vertex]) {
          docs_[x.vertex] = source_.vertex(handles_[x.vertex]);
          loaded_[x.vertex] = true;
        }
        out.vertex_ids.push_back(&handles_[x.vertex]);
        out.vertices.push_back(&docs_[x.vertex]);
        if (x.edge)
          out.edges.push_back(x.edge.get());
      }
      std::reverse(out.vertex_ids.begin(), out.vertex_ids.end());
      std::reverse(out.vertices.begin(), out.vertices.end());
      std::reverse(out.edges.begin(), out.edges.end());
      return true;
    }
    edges.clear();
    source_.edges(handles_[nd.vertex], dir_, edges);
    for (auto& e : edges) {
      auto w = vertex_index(other_end(*e, handles_[nd.vertex], dir_));
      if (to_target_[w] == -2)
        to_target_[w] = complete_ ? -1 : -3;
      if (to_target_[w] == -1)
        continue; // cannot reach the target
      if (first_only_ ? w < closed_.size() && closed_[w] : on_path(n, w))
        continue; // expanded already, or not a simple path
      double g = nd.weight + edge_weight(*e, opts_);
      double f = g + estimate(w);
      if (shortest_only_ && best_ >= 0 && f > best_ + epsilon)
        continue;
      count_state();
      nodes_.push_back({n, w, g, e});
      open_.emplace_back(f, static_cast<int64_t>(nodes_.size() - 1));
      std::push_heap(open_.begin(), open_.end(), cmp);
    }
  }
  return false;
}

} // namespace themis::aql
