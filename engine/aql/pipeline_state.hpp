#pragma once
/// Per-clause state of a pipeline (buffers of SORT, COLLECT, LIMIT
/// counters, pending writes). Private to engine/aql.

#include "engine/aql/pipeline.hpp"
#include "engine/write_types.hpp"

namespace themis::aql {

struct group_state {
  env first;                             ///< a row of the group
  std::vector<std::vector<json>> values; ///< per aggregate
  json into = json::array();
  uint64_t count = 0;
};

struct pipeline::stage_state {
  // FOR over a collection
  bool planned = false;
  pushdown_plan plan;
  // SORT
  std::vector<std::pair<std::vector<json>, env>> rows;
  /// The loop below hands its rows in this SORT's order (an index serves
  /// it, sort_pushdown.hpp): pass them through, LIMIT stops the scan.
  bool presorted = false;
  // LIMIT
  bool limit_ready = false;
  uint64_t offset = 0, count = 0, seen = 0, emitted = 0;
  // COLLECT
  std::map<json, group_state, json_less> groups;
  // RETURN DISTINCT
  std::set<json, json_less> distinct;
  // modifications: the write and the row it came from
  std::vector<engine::write_op> ops;
  std::vector<json> olds;
  std::vector<env> envs;
  bool stopped = false; ///< downstream LIMIT is satisfied
};

} // namespace themis::aql
