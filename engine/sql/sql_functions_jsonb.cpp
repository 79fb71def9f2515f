/// jsonb containment (@>, <@) and quote_literal / quote_nullable (issue
/// 36): Django's JSONField lookups (`attrs__contains`, `contained_by`,
/// `has_key` on nested values) send @>, and asyncpg's copy_from_query
/// inlines its arguments with quote_literal($n::type::text).

#include <string>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "engine/sql/sql_functions.hpp"

namespace themis::sql {

namespace {

using nlohmann::json;

/// PostgreSQL's jsonb containment: objects contain the pairs of the other
/// (recursively), arrays contain every element of the other (in any order,
/// duplicates ignored), and at the top level an array contains a scalar
/// equal to one of its elements.
bool contains(const json& a, const json& b, bool top) {
  if (a.is_object()) {
    if (!b.is_object())
      return false;
    for (auto& [k, v] : b.items()) {
      auto it = a.find(k);
      if (it == a.end() || !contains(*it, v, false))
        return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (!b.is_array()) {
      if (!top || b.is_object())
        return false;
      for (auto& x : a)
        if (!x.is_array() && !x.is_object() && x == b)
          return true;
      return false;
    }
    for (auto& y : b) {
      bool found = false;
      for (auto& x : a)
        if ((y.is_array() || y.is_object()) ? contains(x, y, false)
                                            : (x == y)) {
          found = true;
          break;
        }
      if (!found)
        return false;
    }
    return true;
  }
  return !b.is_array() && !b.is_object() && a == b;
}

bool parse(sqlite3_context* ctx, sqlite3_value* v, json& out) {
  auto* t = reinterpret_cast<const char*>(sqlite3_value_text(v));
  out = json::parse(t ? t : "", nullptr, false);
  if (out.is_discarded()) {
    static const char m[] = "22P02\x1finvalid input syntax for type json";
    sqlite3_result_error(ctx, m, sizeof m - 1);
    return false;
  }
  return true;
}

void fn_jsonb_contains(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
      sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  json a, b;
  if (!parse(ctx, argv[0], a) || !parse(ctx, argv[1], b))
    return;
  sqlite3_result_int(ctx, contains(a, b, true) ? 1 : 0);
}

/// quote_literal: 'text' with quotes doubled; a text holding a backslash
/// becomes E'…' with the backslashes doubled, as PostgreSQL writes it.
std::string quote_literal_text(const std::string& s) {
  bool esc = s.find('\\') != std::string::npos;
  std::string out = esc ? "E'" : "'";
  for (char c : s) {
    if (c == '\'' || (esc && c == '\\'))
      out.push_back(c);
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

void fn_quote(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    // quote_literal(NULL) is NULL, quote_nullable(NULL) the word NULL
    if (sqlite3_user_data(ctx))
      sqlite3_result_text(ctx, "NULL", 4, SQLITE_STATIC);
    else
      sqlite3_result_null(ctx);
    return;
  }
  auto* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  auto q = quote_literal_text(t ? t : "");
  sqlite3_result_text(ctx, q.data(), static_cast<int>(q.size()),
                      SQLITE_TRANSIENT);
}

} // namespace

void register_jsonb_functions(sqlite3* db) {
  sqlite3_create_function_v2(db, "themis_jsonb_contains", 2,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             fn_jsonb_contains, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "themis_quote_literal", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             fn_quote, nullptr, nullptr, nullptr);
  static int nullable = 1;
  sqlite3_create_function_v2(db, "themis_quote_nullable", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, &nullable,
                             fn_quote, nullptr, nullptr, nullptr);
}

} // namespace themis::sql
