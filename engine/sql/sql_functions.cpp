#include "engine/sql/sql_functions.hpp"

#include <cmath>
#include <cstring>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <regex.h>
#include <sqlite3.h>
#include <string>
#include <vector>

#include "engine/collection_schema.hpp"
#include "engine/names.hpp"
#include "engine/sql/pg_datetime.hpp"
#include "engine/sql/pg_numeric.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_functions_numeric.hpp"
#include "engine/sql/sql_lateral_vtab.hpp"
#include "engine/sql/sql_sequences.hpp"
#include "engine/sql/sql_udf.hpp"
#include "engine/sql/sql_vector_vtab.hpp"
#include "engine/sql/session_functions.hpp"

namespace themis::sql {

void result_error(sqlite3_context* ctx, const std::string& state,
                  const std::string& msg) {
  auto m = state + "\x1f" + msg;
  sqlite3_result_error(ctx, m.c_str(), static_cast<int>(m.size()));
}

namespace {

std::string text_arg(sqlite3_value* v);

value arg(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return value::of(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return value::of_real(sqlite3_value_double(v));
    case SQLITE_TEXT:
      return value::of_text(
        std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                    static_cast<size_t>(sqlite3_value_bytes(v))));
    case SQLITE_BLOB: {
      value x;
      x.k = value::kind::blob;
      auto p = static_cast<const char*>(sqlite3_value_blob(v));
      x.s.assign(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
      return x;
    }
    default:
      return {};
  }
}

void result(sqlite3_context* ctx, const value& v) {
  switch (v.k) {
    case value::kind::null:
      sqlite3_result_null(ctx);
      break;
    case value::kind::integer:
      sqlite3_result_int64(ctx, v.i);
      break;
    case value::kind::real:
      sqlite3_result_double(ctx, v.d);
      break;
    case value::kind::text:
      sqlite3_result_text(ctx, v.s.data(), static_cast<int>(v.s.size()),
                          SQLITE_TRANSIENT);
      break;
    case value::kind::blob:
      sqlite3_result_blob(ctx, v.s.data(), static_cast<int>(v.s.size()),
                          SQLITE_TRANSIENT);
      break;
  }
}

template <class F>
void guarded(sqlite3_context* ctx, F&& f) {
  try {
    f();
  } catch (const sql_error& e) {
    result_error(ctx, e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    result_error(ctx, "XX000", e.what());
  }
}

void fn_cast(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    result(ctx,
           coerce(arg(a[0]), static_cast<uint32_t>(sqlite3_value_int64(a[1]))));
  });
}

void fn_coerce(sqlite3_context* ctx, int, sqlite3_value** a) {
  guarded(ctx, [&] {
    auto v = arg(a[0]);
    if (v.is_null() && sqlite3_value_int(a[2])) {
      // "column\x1etable" (the table since issue 36)
      auto p = reinterpret_cast<const char*>(sqlite3_value_text(a[3]));
      std::string col = p ? p : "", table;
      if (auto cut = col.find('\x1e'); cut != std::string::npos) {
        table = col.substr(cut + 1);
        col.resize(cut);
      }
      throw sql_error(
        "23502",
        "null value in column \"" + col + "\"" +
          (table.empty() ? std::string() : " of relation \"" + table + "\"") +
          " violates not-null constraint" +
          error_trailer("public", table, col, ""));
    }
    auto o = static_cast<uint32_t>(sqlite3_value_int64(a[1]));
    if ((o == oid::int2 || o == oid::int4 || o == oid::int8) &&
        v.k == value::kind::text && v.s.find_first_of(".eE") != v.s.npos &&
        v.s.find_first_of("0123456789") != v.s.npos) {
      // a numeric assigned to an integer column rounds (issue 36)
      sqlite3_result_int64(ctx, num::to_int(numeric_of(v),
                                            o == oid::int2   ? "smallint"
                                            : o == oid::int4 ? "integer"
                                                             : "bigint"));
      return;
    }
    result(ctx, coerce(v, o));
  });
}

/// A float column's value for its document: SQLite's JSON writes doubles
/// with 15 digits, so a finite double goes in as its shortest exact
/// spelling marked as JSON (subtype 'J'); NaN and infinities arrive as
/// text (coerce) and stay JSON strings.
void fn_float_json(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) != SQLITE_FLOAT) {
    sqlite3_result_value(ctx, a[0]);
    return;
  }
  auto v = float_value(sqlite3_value_double(a[0]));
  if (v.k == value::kind::text) {
    result(ctx, v);
    return;
  }
  auto t = to_text(v, oid::float8);
  if (t == "-0")
    t = "-0.0"; // "-0" would read back as the integer 0
  sqlite3_result_text(ctx, t.data(), static_cast<int>(t.size()),
                      SQLITE_TRANSIENT);
  sqlite3_result_subtype(ctx, 'J');
}

void fn_now(sqlite3_context* ctx, int, sqlite3_value**) {
  auto t = now_timestamptz();
  sqlite3_result_text(ctx, t.data(), static_cast<int>(t.size()),
                      SQLITE_TRANSIENT);
}

void fn_idiv(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL ||
      sqlite3_value_type(a[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  if (sqlite3_value_type(a[0]) == SQLITE_INTEGER &&
      sqlite3_value_type(a[1]) == SQLITE_INTEGER) {
    auto d = sqlite3_value_int64(a[1]);
    if (d == 0)
      return result_error(ctx, "22012", "division by zero");
    auto n = sqlite3_value_int64(a[0]);
    if (n == INT64_MIN && d == -1)
      return result_error(ctx, "22003", "bigint out of range");
    return sqlite3_result_int64(ctx, n / d);
  }
  auto d = sqlite3_value_double(a[1]);
  if (d == 0)
    return result_error(ctx, "22012", "division by zero");
  sqlite3_result_double(ctx, sqlite3_value_double(a[0]) / d);
}

void fn_extreme(sqlite3_context* ctx, int n, sqlite3_value** a, bool greatest) {
  sqlite3_value* best = nullptr;
  for (int i = 0; i < n; ++i) {
    if (sqlite3_value_type(a[i]) == SQLITE_NULL)
      continue;
    if (!best) {
      best = a[i];
      continue;
    }
    bool num = sqlite3_value_numeric_type(a[i]) != SQLITE_TEXT &&
               sqlite3_value_numeric_type(best) != SQLITE_TEXT;
    int cmp;
    if (num) {
      auto x = sqlite3_value_double(a[i]), y = sqlite3_value_double(best);
      cmp = x < y ? -1 : x > y ? 1 : 0;
    } else {
      cmp =
        std::strcmp(reinterpret_cast<const char*>(sqlite3_value_text(a[i])),
                    reinterpret_cast<const char*>(sqlite3_value_text(best)));
    }
    if (greatest ? cmp > 0 : cmp < 0)
      best = a[i];
  }
  if (best)
    sqlite3_result_value(ctx, best);
  else
    sqlite3_result_null(ctx);
}

void fn_greatest(sqlite3_context* c, int n, sqlite3_value** a) {
  fn_extreme(c, n, a, true);
}
void fn_least(sqlite3_context* c, int n, sqlite3_value** a) {
  fn_extreme(c, n, a, false);
}

void fn_regex(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL ||
      sqlite3_value_type(a[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  // POSIX extended regular expressions (glibc's matcher does not recurse
  // per input character, unlike std::regex)
  auto s = text_arg(a[0]);
  auto p = text_arg(a[1]);
  if (p.size() > 4096)
    return result_error(ctx, "54000", "regular expression is too long");
  regex_t re;
  int flags = REG_EXTENDED | REG_NOSUB;
  if (sqlite3_value_int(a[2]))
    flags |= REG_ICASE;
  if (regcomp(&re, p.c_str(), flags) != 0)
    return result_error(ctx, "2201B", "invalid regular expression: " + p);
  int rc = regexec(&re, s.c_str(), 0, nullptr, 0);
  regfree(&re);
  sqlite3_result_int(ctx, rc == 0 ? 1 : 0);
}

void fn_numeric1(sqlite3_context* ctx, int n, sqlite3_value** a,
                 double (*f)(double)) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  if (sqlite3_value_type(a[0]) == SQLITE_INTEGER && n == 1)
    return sqlite3_result_int64(ctx, sqlite3_value_int64(a[0]));
  double x = sqlite3_value_double(a[0]);
  double scale = n > 1 ? std::pow(10.0, sqlite3_value_int(a[1])) : 1.0;
  double r = f(x * scale) / scale;
  if (n == 1 && std::fabs(r) < 9e18)
    return sqlite3_result_int64(ctx, static_cast<int64_t>(r));
  sqlite3_result_double(ctx, r);
}

void fn_round(sqlite3_context* c, int n, sqlite3_value** a) {
  fn_numeric1(c, n, a, [](double x) { return std::round(x); });
}
void fn_trunc(sqlite3_context* c, int n, sqlite3_value** a) {
  fn_numeric1(c, n, a, [](double x) { return std::trunc(x); });
}
void fn_ceil(sqlite3_context* c, int n, sqlite3_value** a) {
  fn_numeric1(c, n, a, [](double x) { return std::ceil(x); });
}
void fn_floor(sqlite3_context* c, int n, sqlite3_value** a) {
  fn_numeric1(c, n, a, [](double x) { return std::floor(x); });
}

void fn_sqrt(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  auto x = sqlite3_value_double(a[0]);
  if (x < 0)
    return result_error(ctx, "2201F", "cannot take square root of a negative number");
  sqlite3_result_double(ctx, std::sqrt(x));
}

void fn_power(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL ||
      sqlite3_value_type(a[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  sqlite3_result_double(
    ctx, std::pow(sqlite3_value_double(a[0]), sqlite3_value_double(a[1])));
}

void fn_mod(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL ||
      sqlite3_value_type(a[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  if (sqlite3_value_type(a[0]) != SQLITE_INTEGER ||
      sqlite3_value_type(a[1]) != SQLITE_INTEGER) {
    auto dd = sqlite3_value_double(a[1]);
    if (dd == 0)
      return result_error(ctx, "22012", "division by zero");
    return sqlite3_result_double(ctx,
                                 std::fmod(sqlite3_value_double(a[0]), dd));
  }
  auto d = sqlite3_value_int64(a[1]);
  if (d == 0)
    return result_error(ctx, "22012", "division by zero");
  if (d == -1) // INT64_MIN % -1 traps
    return sqlite3_result_int64(ctx, 0);
  sqlite3_result_int64(ctx, sqlite3_value_int64(a[0]) % d);
}

std::string text_arg(sqlite3_value* v) {
  auto p = sqlite3_value_text(v);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_value_bytes(v)))
           : std::string();
}

/// Characters (not bytes) of UTF-8 text.
size_t utf8_len(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

size_t utf8_offset(const std::string& s, size_t chars) {
  size_t i = 0, n = 0;
  while (i < s.size() && n < chars) {
    ++i;
    while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80)
      ++i;
    ++n;
  }
  return i;
}

void fn_left(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  auto s = text_arg(a[0]);
  int64_t n = sqlite3_value_int64(a[1]);
  auto len = static_cast<int64_t>(utf8_len(s));
  auto keep = n >= 0 ? std::min(n, len) : std::max<int64_t>(0, len + n);
  auto out = s.substr(0, utf8_offset(s, static_cast<size_t>(keep)));
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()),
                      SQLITE_TRANSIENT);
}

void fn_right(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  auto s = text_arg(a[0]);
  int64_t n = sqlite3_value_int64(a[1]);
  auto len = static_cast<int64_t>(utf8_len(s));
  auto keep = n >= 0 ? std::min(n, len) : std::max<int64_t>(0, len + n);
  auto out = s.substr(utf8_offset(s, static_cast<size_t>(len - keep)));
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()),
                      SQLITE_TRANSIENT);
}

void fn_repeat(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  auto s = text_arg(a[0]);
  auto n = sqlite3_value_int64(a[1]);
  if (n <= 0 || s.empty())
    return sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
  if (static_cast<uint64_t>(n) > (64u << 20) / s.size())
    return result_error(ctx, "54000", "requested length too large");
  std::string out;
  for (int64_t i = 0; i < n; ++i)
    out += s;
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()),
                      SQLITE_TRANSIENT);
}

void fn_octet_length(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  sqlite3_result_int(ctx, sqlite3_value_bytes(a[0]));
}

void fn_md5(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  auto s = text_arg(a[0]);
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), d, &n, EVP_md5(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(hex[d[i] >> 4]);
    out.push_back(hex[d[i] & 15]);
  }
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()),
                      SQLITE_TRANSIENT);
}

void fn_random(sqlite3_context* ctx, int, sqlite3_value**) {
  uint64_t r = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r);
  sqlite3_result_double(ctx, static_cast<double>(r >> 11) * 0x1.0p-53);
}

void fn_uuid(sqlite3_context* ctx, int, sqlite3_value**) {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char out[37];
  std::snprintf(
    out, sizeof out,
    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
    b[12], b[13], b[14], b[15]);
  sqlite3_result_text(ctx, out, 36, SQLITE_TRANSIENT);
}

void fn_to_json(sqlite3_context* ctx, int, sqlite3_value** a) {
  // json_quote gives strings quotes and numbers as they are
  sqlite3_result_value(ctx, a[0]);
  if (sqlite3_value_type(a[0]) == SQLITE_TEXT) {
    auto s = text_arg(a[0]);
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\')
        q.push_back('\\');
      q.push_back(c);
    }
    q.push_back('"');
    sqlite3_result_text(ctx, q.data(), static_cast<int>(q.size()),
                        SQLITE_TRANSIENT);
  }
}

void fn_format_type(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  auto o = static_cast<uint32_t>(sqlite3_value_int64(a[0]));
  std::string n = type_name(o);
  auto mod = sqlite3_value_int64(a[1]);
  if ((o == oid::varchar || o == oid::bpchar) && mod > 4)
    n += "(" + std::to_string(mod - 4) + ")";
  if (o == oid::numeric) // numeric(12,2) (issue 36)
    n += num::typmod_text(static_cast<int32_t>(mod));
  sqlite3_result_text(ctx, n.data(), static_cast<int>(n.size()),
                      SQLITE_TRANSIENT);
}

void fn_null(sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_result_null(ctx);
}

void fn_first(sqlite3_context* ctx, int, sqlite3_value** a) {
  sqlite3_result_value(ctx, a[0]);
}

void fn_zero(sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_result_int(ctx, 0);
}

void fn_utf8(sqlite3_context* ctx, int, sqlite3_value**) {
  sqlite3_result_text(ctx, "UTF8", 4, SQLITE_STATIC);
}

void fn_size_pretty(sqlite3_context* ctx, int, sqlite3_value** a) {
  auto s = std::to_string(sqlite3_value_int64(a[0])) + " bytes";
  sqlite3_result_text(ctx, s.data(), static_cast<int>(s.size()),
                      SQLITE_TRANSIENT);
}

/// Splits a PostgreSQL array literal '{a,"b,c",3}' into its elements.
std::vector<std::string> array_items(const std::string& arr) {
  std::vector<std::string> items;
  if (arr.size() < 2 || (arr.front() != '{' && arr.front() != '['))
    throw sql_error("22P02", "malformed array literal: \"" + arr + "\"");
  std::string cur;
  bool q = false, esc = false, any = false;
  for (size_t i = 1; i + 1 < arr.size(); ++i) {
    char c = arr[i];
    any = true;
    if (esc) {
      cur.push_back(c);
      esc = false;
    } else if (c == '\\') {
      esc = true;
    } else if (c == '"') {
      q = !q;
    } else if (c == ',' && !q) {
      items.push_back(cur);
      cur.clear();
    } else if (q || c != ' ') {
      cur.push_back(c);
    }
  }
  if (any)
    items.push_back(cur);
  return items;
}

/// themis_array_has(array, x): x is an element of a PostgreSQL array
/// literal ('{a,"b c",3}') or a JSON array; NULL if the array is NULL.
void fn_array_has(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL ||
      sqlite3_value_type(a[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  std::vector<std::string> items;
  try {
    items = array_items(text_arg(a[0]));
  } catch (const sql_error& e) {
    return result_error(ctx, e.sqlstate(), e.what());
  }
  auto x = text_arg(a[1]);
  for (auto& it : items) {
    if (it == x) {
      sqlite3_result_int(ctx, 1);
      return;
    }
    // numbers compare by value (1 = 1.0)
    char* e1 = nullptr;
    char* e2 = nullptr;
    double d1 = std::strtod(it.c_str(), &e1), d2 = std::strtod(x.c_str(), &e2);
    if (!it.empty() && !x.empty() && *e1 == 0 && *e2 == 0 && d1 == d2) {
      sqlite3_result_int(ctx, 1);
      return;
    }
  }
  sqlite3_result_int(ctx, 0);
}

void fn_array_to_string(sqlite3_context* ctx, int n, sqlite3_value** a) {
  if (n < 2 || sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  auto arr = text_arg(a[0]);
  auto sep = text_arg(a[1]);
  if (arr.size() >= 2 && arr.front() == '{' && arr.back() == '}')
    arr = arr.substr(1, arr.size() - 2);
  std::string out;
  for (char c : arr) {
    if (c == ',')
      out += sep;
    else if (c != '"')
      out.push_back(c);
  }
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()),
                      SQLITE_TRANSIENT);
}

void fn_array_len(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto n = array_items(text_arg(a[0])).size();
    if (n == 0)
      sqlite3_result_null(ctx);
    else
      sqlite3_result_int64(ctx, static_cast<int64_t>(n));
  });
}

void fn_array_get(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL ||
      sqlite3_value_type(a[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  guarded(ctx, [&] {
    auto items = array_items(text_arg(a[0]));
    auto i = sqlite3_value_int64(a[1]);
    if (i < 1 || i > static_cast<int64_t>(items.size()) ||
        items[static_cast<size_t>(i - 1)] == "NULL")
      return sqlite3_result_null(ctx);
    auto& v = items[static_cast<size_t>(i - 1)];
    sqlite3_result_text(ctx, v.data(), static_cast<int>(v.size()),
                        SQLITE_TRANSIENT);
  });
}

void fn_positive(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL || sqlite3_value_int64(a[0]) <= 0)
    return result_error(ctx, "22023", "step size must be a positive integer");
  sqlite3_result_int(ctx, 1);
}

void fn_json_typeof(sqlite3_context* ctx, int, sqlite3_value** a) {
  if (sqlite3_value_type(a[0]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  sqlite3_stmt* st = nullptr;
  auto db = sqlite3_context_db_handle(ctx);
  if (sqlite3_prepare_v2(db, "SELECT json_type(?1)", -1, &st, nullptr) !=
      SQLITE_OK)
    return result_error(ctx, "XX000", sqlite3_errmsg(db));
  sqlite3_bind_value(st, 1, a[0]);
  std::string t;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    t = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  else {
    sqlite3_finalize(st);
    return result_error(ctx, "22P02", "invalid input syntax for type json");
  }
  sqlite3_finalize(st);
  // SQLite's names → PostgreSQL's
  if (t == "integer" || t == "real")
    t = "number";
  else if (t == "text")
    t = "string";
  else if (t == "true" || t == "false")
    t = "boolean";
  sqlite3_result_text(ctx, t.data(), static_cast<int>(t.size()),
                      SQLITE_TRANSIENT);
}

// -- writer side
// ---------------------------------------------------------------

void fn_seq(sqlite3_context* ctx, int, sqlite3_value**) {
  auto c = static_cast<write_counters*>(sqlite3_user_data(ctx));
  if (!c->stop_state.empty()) // canceled (store_writer's progress handler)
    return result_error(ctx, c->stop_state, c->stop_message);
  c->last = c->next++;
  sqlite3_result_int64(ctx, c->last);
}

void fn_seq_last(sqlite3_context* ctx, int, sqlite3_value**) {
  auto c = static_cast<write_counters*>(sqlite3_user_data(ctx));
  sqlite3_result_int64(ctx, c->last);
}

void fn_key(sqlite3_context* ctx, int, sqlite3_value**) {
  auto k = engine::generate_key();
  sqlite3_result_text(ctx, k.data(), static_cast<int>(k.size()),
                      SQLITE_TRANSIENT);
}

void fn_read_only(sqlite3_context* ctx, int, sqlite3_value**) {
  result_error(ctx, "25006", "cannot write in a read-only statement");
}

void add(sqlite3* db, const char* name, int n,
         void (*f)(sqlite3_context*, int, sqlite3_value**), bool det,
         void* user = nullptr) {
  sqlite3_create_function_v2(db, name, n,
                             SQLITE_UTF8 | (det ? SQLITE_DETERMINISTIC : 0),
                             user, f, nullptr, nullptr, nullptr);
}

} // namespace

void register_functions(sqlite3* db, write_counters* counters) {
  // every connection that may write documents runs their schema trigger
  engine::register_schema_function(db);
  add(db, "themis_cast", 2, fn_cast, true);
  add(db, "themis_coerce", 4, fn_coerce, true);
  add(db, "themis_float_json", 1, fn_float_json, true);
  add(db, "themis_now", 0, fn_now, false);
  add(db, "themis_idiv", 2, fn_idiv, true);
  add(db, "themis_greatest", -1, fn_greatest, true);
  add(db, "themis_least", -1, fn_least, true);
  add(db, "themis_regex", 3, fn_regex, true);
  add(db, "themis_round", 1, fn_round, true);
  add(db, "themis_round", 2, fn_round, true);
  add(db, "themis_trunc", 1, fn_trunc, true);
  add(db, "themis_trunc", 2, fn_trunc, true);
  add(db, "themis_ceil", 1, fn_ceil, true);
  add(db, "themis_floor", 1, fn_floor, true);
  add(db, "themis_sqrt", 1, fn_sqrt, true);
  add(db, "themis_power", 2, fn_power, true);
  add(db, "themis_mod", 2, fn_mod, true);
  add(db, "themis_left", 2, fn_left, true);
  add(db, "themis_right", 2, fn_right, true);
  add(db, "themis_repeat", 2, fn_repeat, true);
  add(db, "themis_octet_length", 1, fn_octet_length, true);
  add(db, "themis_md5", 1, fn_md5, true);
  add(db, "themis_random", 0, fn_random, false);
  add(db, "themis_uuid", 0, fn_uuid, false);
  add(db, "themis_to_json", 1, fn_to_json, true);
  add(db, "themis_format_type", 2, fn_format_type, true);
  add(db, "themis_array_has", 2, fn_array_has, true);
  add(db, "themis_array_len", 1, fn_array_len, true);
  add(db, "themis_array_get", 2, fn_array_get, true);
  add(db, "themis_positive", 1, fn_positive, true);
  add(db, "themis_json_typeof", 1, fn_json_typeof, true);
  for (auto* n :
       {"themis_obj_description", "themis_col_description",
        "themis_shobj_description", "themis_pg_get_indexdef",
        "themis_pg_get_constraintdef", "themis_pg_get_viewdef",
        "themis_pg_get_function_result", "themis_pg_get_function_arguments"})
    add(db, n, -1, fn_null, true);
  add(db, "themis_pg_get_expr", -1, fn_first, true);
  add(db, "themis_array_to_string", -1, fn_array_to_string, true);
  add(db, "themis_pg_relation_size", -1, fn_zero, true);
  add(db, "themis_pg_total_relation_size", -1, fn_zero, true);
  add(db, "themis_pg_encoding_to_char", 1, fn_utf8, true);
  add(db, "themis_pg_size_pretty", 1, fn_size_pretty, true);
  if (counters) {
    add(db, "themis_seq", 0, fn_seq, false, counters);
    add(db, "themis_seq_last", 0, fn_seq_last, false, counters);
    add(db, "themis_key", 0, fn_key, false);
  } else {
    for (auto* n : {"themis_seq", "themis_seq_last", "themis_key"})
      add(db, n, -1, fn_read_only, false);
  }
  // nextval/setval (writer), currval/lastval (sql_sequences.cpp)
  register_sequence_functions(db, counters);
  // refused here; a PostgreSQL session registers its own (issue 36)
  register_session_functions(db, nullptr);
  register_srf_functions(db, counters != nullptr);
  register_srf_module(db); // JSON / regexp set-returning functions
  register_lateral_module(db); // LATERAL (subquery) (issue 36)
  register_vector_sql(db); // vector / full-text search (issue 32)
  register_jsonb_ops(db);   // jsonb ? ?| ?& #> #>>
  register_refuse_function(db);
  register_numeric_functions(db); // exact numeric (issue 36)
  register_udf_functions(db);     // user functions (issue 36; sql_udf_call.cpp)
}

std::vector<std::string> pg_array_items(const std::string& arr) {
  return array_items(arr);
}

bool split_error(const char* msg, char sqlstate[6], const char** text) {
  if (!msg || std::strlen(msg) < 6 || msg[5] != '\x1f')
    return false;
  std::memcpy(sqlstate, msg, 5);
  sqlstate[5] = 0;
  *text = msg + 6;
  return true;
}

} // namespace themis::sql
