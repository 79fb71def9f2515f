#include "engine/store_writer.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "engine/collection_schema.hpp"
#include "engine/edge_validation.hpp"
#include "engine/index_background.hpp"
#include "engine/index_store.hpp"
#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/sql/sql_sequences.hpp"
#include "engine/sql/temp_tables.hpp"

namespace themis::engine {

namespace {

using json = nlohmann::json;

int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

op_result failure(op_status status, std::string message, std::string key = {}) {
  op_result r;
  r.status = status;
  r.message = std::move(message);
  r.key = std::move(key);
  return r;
}

bool failed(const op_result& r) {
  return r.status != op_status::ok && r.status != op_status::created;
}

/// A batch's statement was interrupted and SQLite rolled the whole group
/// back (store_writer_stop.cpp).
struct group_lost {};

/// The SQL jobs of `b` as before they ran (the group runs again).
void reset_jobs(const write_batch& b) {
  for (auto& op : b.ops)
    if (op.sql) {
      auto& j = *op.sql;
      j.result = {};
      j.sqlstate.clear();
      j.message.clear();
      j.position = 0;
      j.deferred_fks.clear();
    }
}

} // namespace

store_writer::store_writer(const store_options& opts) :
  db_(database_path(opts), false, opts.busy_timeout_ms) {
  apply_schema(db_, opts);
  install_edge_schema(db_);        // collection types (issue 32)
  install_collection_schemas(db_); // JSON Schema per collection (issue 22)
  // no session survives a restart: temp tables a crash left go (issue 36)
  if (sql::purge_temp_tables(db_.handle()) > 0)
    ++schema_epoch();
  // Retention may have deleted every row: the sequence continues after
  // the highest number ever handed out, never reusing one.
  auto s = db_.prepare(
    "SELECT MAX(COALESCE((SELECT MAX(seq) FROM changelog), 0), "
    "COALESCE((SELECT v FROM meta WHERE k = 'compacted_through'), 0))");
  s.step();
  next_seq_ = static_cast<uint64_t>(s.int64(0)) + 1;
  sql::register_functions(db_.handle(), &counters_);
  db_.exec("PRAGMA case_sensitive_like=ON");
  // a cancel reaches a SQL statement running here (store_writer_stop.cpp)
  sqlite3_progress_handler(db_.handle(), 1000, &store_writer::on_progress,
                           this);
}

bool store_writer::collection_exists(const std::string& name) {
  auto s = db_.prepare("SELECT 1 FROM collections WHERE name = ?1");
  s.bind(1, name);
  return s.step();
}

uint64_t store_writer::log_change(const char* type,
                                  const std::string& collection,
                                  const std::string& key,
                                  const std::string* value, int64_t now_ms) {
  auto seq = next_seq_++;
  auto s = db_.prepare("INSERT INTO changelog(seq, type, collection, key, "
                       "value, timestamp_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  s.bind(1, static_cast<int64_t>(seq)).bind(2, type).bind(3, collection);
  s.bind(4, key).bind(6, now_ms);
  if (value)
    s.bind(5, *value);
  else
    s.bind_null(5);
  s.run();
  committed_.push_back(change_event{seq, type, collection, key,
                                    value ? *value : std::string(), now_ms});
  return seq;
}

op_result store_writer::create_collection(const std::string& name,
                                          int64_t now_ms, bool exists_ok,
                                          bool edge) {
  if (!valid_stored_collection_name(name))
    return failure(op_status::invalid, "invalid collection name: " + name);
  if (collection_exists(name)) {
    if (exists_ok)
      return {};
    return failure(op_status::conflict, "collection already exists: " + name);
  }
  auto s =
    db_.prepare("INSERT INTO collections(name, created_ms) VALUES(?1, ?2)");
  s.bind(1, name).bind(2, now_ms).run();
  if (edge)
    set_collection_type(db_, name, collection_type::edge);
  op_result r;
  r.status = op_status::created;
  r.key = name;
  schema_dirty_ = true;
  return r;
}

op_result store_writer::truncate_collection(const std::string& name,
                                            int64_t now_ms) {
  if (!collection_exists(name))
    return failure(op_status::collection_not_found,
                   "collection not found: " + name);
  // Subscribers mirroring the data must see every document go away.
  std::vector<std::string> keys;
  {
    auto s = db_.prepare(
      "SELECT key FROM documents WHERE collection = ?1 ORDER BY key");
    s.bind(1, name);
    while (s.step())
      keys.emplace_back(s.text(0));
  }
  op_result r;
  for (auto& k : keys)
    r.sequence = log_change("DELETE", name, k, nullptr, now_ms);
  db_.prepare("DELETE FROM documents WHERE collection = ?1")
    .bind(1, name)
    .run();
  r.key = name;
  r.rev = std::to_string(keys.size());
  return r;
}

op_result store_writer::drop_collection(const std::string& name,
                                        int64_t now_ms) {
  auto r = truncate_collection(name, now_ms);
  if (failed(r))
    return r;
  db_.prepare("DELETE FROM collections WHERE name = ?1").bind(1, name).run();
  // a table created over SQL: its definition and indexes go too
  drop_sql_definition(name);
  drop_doc_indexes(db_.handle(), name); // issue 22: persistent/ttl indexes
  schema_dirty_ = true;
  r.key = name;
  return r;
}

op_result store_writer::apply(const write_op& op, int64_t now_ms) {
  if (op.kind == op_kind::sql) {
    if (!op.sql)
      return failure(op_status::invalid, "no SQL statement");
    return apply_sql(*op.sql, now_ms);
  }
  if (op.kind == op_kind::marker) {
    if (op.event_type != "TRANSACTION_COMMIT" &&
        op.event_type != "TRANSACTION_ROLLBACK")
      return failure(op_status::invalid, "unknown marker " + op.event_type);
    op_result r;
    r.key = op.key;
    r.sequence =
      log_change(op.event_type.c_str(), op.collection, op.key, &op.doc, now_ms);
    return r;
  }
  if (op.kind == op_kind::truncate_log) {
    uint64_t before = 0;
    for (char c : op.key) {
      if (c < '0' || c > '9' || before > UINT64_MAX / 10 - 9)
        return failure(op_status::invalid, "before_sequence must be a number");
      before = before * 10 + static_cast<uint64_t>(c - '0');
    }
    op_result r;
    r.rev = std::to_string(before ? compact_through(before - 1) : 0);
    return r;
  }
  if (op.kind == op_kind::create_collection)
    return create_collection(op.collection, now_ms, false, op.edge);
  if (op.kind == op_kind::drop_collection)
    return drop_collection(op.collection, now_ms);
  if (op.kind == op_kind::truncate_collection)
    return truncate_collection(op.collection, now_ms);
  // an index changes what SQL's catalog offers (sql_catalog.hpp
  // doc_indexes): so does a background build becoming ready
  if (op.kind == op_kind::create_index || op.kind == op_kind::drop_index) {
    schema_dirty_ = true;
    return apply_index_op(db_.handle(), op); // issue 22 (index_store.hpp)
  }
  if (op.kind == op_kind::index_build_step) {
    auto r = apply_index_build_step(db_.handle(), op);
    schema_dirty_ = schema_dirty_ || r.doc != "building";
    return r;
  }
  if (op.kind == op_kind::set_schema)
    return set_schema(op);
  if (!valid_stored_collection_name(op.collection))
    return failure(op_status::invalid,
                   "invalid collection name: " + op.collection);
  if (!collection_exists(op.collection)) {
    if (!op.create_collection)
      return failure(op_status::collection_not_found,
                     "collection not found: " + op.collection);
    create_collection(op.collection, now_ms, true, op.edge);
  }
  json body;
  bool needs_body = op.kind != op_kind::remove;
  if (needs_body) {
    // Every writer path (REST, MQTT ingest, AQL, entities) ends here: the
    // nesting limit holds even if a front-end forgot it, so no stored row
    // is too deep for SQLite's JSON functions.
    auto st = parse_untrusted_json(op.doc, body);
    if (st == json_parse_status::too_deep)
      return failure(op_status::invalid, json_too_deep_message(), op.key);
    if (st != json_parse_status::ok)
      return failure(op_status::invalid, "body is not valid JSON", op.key);
    if (!body.is_object())
      return failure(op_status::invalid, "document must be a JSON object",
                     op.key);
  }
  std::string key = op.key;
  if (key.empty() && needs_body && op.kind != op_kind::patch) {
    auto it = body.find("_key");
    if (it != body.end()) {
      if (!it->is_string())
        return failure(op_status::invalid, "_key must be a string");
      key = it->get<std::string>();
    } else if (op.kind == op_kind::insert) {
      key = generate_key();
    }
  }
  if (!valid_key(key))
    return failure(op_status::invalid, "invalid document key: " + key, key);

  std::string old_rev, old_doc;
  bool exists = false;
  {
    auto s = db_.prepare("SELECT rev, doc FROM documents "
                         "WHERE collection = ?1 AND key = ?2");
    s.bind(1, op.collection).bind(2, key);
    if (s.step()) {
      exists = true;
      old_rev = s.text(0);
      old_doc = s.text(1);
    }
  }
  if (!op.if_match.empty() && (!exists || old_rev != op.if_match))
    return failure(op_status::precondition_failed,
                   exists ? "revision mismatch: current is " + old_rev
                          : "document not found: " + key,
                   key);
  if (op.kind == op_kind::insert && exists)
    return failure(op_status::conflict, "document already exists: " + key, key);
  if (!exists && (op.kind == op_kind::replace || op.kind == op_kind::patch ||
                  op.kind == op_kind::remove))
    return failure(op_status::not_found, "document not found: " + key, key);

  op_result r;
  r.key = key;
  if (op.kind == op_kind::remove) {
    db_.prepare("DELETE FROM documents WHERE collection = ?1 AND key = ?2")
      .bind(1, op.collection)
      .bind(2, key)
      .run();
    r.sequence = log_change("DELETE", op.collection, key, nullptr, now_ms);
    r.rev = old_rev;
    return r;
  }
  if (op.kind == op_kind::patch) {
    auto doc = json::parse(old_doc, nullptr, false);
    doc.merge_patch(body);
    if (!doc.is_object())
      return failure(op_status::invalid, "patch must keep an object", key);
    body = std::move(doc);
  }
  auto seq = next_seq_; // log_change takes this number below
  r.rev = std::to_string(seq);
  body["_key"] = key;
  body["_rev"] = r.rev;
  r.doc = body.dump(-1, ' ', false, json::error_handler_t::replace);
  db_
    .prepare("INSERT INTO documents(collection, key, rev, doc) "
             "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(collection, key) "
             "DO UPDATE SET rev = excluded.rev, doc = excluded.doc")
    .bind(1, op.collection)
    .bind(2, key)
    .bind(3, r.rev)
    .bind(4, r.doc)
    .run();
  r.sequence = log_change("PUT", op.collection, key, &r.doc, now_ms);
  r.status = exists ? op_status::ok : op_status::created;
  return r;
}

op_result store_writer::set_schema(const write_op& op) {
  if (!collection_exists(op.collection))
    return failure(op_status::collection_not_found,
                   "collection not found: " + op.collection);
  std::optional<collection_schema> s;
  if (!op.doc.empty()) {
    collection_schema parsed;
    auto body = json::parse(op.doc, nullptr, false);
    if (auto e = parse_collection_schema(body, parsed); !e.empty())
      return failure(op_status::invalid, std::move(e));
    s = std::move(parsed);
  }
  if (auto e = set_collection_schema(db_, op.collection, s); !e.empty())
    return failure(op_status::invalid, std::move(e));
  op_result r;
  r.key = op.collection;
  r.doc = s ? to_json(*s).dump() : std::string();
  return r;
}

op_result store_writer::apply_guarded(const write_op& op, int64_t now_ms) {
  try {
    return apply(op, now_ms);
  } catch (const sqlite_error& e) {
    // an edge collection's trigger refused the document (issue 32)
    if (auto m = edge_refusal(e.what()); !m.empty())
      return failure(op_status::invalid, std::move(m), op.key);
    // the collection's JSON Schema refused it (issue 22)
    if (auto m = schema_refusal(e.what()); !m.empty())
      return failure(op_status::invalid, std::move(m), op.key);
    // a unique persistent index refused the document (issue 22)
    if (auto m = unique_refusal(e.what()); !m.empty())
      return failure(op_status::conflict, std::move(m), op.key);
    return failure(op_status::internal, e.what(), op.key);
  } catch (const std::exception& e) {
    return failure(op_status::internal, e.what(), op.key);
  }
}

void store_writer::run_batch(const write_batch& batch, write_result& out,
                             int64_t now_ms) {
  out.results.reserve(batch.ops.size());
  if (batch.atomic) {
    auto seq_save = next_seq_;
    db_.prepare("SAVEPOINT batch").run();
    size_t bad = batch.ops.size();
    for (size_t i = 0; i < batch.ops.size(); ++i) {
      out.results.push_back(apply_guarded(batch.ops[i], now_ms));
      if (failed(out.results.back()) && transaction_lost())
        throw group_lost{};
      if (failed(out.results.back())) {
        bad = i;
        break;
      }
    }
    if (bad != batch.ops.size()) {
      db_.prepare("ROLLBACK TO batch").run();
      forget_uncommitted(seq_save);
      out.error = "operation " + std::to_string(bad) +
                  " failed: " + out.results[bad].message;
      for (size_t i = 0; i < bad; ++i) {
        out.results[i].status = op_status::not_executed;
        out.results[i].sequence = 0;
      }
      for (size_t i = bad + 1; i < batch.ops.size(); ++i)
        out.results.push_back(
          failure(op_status::not_executed, "batch rolled back"));
    }
    db_.prepare("RELEASE batch").run();
    return;
  }
  for (auto& op : batch.ops) {
    auto seq_save = next_seq_;
    db_.prepare("SAVEPOINT op").run();
    out.results.push_back(apply_guarded(op, now_ms));
    if (failed(out.results.back()) && transaction_lost())
      throw group_lost{};
    if (failed(out.results.back())) {
      db_.prepare("ROLLBACK TO op").run();
      forget_uncommitted(seq_save);
    }
    db_.prepare("RELEASE op").run();
  }
}

std::vector<write_result>
store_writer::commit_group(const std::vector<const write_batch*>& group) {
  std::vector<write_result> out(group.size());
  auto now_ms = now_millis();
  auto seq_start = next_seq_;
  committed_.clear();
  std::vector<char> dropped(group.size(), 0); // interrupted (canceled)
  for (;;) {
    size_t at = 0;
    try {
      db_.prepare("BEGIN IMMEDIATE").run();
      for (at = 0; at < group.size(); ++at)
        if (!dropped[at])
          run_batch(*group[at], out[at], now_ms);
      db_.prepare("COMMIT").run();
      ++commits_;
      after_commit();
      for (auto& r : out)
        r.committed = r.error.empty();
      return out;
    } catch (const group_lost&) {
      // batch `at` was interrupted and SQLite undid the whole group: it
      // keeps its error, the others run again without it (one batch fewer
      // each time, so this ends)
      forget_uncommitted(seq_start);
      schema_dirty_ = false;
      dropped[at] = 1;
      auto& lost = out[at];
      lost.error = lost.results.back().message;
      for (size_t i = 0; i + 1 < lost.results.size(); ++i) {
        lost.results[i].status = op_status::not_executed;
        lost.results[i].sequence = 0;
      }
      while (lost.results.size() < group[at]->ops.size())
        lost.results.push_back(failure(op_status::not_executed, "canceled"));
      for (size_t i = 0; i < group.size(); ++i)
        if (!dropped[i]) {
          out[i] = write_result{};
          reset_jobs(*group[i]);
        }
      continue;
    } catch (const std::exception& e) {
      try {
        db_.exec("ROLLBACK");
      } catch (...) {
      }
      forget_uncommitted(seq_start);
      schema_dirty_ = false;
      for (auto& r : out) {
        r.committed = false;
        r.error = std::string("commit failed: ") + e.what();
        for (auto& x : r.results)
          if (!failed(x)) {
            x.status = op_status::internal;
            x.message = r.error;
            x.sequence = 0;
          }
      }
      return out;
    }
  }
}

void store_writer::forget_uncommitted(uint64_t from_seq) {
  // Rolled-back sequence numbers are handed out again: the log stays dense.
  next_seq_ = from_seq;
  while (!committed_.empty() && committed_.back().sequence >= from_seq)
    committed_.pop_back();
  // SQL sequence values are not rolled back (issue 36)
  sql::sequences_rolled_back(db_.handle(), counters_);
}

write_result store_writer::commit(const write_batch& batch) {
  return std::move(commit_group({&batch}).front());
}

} // namespace themis::engine
