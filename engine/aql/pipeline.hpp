#pragma once
/// The clauses of one query level as a push pipeline: each row (an
/// environment) enters at clause 0; FOR multiplies rows, FILTER drops them,
/// SORT/COLLECT/modifications buffer them until `finish`, LIMIT stops the
/// rows above it early (push returns false). RETURN hands rows to the sink.
/// Private to engine/aql.

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "engine/aql/evaluator.hpp"
#include "engine/aql/pushdown.hpp"
#include "engine/aql/value.hpp"

namespace themis::aql {

class query_run;

struct json_less {
  bool operator()(const json& a, const json& b) const {
    return compare(a, b) < 0;
  }
};

class pipeline {
public:
  /// `sink` returns false to stop the query (enough rows).
  using sink_fn = std::function<bool(json)>;

  pipeline(query_run& run, const query& q, sink_fn sink);
  ~pipeline();

  /// Runs the query level once, starting from `en` (outer variables).
  void run(env& en);

private:
  struct stage_state;

  bool push(size_t i, env& en);
  void finish();
  bool push_for(size_t i, env& en);
  /// FOR over a graph (traversal, path searches): graph_stage.cpp.
  bool push_graph(size_t i, env& en);
  bool push_limit(size_t i, env& en);
  bool push_collect(size_t i, env& en);
  void finish_sort(size_t i);
  void finish_collect(size_t i);
  /// Modifications: defined in modify_stage.cpp.
  bool push_modify(size_t i, env& en);
  void flush_modify(size_t i);

  query_run& run_;
  const query& q_;
  sink_fn sink_;
  std::vector<std::unique_ptr<stage_state>> stages_;
  env base_;
};

} // namespace themis::aql
