/// INSERT / UPDATE / REPLACE / REMOVE: the pipeline buffers write
/// operations and commits them through the store writer in atomic batches
/// (so every write lands in the change log like a REST write), then runs
/// the rest of the query with NEW and OLD bound.

#include "engine/aql/aql_error.hpp"
#include "engine/aql/pipeline.hpp"
#include "engine/aql/pipeline_state.hpp"
#include "engine/aql/query_run.hpp"
#include "engine/aql/traversal.hpp"

namespace themis::aql {

namespace {

bool option(const json& opts, const char* name, bool dflt) {
  if (!opts.is_object())
    return dflt;
  auto it = opts.find(name);
  return it != opts.end() && it->is_boolean() ? it->get<bool>() : dflt;
}

void strip_system(json& doc) {
  doc.erase("_key");
  doc.erase("_rev");
  doc.erase("_id");
}

/// UPDATE's merge: objects merge recursively (mergeObjects), nulls are
/// stored (keepNull) unless the options say otherwise.
void merge_into(json& target, const json& patch, bool keep_null,
                bool merge_objects) {
  for (auto& [k, v] : patch.items()) {
    if (v.is_null() && !keep_null) {
      target.erase(k);
    } else if (merge_objects && v.is_object() && target.contains(k) &&
               target[k].is_object()) {
      merge_into(target[k], v, keep_null, merge_objects);
    } else {
      target[k] = v;
    }
  }
}

/// The stored text of a document; strings built from raw bytes in the
/// query text may not be UTF-8, which JSON cannot carry.
std::string document_text(const expr& at, const json& doc) {
  try {
    return doc.dump();
  } catch (const json::type_error&) {
    runtime_error_at(at, "the document contains a string that is not "
                         "valid UTF-8");
  }
}

std::string key_of(const expr& at, const json& v, const char* what) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_object()) {
    auto it = v.find("_key");
    if (it != v.end() && it->is_string())
      return it->get<std::string>();
  }
  runtime_error_at(at, std::string(what) +
                         " needs a key string or a document with _key");
}

} // namespace

bool pipeline::push_modify(size_t i, env& en) {
  auto& c = q_.clauses[i];
  auto& st = *stages_[i];
  auto& ev = run_.eval;
  std::string coll = c.collection.empty()
                       ? run_.collection_bind(c.collection_bind)
                       : c.collection;
  if (!run_.collection_exists(coll))
    throw aql_error(error_kind::collection_not_found,
                    "collection not found: " + coll, c.line, c.column);
  json opts = c.options ? ev.eval(*c.options, en) : json();
  engine::write_op op;
  op.collection = run_.stored(coll);
  json old;
  auto value = ev.eval(*c.e, en);
  if (c.kind == clause_kind::insert) {
    if (!value.is_object())
      runtime_error_at(*c.e, "INSERT needs a document (an object)");
    op.kind = option(opts, "overwrite", false) ? engine::op_kind::put
                                               : engine::op_kind::insert;
    value.erase("_rev");
    value.erase("_id");
    if (auto bad = edge_document_error(value); !bad.empty())
      runtime_error_at(*c.e, "INSERT: " + bad);
    op.doc = document_text(*c.e, value);
  } else {
    const char* what = c.kind == clause_kind::update    ? "UPDATE"
                       : c.kind == clause_kind::replace ? "REPLACE"
                                                        : "REMOVE";
    op.key = key_of(*c.e, value, what);
    old = run_.read_document(coll, op.key);
    if (old.is_null()) {
      if (option(opts, "ignoreErrors", false))
        return true;
      throw aql_error(error_kind::document_not_found,
                      std::string(what) + ": document not found: " + coll +
                        "/" + op.key,
                      c.line, c.column);
    }
    op.if_match = old.value("_rev", "");
    if (c.kind == clause_kind::remove) {
      op.kind = engine::op_kind::remove;
    } else {
      json doc = c.with ? ev.eval(*c.with, en) : std::move(value);
      if (!doc.is_object())
        runtime_error_at(c.with ? *c.with : *c.e,
                         std::string(what) + " needs a document (an object)");
      strip_system(doc);
      if (c.kind == clause_kind::update) {
        json merged = old;
        strip_system(merged);
        merge_into(merged, doc, option(opts, "keepNull", true),
                   option(opts, "mergeObjects", true));
        doc = std::move(merged);
      }
      if (auto bad = edge_document_error(doc); !bad.empty())
        runtime_error_at(c.with ? *c.with : *c.e,
                         std::string(what) + ": " + bad);
      op.kind = engine::op_kind::replace;
      op.doc = document_text(c.with ? *c.with : *c.e, doc);
    }
  }
  st.ops.push_back(std::move(op));
  st.olds.push_back(std::move(old));
  st.envs.push_back(en);
  if (st.ops.size() >= run_.limits.write_batch)
    flush_modify(i);
  return true;
}

void pipeline::flush_modify(size_t i) {
  auto& c = q_.clauses[i];
  auto& st = *stages_[i];
  if (st.ops.empty())
    return;
  run_.check_stop();
  engine::write_batch batch;
  batch.atomic = true;
  batch.ops = std::move(st.ops);
  st.ops.clear();
  auto n = batch.ops.size();
  auto result = run_.writer(std::move(batch));
  if (!result.committed) {
    for (auto& r : result.results) {
      using engine::op_status;
      if (r.status == op_status::ok || r.status == op_status::created ||
          r.status == op_status::not_executed)
        continue;
      auto kind = r.status == op_status::not_found
                    ? error_kind::document_not_found
                  : r.status == op_status::conflict ||
                      r.status == op_status::precondition_failed
                    ? error_kind::conflict
                  : r.status == op_status::collection_not_found
                    ? error_kind::collection_not_found
                    : error_kind::runtime;
      throw aql_error(
        kind, std::string(engine::to_string(r.status)) + ": " + r.message,
        c.line, c.column);
    }
    throw aql_error(error_kind::internal,
                    "write failed: " +
                      (result.error.empty() ? "not committed" : result.error),
                    c.line, c.column);
  }
  run_.progress.writes.fetch_add(n, std::memory_order_relaxed);
  auto envs = std::move(st.envs);
  auto olds = std::move(st.olds);
  st.envs.clear();
  st.olds.clear();
  for (size_t k = 0; k < n && !st.stopped; ++k) {
    auto& en = envs[k];
    auto& r = result.results[k];
    en[static_cast<size_t>(c.new_slot)] =
      c.kind == clause_kind::remove || r.doc.empty()
        ? json()
        : json::parse(r.doc, nullptr, false);
    en[static_cast<size_t>(c.old_slot)] = std::move(olds[k]);
    st.stopped = !push(i + 1, en);
  }
}

} // namespace themis::aql
