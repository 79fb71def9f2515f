#include "engine/sql/pg_types.hpp"

#include "engine/sql/pg_enum.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <vector>

#include "engine/json_bounded.hpp"
#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_datetime.hpp"
#include "engine/sql/pg_numeric.hpp"
#include "engine/sql/pg_types_internal.hpp"

namespace themis::sql {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' ||
                        s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' ||
                        s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad_input(const char* type, std::string_view text) {
  throw sql_error("22P02", std::string("invalid input syntax for type ") +
                             type + ": \"" + std::string(text) + "\"");
}

int64_t parse_int(std::string_view text, const char* type) {
  auto t = trim(text);
  int64_t v = 0;
  auto b = t.data(), e = t.data() + t.size();
  if (b != e && *b == '+')
    ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec == std::errc::result_out_of_range)
    throw sql_error("22003", "value \"" + std::string(t) +
                               "\" is out of range for type " + type);
  if (ec != std::errc() || p != e || b == e)
    bad_input(type, text);
  return v;
}

double parse_double(std::string_view text, const char* type) {
  auto t = lower(trim(text));
  if (t == "nan")
    return NAN;
  if (t == "infinity" || t == "+infinity" || t == "inf")
    return INFINITY;
  if (t == "-infinity" || t == "-inf")
    return -INFINITY;
  if (t.empty())
    bad_input(type, text);
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size())
    bad_input(type, text);
  return d;
}

int64_t check_range(int64_t v, uint32_t oid) {
  if (oid == oid::int2 && (v < -32768 || v > 32767))
    throw sql_error("22003", "smallint out of range");
  if ((oid == oid::int4) && (v < INT32_MIN || v > INT32_MAX))
    throw sql_error("22003", "integer out of range");
  return v;
}

const char* int_name(uint32_t oid) {
  return oid == oid::int2   ? "smallint"
         : oid == oid::int4 ? "integer"
                            : "bigint";
}

std::string format_double(double d, bool single) {
  if (std::isnan(d))
    return "NaN";
  if (std::isinf(d))
    return d > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  auto r = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(d))
                  : std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

/// regtype input: an OID, or a type name (as format_type or SQL spells
/// it, optionally pg_catalog-qualified or quoted) → its OID; 42704.
value regtype_in(const value& v) {
  if (v.k == value::kind::integer)
    return v;
  if (v.k == value::kind::real)
    return value::of(std::llround(v.d));
  std::string t(trim(v.s));
  if (!t.empty() && t.find_first_not_of("0123456789") == std::string::npos)
    return value::of(parse_int(t, "oid"));
  auto name = t;
  // a schema, quoted or not ("pg_catalog"."int4" is how TypeORM asks)
  for (auto* schema : {"pg_catalog.", "\"pg_catalog\".", "public.",
                       "\"public\"."})
    if (lower(name).rfind(schema, 0) == 0)
      name = name.substr(std::strlen(schema));
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
    name = name.substr(1, name.size() - 2);
  auto o = type_by_name(name);
  if (!o && !name.empty() && name[0] == '_') // _int4: int4[]
    o = array_type_by_short_name(name);
  if (!o)
    o = enum_oid_by_name(name);
  if (!o)
    throw sql_error("42704", "type \"" + t + "\" does not exist");
  return value::of(o);
}

} // namespace

num::numeric numeric_of(const value& v) {
  switch (v.k) {
    case value::kind::integer:
      return num::from_int(v.i);
    case value::kind::real:
      return num::from_double(v.d);
    default:
      return num::parse(v.s);
  }
}

namespace detail {

std::string to_hex(std::string_view raw) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\\x";
  for (unsigned char c : raw) {
    out.push_back(hex[c >> 4]);
    out.push_back(hex[c & 15]);
  }
  return out;
}

int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// bytea text input (hex "\x…" or escape format) → raw bytes.
std::string bytea_raw(std::string_view t) {
  std::string out;
  if (t.size() >= 2 && t[0] == '\\' && t[1] == 'x') {
    t.remove_prefix(2);
    for (size_t i = 0; i < t.size();) {
      if (t[i] == ' ' || t[i] == '\n' || t[i] == '\t') {
        ++i;
        continue;
      }
      int a = hexval(t[i]), b = i + 1 < t.size() ? hexval(t[i + 1]) : -1;
      if (a < 0 || b < 0)
        throw sql_error("22P02", "invalid hexadecimal data");
      out.push_back(static_cast<char>(a * 16 + b));
      i += 2;
    }
    return out;
  }
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '\\') {
      out.push_back(t[i]);
    } else if (i + 1 < t.size() && t[i + 1] == '\\') {
      out.push_back('\\');
      ++i;
    } else if (i + 3 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '3' &&
               t[i + 2] >= '0' && t[i + 2] <= '7' && t[i + 3] >= '0' &&
               t[i + 3] <= '7') {
      out.push_back(static_cast<char>((t[i + 1] - '0') * 64 +
                                      (t[i + 2] - '0') * 8 + (t[i + 3] - '0')));
      i += 3;
    } else {
      bad_input("bytea", t);
    }
  }
  return out;
}

std::string uuid_canon(std::string_view t) {
  std::string hex;
  auto s = trim(t);
  if (!s.empty() && s.front() == '{' && s.back() == '}')
    s = s.substr(1, s.size() - 2);
  for (char c : s) {
    if (c == '-')
      continue;
    if (hexval(c) < 0)
      bad_input("uuid", t);
    hex.push_back(static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c));
  }
  if (hex.size() != 32)
    bad_input("uuid", t);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) +
         "-" + hex.substr(16, 4) + "-" + hex.substr(20);
}

std::string text_of(const value& v) {
  switch (v.k) {
    case value::kind::integer:
      return std::to_string(v.i);
    case value::kind::real:
      return format_double(v.d, false);
    case value::kind::blob: // bytes become their bytea text form
      return to_hex(v.s);
    default:
      return v.s;
  }
}

} // namespace detail

value float_value(double d) {
  return std::isfinite(d) ? value::of_real(d)
                          : value::of_text(format_double(d, false));
}

namespace detail {

double float_of(const value& v, uint32_t o) {
  if (v.k == value::kind::integer)
    return static_cast<double>(v.i);
  if (v.k == value::kind::real)
    return v.d;
  return parse_double(text_of(v),
                      o == oid::float4 ? "real" : "double precision");
}

} // namespace detail

using namespace detail;

uint32_t type_by_name(std::string_view raw) {
  static const std::unordered_map<std::string, uint32_t> names = {
    {"bool", oid::boolean},
    {"boolean", oid::boolean},
    {"int2", oid::int2},
    {"smallint", oid::int2},
    {"smallserial", oid::int2},
    {"serial2", oid::int2},
    {"int4", oid::int4},
    {"int", oid::int4},
    {"integer", oid::int4},
    {"serial", oid::int4},
    {"serial4", oid::int4},
    {"int8", oid::int8},
    {"bigint", oid::int8},
    {"bigserial", oid::int8},
    {"serial8", oid::int8},
    {"float4", oid::float4},
    {"real", oid::float4},
    {"float8", oid::float8},
    {"float", oid::float8},
    {"double precision", oid::float8},
    {"numeric", oid::numeric},
    {"decimal", oid::numeric},
    {"text", oid::text},
    {"varchar", oid::varchar},
    {"character varying", oid::varchar},
    {"bpchar", oid::bpchar},
    {"char", oid::bpchar},
    {"character", oid::bpchar},
    {"bytea", oid::bytea},
    {"date", oid::date},
    {"time", oid::time},
    {"timestamp", oid::timestamp},
    {"timestamptz", oid::timestamptz},
    {"uuid", oid::uuid},
    {"json", oid::json},
    {"jsonb", oid::jsonb},
    {"name", oid::name},
    {"oid", oid::oid_t},
    {"regclass", oid::regclass},
    {"regproc", oid::regproc},
    {"regtype", oid::regtype},
    {"regnamespace", oid::oid_t},
    {"regrole", oid::oid_t},
    {"regoper", oid::oid_t},
    {"unknown", oid::unknown},
  };
  auto it = names.find(lower(raw));
  return it == names.end() ? 0 : it->second;
}

const char* type_name(uint32_t o) {
  switch (o) {
    case oid::boolean:
      return "boolean";
    case oid::bytea:
      return "bytea";
    case oid::name:
      return "name";
    case oid::int8:
      return "bigint";
    case oid::int2:
      return "smallint";
    case oid::int4:
      return "integer";
    case oid::text:
      return "text";
    case oid::oid_t:
      return "oid";
    case oid::json:
      return "json";
    case oid::float4:
      return "real";
    case oid::float8:
      return "double precision";
    case oid::bpchar:
      return "character";
    case oid::varchar:
      return "character varying";
    case oid::date:
      return "date";
    case oid::time:
      return "time without time zone";
    case oid::timestamp:
      return "timestamp without time zone";
    case oid::timestamptz:
      return "timestamp with time zone";
    case oid::numeric:
      return "numeric";
    case oid::uuid:
      return "uuid";
    case oid::jsonb:
      return "jsonb";
    case oid::regclass:
      return "regclass";
    case oid::regtype:
      return "regtype";
    case oid::char_t:
      return "\"char\"";
    default:
      if (is_array_type(o))
        return array_type_name(o);
      if (auto* e = o >= 16384 ? enum_type_cname(o) : nullptr)
        return e;
      return "unknown";
  }
}

int16_t type_len(uint32_t o) {
  switch (o) {
    case oid::boolean:
    case oid::char_t:
      return 1;
    case oid::int2:
      return 2;
    case oid::int4:
    case oid::float4:
    case oid::date:
    case oid::oid_t:
    case oid::regclass:
    case oid::regproc:
    case oid::regtype:
      return 4;
    case oid::int8:
    case oid::float8:
    case oid::timestamp:
    case oid::timestamptz:
    case oid::time:
      return 8;
    case oid::uuid:
      return 16;
    case oid::name:
      return 64;
    default:
      return -1;
  }
}

affinity affinity_of(uint32_t o) {
  switch (o) {
    case oid::boolean:
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::oid_t:
    case oid::regclass:
    case oid::regproc:
    case oid::regtype:
      return affinity::integer;
    case oid::float4:
    case oid::float8:
      return affinity::real;
    case oid::numeric:
      return affinity::numeric;
    case oid::json:
    case oid::jsonb:
      return affinity::json;
    default: // arrays are JSON arrays in documents and in SQLite
      return is_array_type(o) ? affinity::json : affinity::text;
  }
}

const char* cast_name(affinity a) {
  switch (a) {
    case affinity::integer:
      return "INTEGER";
    case affinity::real:
      return "REAL";
    case affinity::numeric:
      return "NUMERIC";
    case affinity::blob:
      return "BLOB";
    default:
      return "TEXT";
  }
}

value coerce(const value& v, uint32_t o) {
  if (v.is_null())
    return v;
  switch (o) {
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::oid_t:
    case oid::regclass: {
      if (v.k == value::kind::integer)
        return value::of(check_range(v.i, o));
      if (v.k == value::kind::real) {
        if (std::isnan(v.d) || std::fabs(v.d) > 9.2e18)
          throw sql_error("22003", std::string(int_name(o)) + " out of range");
        return value::of(check_range(std::llround(v.d), o));
      }
      return value::of(check_range(parse_int(v.s, int_name(o)), o));
    }
    case oid::regtype:
      return regtype_in(v);
    case oid::float4:
    case oid::float8:
      return float_value(float_of(v, o));
    case oid::numeric: // exact: canonical decimal text (issue 36)
      return value::of_text(num::to_string(numeric_of(v)));
    case oid::boolean: {
      if (v.k == value::kind::integer)
        return value::of(v.i != 0);
      if (v.k == value::kind::real)
        return value::of(v.d != 0);
      auto t = lower(trim(v.s));
      if (t == "t" || t == "true" || t == "yes" || t == "on" || t == "1" ||
          t == "y")
        return value::of(1);
      if (t == "f" || t == "false" || t == "no" || t == "off" || t == "0" ||
          t == "n")
        return value::of(0);
      bad_input("boolean", v.s);
    }
    case oid::bytea:
      if (v.k == value::kind::blob)
        return value::of_text(to_hex(v.s));
      return value::of_text(to_hex(bytea_raw(text_of(v))));
    case oid::uuid:
      return value::of_text(uuid_canon(text_of(v)));
    case oid::date:
      return value::of_text(normalize_date(text_of(v)));
    case oid::timestamp:
      return value::of_text(normalize_timestamp(text_of(v), false));
    case oid::timestamptz:
      return value::of_text(normalize_timestamp(text_of(v), true));
    case oid::json:
    case oid::jsonb: {
      auto t = text_of(v);
      nlohmann::json j;
      auto st = engine::parse_untrusted_json(t, j);
      if (st == engine::json_parse_status::too_deep)
        throw sql_error("22P02", std::string("invalid input syntax for type ") +
                                   (o == oid::json ? "json" : "jsonb") + ": " +
                                   engine::json_too_deep_message());
      if (st != engine::json_parse_status::ok)
        bad_input(o == oid::json ? "json" : "jsonb", t);
      return value::of_text(
        o == oid::json
          ? t
          : j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    default:
      if (is_array_type(o))
        return array_coerce(v, o);
      if (is_enum_type(o)) // CREATE TYPE … AS ENUM: one of its labels
        return enum_in(v, o);
      return value::of_text(text_of(v));
  }
}

std::string to_text(const value& v, uint32_t o) {
  switch (o) {
    case oid::boolean:
      if (v.k == value::kind::integer)
        return v.i ? "t" : "f";
      if (v.k == value::kind::real)
        return v.d != 0 ? "t" : "f";
      return coerce(v, o).i ? "t" : "f";
    case oid::int2:
    case oid::int4:
    case oid::int8:
      // a result outside the type's range is an error, never a wrap
      return std::to_string(coerce(v, o).i);
    case oid::float4:
      if (v.k == value::kind::real)
        return format_double(v.d, true);
      return text_of(v);
    case oid::numeric:
      return num::to_string(numeric_of(v));
    case oid::regtype: {
      auto t = regtype_in(v).i;
      auto n = type_name(static_cast<uint32_t>(t));
      return std::string(n) == "unknown" && t != oid::unknown
               ? std::to_string(t)
               : n;
    }
    default:
      if (is_array_type(o))
        return array_to_text(v, o);
      return text_of(v);
  }
}

} // namespace themis::sql
