#include "engine/aql/query_run.hpp"

#include <algorithm>

#include "engine/names.hpp"

#include <sqlite3.h>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/pipeline.hpp"

namespace themis::aql {

int progress_callback(void* p) {
  auto* run = static_cast<query_run*>(p);
  auto* stop = run->limits.server_stop;
  return run->progress.cancel.load(std::memory_order_relaxed) ||
         (stop && stop->load(std::memory_order_relaxed)) ||
         std::chrono::steady_clock::now() > run->limits.deadline;
}

query_run::query_run(sqlite3* db, const parsed_query& q, const json& bind_vars,
                     const write_fn& writer, run_progress& progress,
                     const run_limits& limits) :
  writer(writer),
  progress(progress), limits(limits), db_(db) {
  binds_ = bind_vars.is_object() ? bind_vars : json::object();
  if (!bind_vars.is_null() && !bind_vars.is_object())
    throw aql_error(error_kind::semantic, "bindVars must be an object");
  for (auto& n : q.bind_names)
    if (!binds_.contains(n))
      throw aql_error(error_kind::semantic,
                      "no value specified for bind parameter '" + n + "'");
  for (auto& n : q.collection_binds) {
    auto it = binds_.find("@" + n);
    if (it == binds_.end())
      throw aql_error(error_kind::semantic,
                      "no value specified for collection bind parameter '@" +
                        n + "'");
    if (!it->is_string() || it->get_ref<const std::string&>().empty())
      throw aql_error(error_kind::semantic, "collection bind parameter '@" + n +
                                              "' must be a collection name");
    // ThemisDB's "model.namespace.collection" (two dots or more; a tenant
    // qualified name has one) is the collection its entities live in
    auto& v = it->get_ref<const std::string&>();
    if (std::count(v.begin(), v.end(), '.') >= 2) {
      auto mapped = engine::collection_of_themisdb_table(v);
      if (mapped.empty())
        throw aql_error(error_kind::semantic,
                        "collection bind parameter '@" + n +
                          "': not a valid table name: " + v);
      *it = mapped;
    }
  }
  for (auto& [k, v] : binds_.items()) {
    bool known =
      k.size() > 1 && k[0] == '@'
        ? std::find(q.collection_binds.begin(), q.collection_binds.end(),
                    k.substr(1)) != q.collection_binds.end()
        : std::find(q.bind_names.begin(), q.bind_names.end(), k) !=
            q.bind_names.end();
    if (!known)
      throw aql_error(error_kind::semantic,
                      "bind parameter '" + k +
                        "' was not declared in the query");
  }
  sqlite3_progress_handler(db_, 1000, progress_callback, this);
}

query_run::~query_run() {
  for (auto& [sql, s] : stmts_)
    sqlite3_finalize(s);
  sqlite3_progress_handler(db_, 0, nullptr, nullptr);
}

void query_run::check_stop() {
  if (progress.cancel.load(std::memory_order_relaxed))
    throw aql_error(error_kind::cancelled, "query cancelled");
  if (limits.server_stop && limits.server_stop->load(std::memory_order_relaxed))
    throw aql_error(error_kind::cancelled, "query cancelled: the server is "
                                           "shutting down");
  if (std::chrono::steady_clock::now() > limits.deadline)
    throw aql_error(error_kind::timeout, "query exceeded its time limit");
}

const json& query_run::bind_value(const std::string& name) {
  return binds_[name];
}

const std::string& query_run::collection_bind(const std::string& name) {
  return binds_["@" + name].get_ref<const std::string&>();
}

sqlite3_stmt* query_run::prepare(const std::string& sql) {
  auto it = stmts_.find(sql);
  if (it != stmts_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr) != SQLITE_OK)
    throw aql_error(error_kind::internal,
                    std::string("engine: ") + sqlite3_errmsg(db_));
  stmts_.emplace(sql, s);
  return s;
}

bool query_run::step(sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  sqlite3_reset(s);
  if (rc == SQLITE_INTERRUPT)
    check_stop();
  throw aql_error(error_kind::internal,
                  std::string("engine: ") + sqlite3_errstr(rc));
}

void query_run::bind_params(sqlite3_stmt* s, const std::vector<json>& params,
                            int from) {
  int i = from;
  for (auto& p : params) {
    if (p.is_number_integer())
      sqlite3_bind_int64(s, i, p.get<int64_t>());
    else if (p.is_number())
      sqlite3_bind_double(s, i, p.get<double>());
    else if (p.is_string()) {
      auto& str = p.get_ref<const std::string&>();
      sqlite3_bind_text(s, i, str.data(), static_cast<int>(str.size()),
                        SQLITE_TRANSIENT);
    } else
      sqlite3_bind_null(s, i);
    ++i;
  }
}

std::string query_run::stored(const std::string& name) const {
  if (name.find('.') != std::string::npos)
    return limits.tenant.empty() && limits.all_tenants ? name : std::string();
  return limits.tenant.empty() ? name : limits.tenant + "." + name;
}

bool query_run::collection_exists(const std::string& name) {
  auto it = exists_.find(name);
  if (it != exists_.end())
    return it->second;
  if (limits.overlay) // created by a write staged in the transaction
    if (auto c = limits.overlay->collection(stored(name)); c && !c->empty())
      return exists_[name] = true;
  auto s = prepare("SELECT 1 FROM collections WHERE name = ?");
  bind_params(s, {json(stored(name))}, 1);
  bool found = step(s);
  sqlite3_reset(s);
  exists_[name] = found;
  return found;
}

std::string query_run::select_sql(const pushdown_plan& plan) {
  std::string sql = "SELECT ";
  if (plan.whole)
    return sql + "doc";
  if (plan.attributes.empty())
    return sql + "NULL"; // the loop variable is never read: only count rows
  for (size_t i = 0; i < plan.attributes.size(); ++i) {
    auto& a = plan.attributes[i];
    sql += i ? ", " : "";
    // type and SQL value: scalars need no JSON parsing at all
    auto path = "'$.\"" + a + "\"'";
    sql += "json_type(doc, " + path + "), doc ->> " + path;
  }
  return sql;
}

const std::vector<engine::side_index>&
query_run::side_indexes(const std::string& stored_name) {
  auto it = side_.find(stored_name);
  if (it == side_.end())
    it =
      side_.emplace(stored_name, engine::ready_side_indexes(db_, stored_name))
        .first;
  return it->second;
}

std::string query_run::where_sql(const std::string& collection,
                                 const pushdown_plan& plan, env& en,
                                 std::vector<json>& params) {
  // values evaluated first: a range is index-friendly only next to its
  // other bound (conditions_sql, issue 22)
  std::vector<json> held(plan.conditions.size());
  std::vector<const json*> values;
  for (size_t i = 0; i < plan.conditions.size(); ++i)
    values.push_back(eval.eval_ref(*plan.conditions[i].value, en, held[i]));
  static const std::vector<engine::side_index> none;
  auto& side =
    plan.conditions.empty() ? none : side_indexes(stored(collection));
  return conditions_sql(plan.conditions, values, params, side);
}

bool query_run::scan(const std::string& collection, const pushdown_plan& plan,
                     env& en, const std::function<bool(json&)>& f,
                     bool* ordered) {
  if (ordered)
    *ordered = false;
  if (!collection_exists(collection))
    throw aql_error(error_kind::collection_not_found,
                    "collection or view not found: " + collection);
  // Inside a transaction, its staged documents replace the committed ones
  // of the same key; whole documents are read so each row's _key is known.
  const std::map<std::string, std::optional<std::string>>* staged = nullptr;
  if (limits.overlay)
    staged = limits.overlay->collection(stored(collection));
  if (staged && !plan.whole) {
    pushdown_plan whole = plan;
    whole.whole = true;
    whole.attributes.clear();
    return scan(collection, whole, en, f);
  }
  if (staged) {
    for (auto& [key, doc] : *staged) {
      if (!doc)
        continue;
      auto d = json::parse(*doc, nullptr, false);
      progress.rows_scanned.fetch_add(1, std::memory_order_relaxed);
      if (!d.is_discarded() && !f(d))
        return false;
    }
  }
  std::vector<json> params{json(stored(collection))};
  auto where = where_sql(collection, plan, en, params);
  if (!staged && ordered && plan.sort)
    if (auto done = scan_ordered(collection, plan, where, params, f, *ordered))
      return *done;
  auto sql = select_sql(plan) + " FROM documents WHERE collection = ?" + where +
             " ORDER BY key";
  return scan_rows(sql, params, plan, staged, f);
}

bool query_run::scan_rows(const std::string& sql,
                          const std::vector<json>& params,
                          const pushdown_plan& plan, const staged_docs* staged,
                          const std::function<bool(json&)>& f) {
  auto s = prepare(sql);
  bind_params(s, params, 1);
  // A nested loop over the same collection needs its own cursor: take the
  // statement out of the cache while it runs.
  stmts_.erase(sql);
  struct finalize {
    query_run* self;
    std::string sql;
    sqlite3_stmt* s;
    ~finalize() {
      sqlite3_reset(s);
      if (!self->stmts_.emplace(sql, s).second)
        sqlite3_finalize(s);
    }
  } guard{this, sql, s};
  while (step(s)) {
    progress.rows_scanned.fetch_add(1, std::memory_order_relaxed);
    if ((++ticks_ & 255) == 0)
      check_stop();
    json doc = read_row(s, plan);
    if (staged) {
      auto k = doc.find("_key");
      if (k != doc.end() && k->is_string() &&
          staged->count(k->get_ref<const std::string&>()))
        continue; // staged in the transaction: seen above (or deleted)
    }
    if (!f(doc))
      return false;
  }
  return true;
}

json query_run::read_row(sqlite3_stmt* s, const pushdown_plan& plan) {
  json doc;
  if (plan.whole) {
    auto text = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    auto len = static_cast<size_t>(sqlite3_column_bytes(s, 0));
    return json::parse(text, text + len, nullptr, false);
  }
  doc = json::object();
  for (size_t i = 0; i < plan.attributes.size(); ++i) {
    auto col = static_cast<int>(2 * i);
    auto type = reinterpret_cast<const char*>(sqlite3_column_text(s, col));
    if (!type)
      continue; // attribute absent: reads as null
    auto& slot = doc[plan.attributes[i]];
    switch (type[0]) {
      case 'i':
        slot = sqlite3_column_int64(s, col + 1);
        break;
      case 'r':
        slot = sqlite3_column_double(s, col + 1);
        break;
      case 't':
        if (type[1] == 'e') { // text
          auto p =
            reinterpret_cast<const char*>(sqlite3_column_text(s, col + 1));
          slot = std::string(
            p, static_cast<size_t>(sqlite3_column_bytes(s, col + 1)));
        } else {
          slot = true;
        }
        break;
      case 'f':
        slot = false;
        break;
      case 'n':
        slot = nullptr;
        break;
      default: { // object, array: JSON text
        auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, col + 1));
        auto len = static_cast<size_t>(sqlite3_column_bytes(s, col + 1));
        slot = json::parse(p, p + len, nullptr, false);
      }
    }
  }
  return doc;
}

json query_run::load_collection(const std::string& name) {
  json out = json::array();
  env none;
  scan(name, {}, none, [&](json& d) {
    out.push_back(std::move(d));
    return true;
  });
  return out;
}

json query_run::read_document(const std::string& collection,
                              const std::string& key) {
  if (limits.overlay)
    if (auto staged = limits.overlay->find(stored(collection), key))
      return *staged ? json::parse(**staged, nullptr, false) : json();
  auto s =
    prepare("SELECT doc FROM documents WHERE collection = ? AND key = ?");
  bind_params(s, {json(stored(collection)), json(key)}, 1);
  json out;
  if (step(s)) {
    auto text = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    out = json::parse(text, text + sqlite3_column_bytes(s, 0), nullptr, false);
  }
  sqlite3_reset(s);
  return out;
}

json query_run::run_subquery(const query& q, env& e) {
  json out = json::array();
  pipeline p(*this, q, [&](json row) {
    out.push_back(std::move(row));
    return true;
  });
  p.run(e);
  return out;
}

} // namespace themis::aql
