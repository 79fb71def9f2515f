/// themis_srf(kind, a [, b [, c]]): PostgreSQL's JSON and regular
/// expression set-returning functions as one table-valued function (an
/// eponymous SQLite virtual table), so their arguments may name columns of
/// the FROM items before them, as PostgreSQL's implicit LATERAL allows
/// (`FROM t, jsonb_array_elements(t.items) e`). Columns: c1, c2,
/// ordinality. Kinds:
///   each / each_text        key, value (jsonb text / text) of an object
///   elements / elements_text value of each array element
///   keys                    the keys of an object
///   matches                 text[] (a JSON array) of each match's groups
///   split                   the pieces between matches

#include <regex.h>
#include <sqlite3.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_rows_vtab.hpp"
#include "engine/sql/sql_types.hpp"
#include "themis/input_limits.hpp"

namespace themis::sql {

namespace {

using json = nlohmann::json;

struct srf_row {
  value c1, c2;
};

std::string arg_text(sqlite3_value* v) {
  auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return std::string(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
}

json parse_json(const std::string& text, const std::string& fn) {
  if (!themis::json_depth_ok(text))
    throw sql_error("54001", "JSON nested too deeply for " + fn + "()");
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded())
    throw sql_error("22P02", "invalid input syntax for type json");
  return j;
}

/// A JSON value as the text of `->>`: strings unquoted, null as NULL.
value as_text(const json& v) {
  if (v.is_null())
    return {};
  if (v.is_string())
    return value::of_text(v.get<std::string>());
  return value::of_text(v.dump());
}

void json_rows(const std::string& kind, const std::string& text,
               std::vector<srf_row>& out) {
  auto j = parse_json(text, kind);
  if (kind == "each" || kind == "each_text" || kind == "keys") {
    if (!j.is_object())
      throw sql_error("22023", kind == "keys"
                                 ? "cannot call jsonb_object_keys on a scalar"
                                 : "cannot call jsonb_each on a non-object");
    for (auto& [k, v] : j.items())
      out.push_back({value::of_text(k), kind == "each"
                                          ? value::of_text(v.dump())
                                        : kind == "each_text" ? as_text(v)
                                                              : value{}});
    return;
  }
  if (!j.is_array())
    throw sql_error("22023", j.is_object()
                               ? "cannot extract elements from an object"
                               : "cannot extract elements from a scalar");
  for (auto& v : j)
    out.push_back(
      {kind == "elements" ? value::of_text(v.dump()) : as_text(v), {}});
}

/// regexp_matches / regexp_split_to_table with POSIX extended syntax and
/// PostgreSQL's flags g (every match) and i (case-insensitive).
void regex_rows(const std::string& kind, const std::string& s,
                const std::string& pattern, const std::string& flags,
                std::vector<srf_row>& out) {
  if (pattern.size() > 4096)
    throw sql_error("54000", "regular expression too long");
  for (char f : flags)
    if (f != 'g' && f != 'i')
      throw sql_error("22023", std::string("invalid regular expression "
                                           "option: \"") +
                                 f + "\"");
  regex_t re;
  int cflags =
    REG_EXTENDED | (flags.find('i') != std::string::npos ? REG_ICASE : 0);
  if (regcomp(&re, pattern.c_str(), cflags) != 0)
    throw sql_error("2201B", "invalid regular expression: " + pattern);
  std::unique_ptr<regex_t, void (*)(regex_t*)> guard(&re, regfree);
  bool global = flags.find('g') != std::string::npos;
  std::vector<regmatch_t> m(re.re_nsub + 1);
  size_t at = 0, piece = 0;
  while (at <= s.size()) {
    if (regexec(&re, s.c_str() + at, m.size(), m.data(), at ? REG_NOTBOL : 0) !=
        0)
      break;
    auto from = at + static_cast<size_t>(m[0].rm_so);
    auto to = at + static_cast<size_t>(m[0].rm_eo);
    // an empty match advances one character, so the loop always moves
    at = to > from ? to : from + 1;
    if (kind == "split") {
      // empty matches at the start, the end or right after a match split
      // nothing (PostgreSQL's rule)
      if (to == from && (from == piece || from >= s.size()))
        continue;
      out.push_back({value::of_text(s.substr(piece, from - piece)), {}});
      piece = to;
    } else {
      json groups = json::array();
      if (re.re_nsub == 0)
        groups.push_back(s.substr(from, to - from));
      for (size_t g = 1; g <= re.re_nsub; ++g)
        if (m[g].rm_so < 0)
          groups.push_back(nullptr);
        else
          groups.push_back(
            s.substr(from - static_cast<size_t>(m[0].rm_so) +
                       static_cast<size_t>(m[g].rm_so),
                     static_cast<size_t>(m[g].rm_eo - m[g].rm_so)));
      out.push_back({value::of_text(groups.dump()), {}});
      if (!global)
        break;
    }
    if (out.size() > 1000000)
      throw sql_error("54000", "too many matches");
  }
  if (kind == "split")
    out.push_back({value::of_text(s.substr(std::min(piece, s.size()))), {}});
}

void fill(int argc, sqlite3_value** argv,
          std::vector<std::vector<value>>& rows) {
  if (argc < 2 || sqlite3_value_type(argv[1]) == SQLITE_NULL)
    return; // a NULL argument: no rows, as in PostgreSQL
  std::vector<srf_row> out;
  auto kind = arg_text(argv[0]);
  if (kind == "matches" || kind == "split") {
    if (argc < 3 || sqlite3_value_type(argv[2]) == SQLITE_NULL)
      return;
    regex_rows(kind, arg_text(argv[1]), arg_text(argv[2]),
               argc > 3 ? arg_text(argv[3]) : "", out);
  } else {
    json_rows(kind, arg_text(argv[1]), out);
  }
  rows.reserve(out.size());
  for (auto& r : out)
    rows.push_back({std::move(r.c1), std::move(r.c2)});
}

const rows_function srf_function{
  "themis_srf",
  "CREATE TABLE x(c1, c2, ordinality, kind HIDDEN, a HIDDEN, b HIDDEN, c "
  "HIDDEN)",
  2,
  3,
  2,
  2,
  fill};

} // namespace

void register_srf_module(sqlite3* db) {
  register_rows_function(db, srf_function);
}

} // namespace themis::sql
