/// jsonb key existence `?`, `?|`, `?&` and path extraction `#>` / `#>>`
/// (Django's has_key / has_any_keys / has_keys and nested key transforms,
/// SQLAlchemy's JSONB comparators); containment is in
/// sql_functions_jsonb.cpp. Text arrays arrive as JSON arrays (the array
/// representation of engine/sql/pg_array.cpp).

#include <sqlite3.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_types.hpp"
#include "themis/input_limits.hpp"

namespace themis::sql {

namespace {

using json = nlohmann::json;

/// The argument as JSON; false (and an error set) when it is not JSON.
bool arg_json(sqlite3_context* ctx, sqlite3_value* v, json& out) {
  auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  std::string_view text(p ? p : "",
                        static_cast<size_t>(sqlite3_value_bytes(v)));
  if (!themis::json_depth_ok(text)) {
    result_error(ctx, "54001", "JSON nested too deeply");
    return false;
  }
  out = json::parse(text, nullptr, false);
  if (out.is_discarded()) {
    result_error(ctx, "22P02", "invalid input syntax for type json");
    return false;
  }
  return true;
}

/// `?` (mode 0), `?|` (1: any of the keys), `?&` (2: all of them): keys
/// of an object, or string elements of an array.
void fn_exists(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
      sqlite3_value_type(argv[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  json a;
  if (!arg_json(ctx, argv[0], a))
    return;
  int mode = sqlite3_value_int(argv[2]);
  std::vector<std::string> keys;
  if (mode == 0) {
    auto p = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
    keys.emplace_back(p ? p : "");
  } else {
    json k;
    if (!arg_json(ctx, argv[1], k))
      return;
    if (!k.is_array())
      return result_error(ctx, "22P02", "malformed array literal");
    for (auto& x : k)
      if (x.is_string())
        keys.push_back(x.get<std::string>());
  }
  auto has = [&](const std::string& key) {
    if (a.is_object())
      return a.contains(key);
    if (a.is_array())
      for (auto& x : a)
        if (x.is_string() && x.get<std::string>() == key)
          return true;
    return a.is_string() && a.get<std::string>() == key;
  };
  bool out = mode != 1;
  for (auto& key : keys)
    out = mode == 1 ? out || has(key) : out && has(key);
  sqlite3_result_int(ctx, out ? 1 : 0);
}

/// `#>` (as_text 0) and `#>>` (1): the value at a path of keys and array
/// indexes (negative counting from the end), NULL when it is absent.
void fn_path(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
      sqlite3_value_type(argv[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  json a, path;
  if (!arg_json(ctx, argv[0], a) || !arg_json(ctx, argv[1], path))
    return;
  if (!path.is_array())
    return result_error(ctx, "22P02", "malformed array literal");
  const json* at = &a;
  for (auto& step : path) {
    if (!step.is_string())
      return sqlite3_result_null(ctx);
    auto key = step.get<std::string>();
    if (at->is_object()) {
      auto it = at->find(key);
      if (it == at->end())
        return sqlite3_result_null(ctx);
      at = &*it;
    } else if (at->is_array()) {
      char* end = nullptr;
      long i = std::strtol(key.c_str(), &end, 10);
      if (key.empty() || *end)
        return sqlite3_result_null(ctx);
      auto n = static_cast<long>(at->size());
      if (i < 0)
        i += n;
      if (i < 0 || i >= n)
        return sqlite3_result_null(ctx);
      at = &(*at)[static_cast<size_t>(i)];
    } else {
      return sqlite3_result_null(ctx);
    }
  }
  std::string out;
  if (sqlite3_value_int(argv[2]) && at->is_string())
    out = at->get<std::string>();
  else if (sqlite3_value_int(argv[2]) && at->is_null())
    return sqlite3_result_null(ctx);
  else
    out = at->dump();
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()),
                      SQLITE_TRANSIENT);
}

void add(sqlite3* db, const char* name, int n,
         void (*f)(sqlite3_context*, int, sqlite3_value**)) {
  sqlite3_create_function_v2(db, name, n, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                             nullptr, f, nullptr, nullptr, nullptr);
}

} // namespace

void register_jsonb_ops(sqlite3* db) {
  add(db, "themis_jsonb_exists", 3, fn_exists);
  add(db, "themis_jsonb_path", 3, fn_path);
}

} // namespace themis::sql
