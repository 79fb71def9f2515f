/// User functions: storage in `sql_functions`, the catalog's view of them
/// per namespace, and the store writer's CREATE / DROP / ALTER FUNCTION
/// (issue 36).

#include "engine/sql/sql_udf.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "engine/sql/sql_executor.hpp"

namespace themis::sql {

using json = nlohmann::json;

std::vector<uint32_t> function_def::in_types() const {
  std::vector<uint32_t> out;
  for (auto& a : args)
    if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v')
      out.push_back(a.type);
  return out;
}

std::string function_key(const std::string& stored_name,
                         const std::vector<uint32_t>& types) {
  std::string k = stored_name + "(";
  for (size_t i = 0; i < types.size(); ++i)
    k += (i ? "," : "") + std::to_string(types[i]);
  return k + ")";
}

std::string function_def::key() const {
  return function_key(name, in_types());
}

uint32_t function_oid(const std::string& key) {
  return table_oid("function:" + key);
}

std::string to_json(const function_def& f) {
  json args = json::array();
  for (auto& a : f.args)
    args.push_back({{"name", a.name},
                    {"type", a.type},
                    {"type_node", a.type_node},
                    {"mode", std::string(1, a.mode)},
                    {"default_node", a.default_node},
                    {"default_text", a.default_text}});
  return json{
    {"name", f.name},           {"kind", std::string(1, f.kind)},
    {"language", f.language},   {"args", args},
    {"ret_type", f.ret_type},   {"ret_node", f.ret_node},
    {"retset", f.retset},       {"volatility", std::string(1, f.volatility)},
    {"strict", f.strict},       {"security_definer", f.security_definer},
    {"leakproof", f.leakproof}, {"parallel", std::string(1, f.parallel)},
    {"cost", f.cost},           {"rows", f.rows},
    {"config", f.config},       {"body", f.body}}
    .dump();
}

namespace {

char letter(const json& j, const char* key, char dflt) {
  auto s = j.value(key, std::string());
  return s.empty() ? dflt : s[0];
}

} // namespace

function_def function_from_json(const std::string& text) {
  function_def f;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object())
    return f;
  f.name = j.value("name", "");
  f.kind = letter(j, "kind", 'f');
  f.language = j.value("language", "sql");
  for (auto& a : j.value("args", json::array())) {
    function_arg x;
    x.name = a.value("name", "");
    x.type = a.value("type", 25u);
    x.type_node = a.value("type_node", "");
    x.mode = letter(a, "mode", 'i');
    x.default_node = a.value("default_node", "");
    x.default_text = a.value("default_text", "");
    f.args.push_back(std::move(x));
  }
  f.ret_type = j.value("ret_type", fn_type::void_t);
  f.ret_node = j.value("ret_node", "");
  f.retset = j.value("retset", false);
  f.volatility = letter(j, "volatility", 'v');
  f.strict = j.value("strict", false);
  f.security_definer = j.value("security_definer", false);
  f.leakproof = j.value("leakproof", false);
  f.parallel = letter(j, "parallel", 'u');
  f.cost = j.value("cost", 100.0);
  f.rows = j.value("rows", 0.0);
  f.config = j.value("config", std::vector<std::string>{});
  f.body = j.value("body", "");
  f.oid = function_oid(f.key());
  return f;
}

// -- the catalog's functions
// ----------------------------------------------------

void catalog::load_functions(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  // a store older than CREATE FUNCTION has no table: no functions
  if (sqlite3_prepare_v2(db, "SELECT def FROM sql_functions", -1, &s,
                         nullptr) == SQLITE_OK)
    while (sqlite3_step(s) == SQLITE_ROW) {
      auto f = function_from_json(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
      if (!f.name.empty())
        functions_[f.name].push_back(std::move(f));
    }
  sqlite3_finalize(s);
}

void catalog::scope_functions(const catalog& all, const std::string& prefix,
                              bool all_namespaces) {
  // the same namespaces as tables: a tenant sees only its own
  for (auto& [name, fs] : all.functions_) {
    if (!prefix.empty()) {
      if (name.size() > prefix.size() &&
          name.compare(0, prefix.size(), prefix) == 0)
        functions_.emplace(name.substr(prefix.size()), fs);
    } else if (all_namespaces || name.find('.') == std::string::npos) {
      functions_.emplace(name, fs);
    }
  }
}

const std::vector<function_def>*
catalog::find_functions(const std::string& name) const {
  auto it = functions_.find(name);
  return it == functions_.end() || it->second.empty() ? nullptr : &it->second;
}

void catalog::put_function(function_def f) {
  auto& list = functions_[local(f.name)];
  for (auto& g : list)
    if (g.key() == f.key()) {
      g = std::move(f);
      return;
    }
  list.push_back(std::move(f));
}

void catalog::erase_function(const std::string& stored_key) {
  auto paren = stored_key.find('(');
  auto it = functions_.find(local(stored_key.substr(0, paren)));
  if (it == functions_.end())
    return;
  auto& list = it->second;
  for (size_t i = 0; i < list.size(); ++i)
    if (list[i].key() == stored_key) {
      list.erase(list.begin() + static_cast<long>(i));
      break;
    }
  if (list.empty())
    functions_.erase(it);
}

// -- the writer's side
// ------------------------------------------------------------

namespace {

bool key_exists(sqlite3* db, const std::string& key) {
  auto s = prepare_statement(db, "SELECT 1 FROM sql_functions WHERE name = ?1");
  statement_guard g{s};
  bind_value(db, s, 1, value::of_text(key));
  return sqlite3_step(s) == SQLITE_ROW;
}

void exec_with(sqlite3* db, const char* sql, const std::string& a,
               const std::string* b = nullptr) {
  auto s = prepare_statement(db, sql);
  statement_guard g{s};
  bind_value(db, s, 1, value::of_text(a));
  if (b)
    bind_value(db, s, 2, value::of_text(*b));
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE)
    raise_sqlite(db, rc);
}

} // namespace

void apply_function_ddl(catalog& cat, const statement& st) {
  for (auto& key : st.names)
    cat.erase_function(key);
  auto defs = json::parse(st.val.empty() ? "[]" : st.val, nullptr, false);
  if (defs.is_array())
    for (auto& d : defs)
      cat.put_function(function_from_json(d.get<std::string>()));
}

void run_function_ddl(sqlite3* db, write_job& job) {
  auto& st = job.st;
  exec_sql(db, "CREATE TABLE IF NOT EXISTS sql_functions(name TEXT PRIMARY "
               "KEY, def TEXT NOT NULL) WITHOUT ROWID");
  for (auto& key : st.names)
    exec_with(db, "DELETE FROM sql_functions WHERE name = ?1", key);
  auto defs = json::parse(st.val.empty() ? "[]" : st.val, nullptr, false);
  if (defs.is_array())
    for (auto& d : defs) {
      auto f = function_from_json(d.get<std::string>());
      auto key = f.key();
      // two sessions creating the same function: the second one fails as
      // in PostgreSQL (the translator checked only its own catalog)
      if (!st.local && key_exists(db, key))
        throw sql_error("42723",
                        std::string(f.kind == 'p' ? "procedure" : "function") +
                          " \"" + f.name.substr(f.name.rfind('.') + 1) +
                          "\" already exists with same argument "
                          "types");
      std::string def = d.get<std::string>();
      exec_with(db,
                "INSERT INTO sql_functions(name, def) VALUES(?1, ?2) ON "
                "CONFLICT(name) DO UPDATE SET def = excluded.def",
                key, &def);
    }
  if (!st.notice.empty())
    job.result.notice = st.notice;
  job.result.schema_changed = true;
}

} // namespace themis::sql
