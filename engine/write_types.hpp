#pragma once
/// Write requests and their results: plain data passed from handlers to the
/// store writer (through a mailbox) and back.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace themis::sql {
struct write_job;
}

namespace themis::engine {

enum class op_kind : uint8_t {
  create_collection,
  drop_collection,
  insert,  ///< fails with `conflict` if the key exists
  put,     ///< insert or replace
  replace, ///< fails with `not_found` if absent
  patch,   ///< JSON merge patch (RFC 7396) of an existing document
  remove,
  sql, ///< a translated SQL write (DML or DDL), see engine/sql
  /// No document change: one change-log event of type `event_type`
  /// (an HTTP transaction's TRANSACTION_COMMIT / TRANSACTION_ROLLBACK)
  /// whose collection is the tenant prefix ("" or "tenant."), key the
  /// transaction id and value `doc`.
  marker,
  /// Deletes the change-log events before sequence `key` (decimal), as
  /// ThemisDB's POST /changefeed/retention; resumes before it get 410.
  /// The result's `rev` holds the number of events deleted.
  truncate_log,
  /// A persistent or TTL index of `collection` (issue 22,
  /// engine/index_store.hpp): `doc` its definition as JSON; built inside
  /// the writer's transaction. drop_index: `key` is its name.
  create_index,
  drop_index,
  /// Removes every document of `collection` (kept, with its indexes): one
  /// DELETE change event per document, as a drop logs them. The result's
  /// `rev` holds the number of documents removed (issue 22).
  truncate_collection,
  /// The collection's JSON Schema (engine/collection_schema.hpp): `doc`
  /// {"rule", "level", "message"}, or empty to remove it.
  set_schema,
  /// One chunk of a background index build (engine/index_background.hpp):
  /// `key` the index name, `doc` the chunk size in documents.
  index_build_step,
};

enum class op_status : uint8_t {
  ok,
  created,
  not_found,
  collection_not_found,
  conflict,
  precondition_failed,
  invalid,
  not_executed, ///< an earlier op of an atomic batch failed
  internal,
};

struct write_op {
  op_kind kind = op_kind::put;
  std::string collection;
  std::string key;      ///< empty on insert: generated
  std::string doc;      ///< JSON object text (or merge patch for `patch`)
  std::string if_match; ///< expected _rev; empty = unconditional
  bool create_collection = false; ///< create a missing collection
  /// create_collection (or a missing collection this op creates): of type
  /// edge (engine/edge_validation.hpp); ignored for one that exists.
  bool edge = false;
  /// op_kind::sql: the statement; its result and error are written back
  /// into the job (shared with the caller).
  std::shared_ptr<sql::write_job> sql;
  std::string event_type; ///< op_kind::marker only
};

struct op_result {
  op_status status = op_status::ok;
  std::string key;
  std::string rev;       ///< new revision (or removed one)
  std::string doc;       ///< stored document, with _key and _rev
  std::string message;   ///< why it failed
  uint64_t sequence = 0; ///< change log sequence of this write (0: none)
};

struct write_batch {
  std::vector<write_op> ops;
  bool atomic = true;      ///< all or nothing; otherwise each op on its own
  int64_t enqueued_ns = 0; ///< steady clock when sent (queue wait, CoDel)
};

struct write_result {
  std::vector<op_result> results; ///< one per op, in order
  bool committed = false;
  std::string error; ///< set when the whole batch failed
  /// Refused before it reached the writer (admission control or an open
  /// circuit breaker): answer "busy, retry later" (HTTP 503 + Retry-After).
  bool overloaded = false;
  uint32_t retry_after_s = 0;
};

/// Name of a status for messages and logs.
const char* to_string(op_status s);

} // namespace themis::engine
