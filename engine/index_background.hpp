#pragma once
/// Persistent indexes built in the background (issue 22, "inBackground":
/// true, docs/indexes.md "Building in the background").
///
/// SQLite builds an expression index in one CREATE INDEX statement, which
/// holds the write lock for the whole scan (2-3 s per million documents
/// here). A background index therefore lives outside SQLite's own index
/// b-trees, in a side table "docbg:<collection>:<name>" of (key, v0, v1, …)
/// with a [UNIQUE] index on the values:
///  - three triggers on `documents` keep it in step with every write from
///    the moment the build starts (every write path ends in an INSERT,
///    UPDATE or DELETE of `documents`, so none can bypass them);
///  - the index builder (actors/index_builder.hpp) sends the store writer
///    one `index_build_step` at a time, which copies the next key range of
///    the collection (`chunk` documents after the watermark) in its own
///    short transaction, so other writes run between chunks;
///  - once the watermark passes the last key the index is "ready" and the
///    AQL push-down reads it (`key IN (SELECT key FROM side WHERE …)`).
/// A unique violation found by a chunk fails the build: the side table
/// and triggers go, the definition stays with state "failed" and the
/// reason until it is dropped. Progress survives a restart (the builder
/// resumes from the stored watermark).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/index_def.hpp"
#include "engine/write_types.hpp"

struct sqlite3;

namespace themis::engine {

/// Creates the side table, its value index and the triggers, and records
/// the build (state "building", total = the collection's count). SQLite's
/// message on failure, "" on success. Runs inside the writer's
/// transaction.
std::string start_background_build(sqlite3* db, const doc_index_def& d);

/// op_kind::index_build_step: `collection`, `key` the index name, `doc`
/// the chunk size in documents (decimal). Copies one chunk; the result's
/// `doc` is the build's state ("building", "ready", "failed"); not_found
/// when no such build is running (it was dropped or finished).
op_result apply_index_build_step(sqlite3* db, const write_op& op);

/// Drops the side table, triggers and build record of one background
/// index (no-op for a foreground one).
void drop_background_index(sqlite3* db, const std::string& collection,
                           const std::string& name);

/// (collection, name) of every build still running, oldest first.
std::vector<std::pair<std::string, std::string>>
running_index_builds(sqlite3* db);

/// Fills state/built/total/error of background definitions from the
/// build records (readers' side; a store without the table: unchanged).
void load_build_states(sqlite3* db, std::vector<doc_index_def>& defs);

/// A ready background index as the AQL push-down uses it: its side table
/// answers conditions on the first field's JSON path (`v0`).
struct side_index {
  std::string json_path;               ///< "$.a.b" of the first field
  std::vector<std::string> json_paths; ///< every field's, `v0`, `v1`, …
  std::string table;                   ///< "docbg:<collection>:<name>"
  std::string name;
  bool sparse = false;
  size_t fields = 1;
};

/// The ready background indexes of `collection` (none on any error).
std::vector<side_index> ready_side_indexes(sqlite3* db,
                                           const std::string& collection);

/// If `sqlite_message` is a side table's unique refusal ("UNIQUE
/// constraint failed: docbg:<collection>:<name>.v0, …"), the index name.
std::string side_unique_index(std::string_view sqlite_message);

} // namespace themis::engine
