#pragma once
/// Persistent and TTL index definitions in the store (issue 22,
/// docs/indexes.md): the writer's side (create and drop as writes, so a
/// build runs inside the writer's transaction and blocks other writes for
/// its duration), the readers' side (the listing, EXPLAIN), and the TTL
/// sweep's query. Definitions live in `collection_indexes`
/// (store_schema.cpp), one row per index, beside the SQLite index itself.

#include <string>
#include <string_view>
#include <vector>

#include "engine/index_def.hpp"
#include "engine/write_types.hpp"

struct sqlite3;

namespace themis::engine {

/// op_kind::create_index (op.doc: the definition as JSON, op.collection
/// the stored name) and op_kind::drop_index (op.key: the name), run by the
/// store writer inside its transaction. created / ok (an identical index
/// exists) / conflict (a name taken, or existing documents break a unique
/// index) / collection_not_found / not_found / invalid.
op_result apply_index_op(sqlite3* db, const write_op& op);

/// Gives SQLite's planner one statistic (sqlite_stat1) about the
/// documents table's primary key: a collection holds many rows (without
/// it SQLite guesses 10, and prefers scanning `collection = ?` in key
/// order over an index range). Idempotent; run when an index is created.
void ensure_planner_stats(sqlite3* db);

/// Drops every persistent and TTL index of `collection` with its
/// definitions (the collection is being dropped).
void drop_doc_indexes(sqlite3* db, const std::string& collection);

/// The definitions of `collection` in name order (empty on any error:
/// an older store without the table).
std::vector<doc_index_def> load_doc_indexes(sqlite3* db,
                                            const std::string& collection);

/// Every TTL index of the store.
std::vector<doc_index_def> load_ttl_indexes(sqlite3* db);

/// If `sqlite_message` is SQLite's refusal of a write by one of these
/// unique indexes, the message to answer with; else "".
std::string unique_refusal(std::string_view sqlite_message);

/// (key, rev) of at most `limit` documents of a TTL index's collection
/// whose timestamp (seconds since the epoch, a number) + expireAfter <=
/// now; the sweeper deletes each only if its revision is still that one.
std::vector<std::pair<std::string, std::string>>
expired_keys(sqlite3* db, const doc_index_def& d, double now_s, size_t limit);

} // namespace themis::engine
