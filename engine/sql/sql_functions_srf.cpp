/// Functions behind set-returning functions, pg_sleep() and the scalar
/// subquery check (issue 36): registered with the others by
/// register_functions().

#include <cctype>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_functions_array.hpp"
#include "engine/sql/sql_types.hpp"

namespace themis::sql {

namespace {

/// True when the session's statement was cancelled or the session
/// terminated. The front-end's progress handler and sqlite3_interrupt() act
/// only while SQLite runs VM steps, never while a function sleeps: a small
/// nested statement of more than 1000 steps on the same connection runs
/// both checks (it fails with SQLITE_INTERRUPT when either fires).
bool interrupted(sqlite3* db) {
  static const char* probe =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 400) SELECT count(*) FROM c";
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, probe, -1, &st, nullptr) != SQLITE_OK)
    return (sqlite3_errcode(db) & 0xff) == SQLITE_INTERRUPT;
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return (rc & 0xff) == SQLITE_INTERRUPT;
}

/// themis_pg_sleep(seconds): sleeps in steps of at most 10 ms, checking
/// for a cancel between them. Negative, zero and NaN return at once (as in
/// PostgreSQL); the result is void (an empty text).
void fn_pg_sleep(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_user_data(ctx))
    return result_error(ctx, "0A000",
                "pg_sleep() cannot run after a write in the same "
                "transaction block (it would hold the store writer)");
  if (sqlite3_value_type(a[0]) != SQLITE_NULL) {
    double secs = sqlite3_value_double(a[0]);
    if (std::isnan(secs))
      secs = 0;
    auto db = sqlite3_context_db_handle(ctx);
    using clock = std::chrono::steady_clock;
    auto start = clock::now();
    // a year at most: still cancellable at every step
    double bounded = std::min(secs, 365.0 * 24 * 3600);
    auto end = start + std::chrono::microseconds(
                         static_cast<int64_t>(std::max(bounded, 0.0) * 1e6));
    if (interrupted(db))
      return result_error(ctx, "57014", "canceling statement due to user request");
    for (auto now = clock::now(); now < end; now = clock::now()) {
      std::this_thread::sleep_for(
        std::min<clock::duration>(end - now, std::chrono::milliseconds(10)));
      if (interrupted(db))
        return result_error(ctx, "57014", "canceling statement due to user request");
    }
  }
  sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
}

/// themis_interval_seconds(text): an interval's text ('1.5 seconds',
/// '100 ms', '2 min 3 s', '00:00:01.5', '-1 day') in seconds, for
/// pg_sleep_for(); 22007 for anything else.
void fn_interval_seconds(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  if (sqlite3_value_type(a[0]) != SQLITE_TEXT)
    return sqlite3_result_double(ctx, sqlite3_value_double(a[0]));
  std::string s(reinterpret_cast<const char*>(sqlite3_value_text(a[0])),
                static_cast<size_t>(sqlite3_value_bytes(a[0])));
  auto bad = [&] {
    result_error(ctx, "22007", "invalid input syntax for type interval: \"" + s + "\"");
  };
  double total = 0;
  size_t i = 0, n = s.size();
  bool any = false;
  auto space = [&] {
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
      ++i;
  };
  auto number = [&](double& v) {
    size_t start = i;
    if (i < n && (s[i] == '-' || s[i] == '+'))
      ++i;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
      ++i;
    if (i == start || (i == start + 1 && (s[start] == '-' || s[start] == '+')))
      return false;
    try {
      v = std::stod(s.substr(start, i - start));
    } catch (...) {
      return false;
    }
    return true;
  };
  for (space(); i < n; space()) {
    double v = 0;
    size_t tok = i;
    if (!number(v))
      return bad();
    if (i < n && s[i] == ':') { // [-]hh:mm[:ss[.fff]]
      double m = 0, sec = 0;
      ++i;
      if (!number(m))
        return bad();
      if (i < n && s[i] == ':') {
        ++i;
        if (!number(sec))
          return bad();
      }
      double sign = s[tok] == '-' ? -1 : 1;
      total += sign * (std::fabs(v) * 3600 + m * 60 + sec);
      any = true;
      continue;
    }
    space();
    size_t u = i;
    while (i < n && std::isalpha(static_cast<unsigned char>(s[i])))
      ++i;
    std::string unit = s.substr(u, i - u);
    for (auto& c : unit)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (unit.size() > 1 && unit.back() == 's' && unit != "ms" && unit != "s")
      unit.pop_back();
    double f;
    if (unit.empty() || unit == "s" || unit == "sec" || unit == "second")
      f = 1;
    else if (unit == "ms" || unit == "msec" || unit == "millisecond")
      f = 1e-3;
    else if (unit == "us" || unit == "usec" || unit == "microsecond")
      f = 1e-6;
    else if (unit == "m" || unit == "min" || unit == "minute")
      f = 60;
    else if (unit == "h" || unit == "hr" || unit == "hour")
      f = 3600;
    else if (unit == "d" || unit == "day")
      f = 86400;
    else if (unit == "w" || unit == "week")
      f = 7 * 86400;
    else
      return bad();
    total += v * f;
    any = true;
  }
  if (!any)
    return bad();
  sqlite3_result_double(ctx, total);
}

/// themis_array_json(array): a PostgreSQL array literal ('{a,"b c",NULL}')
/// as a JSON array of its elements (text; unquoted NULL as null), which
/// json_each() then unnests. A JSON array passes through.
void fn_array_json(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_text(ctx, "[]", 2, SQLITE_STATIC);
  try {
    std::string s(reinterpret_cast<const char*>(sqlite3_value_text(a[0])),
                  static_cast<size_t>(sqlite3_value_bytes(a[0])));
    if (!s.empty() && s.front() == '[')
      return sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()),
                                 SQLITE_TRANSIENT);
    auto out = nlohmann::json::array();
    for (auto& x : pg_array_items(s))
      if (x == "NULL")
        out.push_back(nullptr);
      else
        out.push_back(x);
    auto j = out.dump();
    sqlite3_result_text(ctx, j.data(), static_cast<int>(j.size()),
                        SQLITE_TRANSIENT);
  } catch (const sql_error& e) {
    result_error(ctx, e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    result_error(ctx, "XX000", e.what());
  }
}

/// themis_gs_step(step): 1, or 22023 for a zero step (generate_series).
void fn_gs_step(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) != SQLITE_NULL &&
      sqlite3_value_double(a[0]) == 0)
    return result_error(ctx, "22023", "step size cannot equal zero");
  sqlite3_result_int(ctx, 1);
}

/// themis_subquery_rows(): a scalar subquery returned a second row.
void fn_subquery_rows(sqlite3_context* ctx, int, sqlite3_value**) {
  result_error(ctx, "21000",
       "more than one row returned by a subquery used as an expression");
}

} // namespace

std::string error_trailer(const std::string& schema, const std::string& table,
                          const std::string& column,
                          const std::string& constraint,
                          const std::string& detail) {
  std::string out;
  auto add = [&](char code, const std::string& v) {
    if (!v.empty() && v.find('\x1e') == std::string::npos)
      out += std::string("\x1e") + code + v;
  };
  add('s', schema);
  add('t', table);
  add('c', column);
  add('n', constraint);
  add('D', detail);
  return out;
}

error_object split_error_object(const std::string& what) {
  error_object o;
  auto cut = what.find('\x1e');
  o.message = what.substr(0, cut);
  while (cut != std::string::npos) {
    auto next = what.find('\x1e', cut + 1);
    auto f = what.substr(cut + 1, next == std::string::npos ? std::string::npos
                                                            : next - cut - 1);
    cut = next;
    if (f.empty())
      continue;
    auto v = f.substr(1);
    switch (f[0]) {
      case 's':
        o.schema = v;
        break;
      case 't':
        o.table = v;
        break;
      case 'c':
        o.column = v;
        break;
      case 'n':
        o.constraint = v;
        break;
      case 'D':
        o.detail = v;
        break;
      default:
        break;
    }
  }
  return o;
}

void register_srf_functions(sqlite3* db, bool writer) {
  register_array_functions(db);
  register_jsonb_functions(db); // sql_functions_jsonb.cpp (issue 36)
  register_dump_functions(db);  // sql_functions_dump.cpp (issue 36)
  sqlite3_create_function_v2(db, "themis_pg_sleep", 1, SQLITE_UTF8,
                             writer ? db : nullptr, fn_pg_sleep, nullptr,
                             nullptr, nullptr);
  sqlite3_create_function_v2(db, "themis_interval_seconds", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             fn_interval_seconds, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "themis_array_json", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             fn_array_json, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "themis_gs_step", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             fn_gs_step, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "themis_subquery_rows", 0, SQLITE_UTF8,
                             nullptr, fn_subquery_rows, nullptr, nullptr,
                             nullptr);
}

} // namespace themis::sql
