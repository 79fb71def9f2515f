/// APPROX_NEAR and FULLTEXT: AQL's way into the search service's vector
/// and full-text indexes. They wait (bounded) until the index has applied
/// the change log up to the query's own snapshot, then read the hit
/// documents from that snapshot (a hit whose document the snapshot does
/// not hold is left out), so results and the rest of the query agree.

#include <sqlite3.h>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/executor.hpp"
#include "engine/aql/function_context.hpp"
#include "engine/aql/functions_impl.hpp"
#include "engine/search/fts_query.hpp"
#include "engine/search/search_service.hpp"

namespace themis::aql {

namespace {

thread_local const function_context* t_ctx = nullptr;

} // namespace

const function_context* current_function_context() {
  return t_ctx;
}

function_scope::function_scope(sqlite3* db, const run_limits& limits) :
  ctx_{db, &limits}, prev_(t_ctx) {
  t_ctx = &ctx_;
}

function_scope::~function_scope() {
  t_ctx = prev_;
}

namespace fn {

namespace {

struct call {
  const function_context* ctx;
  search::search_service* svc;
  std::string collection; ///< stored name
  std::string attribute;
};

call prepare_call(const args_t& args, const char* fname) {
  call c{current_function_context(), search::search_service::global(), {}, {}};
  if (!c.ctx || !c.svc)
    throw aql_error(error_kind::runtime,
                    std::string(fname) + "() is not available here");
  const json& coll = arg(args, 0);
  const json& attr = arg(args, 1);
  if (!coll.is_string() || !attr.is_string())
    throw aql_error(error_kind::runtime,
                    std::string(fname) +
                      "(): collection and attribute must be strings");
  auto name = coll.get<std::string>();
  auto& l = *c.ctx->limits;
  // the query's namespace, as query_run::stored maps collection names
  if (name.find('.') != std::string::npos)
    c.collection = l.tenant.empty() && l.all_tenants ? name : std::string();
  else
    c.collection = l.tenant.empty() ? name : l.tenant + "." + name;
  c.attribute = attr.get<std::string>();
  if (c.collection.empty())
    throw aql_error(error_kind::collection_not_found,
                    "collection or view not found: " + name);
  return c;
}

uint64_t snapshot_sequence(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  uint64_t seq = 0;
  if (sqlite3_prepare_v2(db, "SELECT COALESCE(max(seq), 0) FROM changelog", -1,
                         &s, nullptr) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    seq = static_cast<uint64_t>(sqlite3_column_int64(s, 0));
  sqlite3_finalize(s);
  return seq;
}

json load_doc(sqlite3* db, const std::string& collection,
              const std::string& key) {
  sqlite3_stmt* s = nullptr;
  json out;
  if (sqlite3_prepare_v2(
        db, "SELECT doc FROM documents WHERE collection = ?1 AND key = ?2", -1,
        &s, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(s, 1, collection.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, key.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW)
      out =
        json::parse(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                    nullptr, false);
  }
  sqlite3_finalize(s);
  return out.is_discarded() ? json() : out;
}

size_t count_arg(const args_t& args, size_t i, size_t def, const char* fname) {
  const json& v = arg(args, i);
  if (v.is_null())
    return def;
  if (!v.is_number() || to_int64(v) < 1 ||
      to_int64(v) > static_cast<int64_t>(vector::max_k))
    throw aql_error(error_kind::runtime, std::string(fname) +
                                           "(): the count must be from 1 to " +
                                           std::to_string(vector::max_k));
  return static_cast<size_t>(to_int64(v));
}

template <typename F>
auto with_search_errors(F&& f) {
  try {
    return f();
  } catch (const search::search_error& e) {
    // no such index, building, behind: the query's error (400)
    throw aql_error(error_kind::runtime, e.what());
  }
}

} // namespace

json approx_near(args_t& args) {
  auto c = prepare_call(args, "APPROX_NEAR");
  size_t k = count_arg(args, 3, 10, "APPROX_NEAR");
  return with_search_errors([&] {
    auto idx =
      c.svc->resolve(search::index_kind::vector, c.collection, {}, c.attribute);
    std::vector<float> q;
    auto why = vector::parse_vector(arg(args, 2), idx.def.dimension, q);
    if (!why.empty())
      throw aql_error(error_kind::runtime, "APPROX_NEAR(): " + why);
    c.svc->wait_applied(idx.def.id, snapshot_sequence(c.ctx->db));
    json out = json::array();
    for (auto& h : c.svc->vector_search(idx.def.id, q, k)) {
      auto doc = load_doc(c.ctx->db, c.collection, h.key);
      if (doc.is_null())
        continue;
      out.push_back({{"doc", std::move(doc)},
                     {"distance", h.distance},
                     {"score", vector::score_of(idx.def.metric, h.distance)}});
    }
    return out;
  });
}

json fulltext(args_t& args) {
  auto c = prepare_call(args, "FULLTEXT");
  size_t limit = count_arg(args, 3, 100, "FULLTEXT");
  const json& q = arg(args, 2);
  if (!q.is_string())
    throw aql_error(error_kind::runtime,
                    "FULLTEXT(): the query must be a string");
  auto t = search::translate_fts_query(q.get<std::string>());
  if (!t.error.empty())
    throw aql_error(error_kind::runtime, "FULLTEXT(): " + t.error);
  return with_search_errors([&] {
    auto idx = c.svc->resolve(search::index_kind::fulltext, c.collection, {},
                              c.attribute);
    c.svc->wait_applied(idx.def.id, snapshot_sequence(c.ctx->db));
    json out = json::array();
    for (auto& h : c.svc->fulltext_search(idx.def.id, t.match, limit)) {
      auto doc = load_doc(c.ctx->db, c.collection, h.key);
      if (doc.is_null())
        continue;
      out.push_back({{"doc", std::move(doc)}, {"score", h.score}});
    }
    return out;
  });
}

} // namespace fn

} // namespace themis::aql
