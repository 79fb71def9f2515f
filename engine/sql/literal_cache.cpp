#include "engine/sql/literal_cache.hpp"

#include <cctype>
#include <functional>

namespace themis::sql {

namespace {

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool ident_char(char c) {
  return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) ||
         c == '$';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (auto& c : u)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

/// Keywords that end an ORDER BY / GROUP BY list at its own depth.
bool ends_by_list(const std::string& w) {
  return w == "LIMIT" || w == "OFFSET" || w == "FETCH" || w == "HAVING" ||
         w == "WINDOW" || w == "FOR" || w == "UNION" || w == "INTERSECT" ||
         w == "EXCEPT" || w == "SELECT" || w == "FROM" || w == "WHERE" ||
         w == "RETURNING" || w == "ON";
}

/// A token of the translator's SQLite output.
struct token {
  size_t pos, len;
};

/// Splits SQLite text into tokens; false on what it does not follow.
bool sqlite_tokens(const std::string& s, std::vector<token>& out) {
  size_t i = 0, n = s.size();
  while (i < n) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    size_t start = i;
    if (c == '\'' || c == '"') {
      ++i;
      for (;;) {
        if (i >= n)
          return false;
        if (s[i] == c) {
          if (i + 1 < n && s[i + 1] == c) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
    } else if (is_digit(c)) {
      while (i < n && (ident_char(s[i]) || s[i] == '.'))
        ++i;
    } else if (ident_start(c)) {
      while (i < n && ident_char(s[i]))
        ++i;
    } else if (c == '?') {
      return false; // its own parameters: not a simple query's statement
    } else {
      ++i;
    }
    out.push_back({start, i - start});
  }
  return true;
}

} // namespace

bool lift_integer_literals(std::string_view sql, lifted_query& out) {
  out = {};
  size_t i = 0, n = sql.size();
  // the statement kinds whose translation is cached
  while (i < n && std::isspace(static_cast<unsigned char>(sql[i])))
    ++i;
  size_t w = i;
  while (w < n && ident_char(sql[w]))
    ++w;
  auto first = upper(sql.substr(i, w - i));
  if (first != "SELECT" && first != "INSERT" && first != "UPDATE" &&
      first != "DELETE" && first != "WITH")
    return false;
  std::string prev_word; // the last significant token, upper-cased
  char prev_punct = 0;   // or the last punctuation character
  int depth = 0, by_depth = -1;
  auto copy = [&](size_t from, size_t to) {
    out.key.append(sql.substr(from, to - from));
    out.probe.append(sql.substr(from, to - from));
  };
  while (i < n) {
    char c = sql[i];
    size_t start = i;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      copy(start, i);
      continue;
    }
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n')
        ++i;
      copy(start, i);
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*')
      return false;
    if (c == '$' || c == '\\' || c == '?')
      return false; // parameters, dollar quotes, psql-isms
    if (c == '\'' || c == '"') {
      if (c == '\'' && i > 0 && ident_char(sql[i - 1]))
        return false; // E'…', U&'…', B'…', X'…': escapes we do not follow
      ++i;
      for (;;) {
        if (i >= n)
          return false;
        if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      copy(start, i);
      prev_word.clear();
      prev_punct = c;
      continue;
    }
    if (ident_start(c)) {
      while (i < n && ident_char(sql[i]))
        ++i;
      copy(start, i);
      prev_word = upper(sql.substr(start, i - start));
      prev_punct = 0;
      if (prev_word == "BY")
        by_depth = depth;
      else if (by_depth == depth && ends_by_list(prev_word))
        by_depth = -1;
      continue;
    }
    if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(sql[i + 1]))) {
      while (i < n && is_digit(sql[i]))
        ++i;
      bool integer =
        start < i && (i >= n || !(ident_char(sql[i]) || sql[i] == '.'));
      if (!integer) { // 1.5, 1e3, .5, 0x1F: as they are
        while (i < n && (ident_char(sql[i]) || sql[i] == '.' ||
                         ((sql[i] == '+' || sql[i] == '-') &&
                          (sql[i - 1] == 'e' || sql[i - 1] == 'E'))))
          ++i;
        copy(start, i);
      } else {
        auto digits = sql.substr(start, i - start);
        // ORDER BY 2 / GROUP BY 1, 2 name output columns: never lifted
        bool position =
          prev_word == "BY" || (prev_punct == ',' && by_depth == depth);
        if (position || digits.size() > 18) {
          copy(start, i);
        } else {
          int64_t v = 0;
          for (char d : digits)
            v = v * 10 + (d - '0');
          bool wide = v > 2147483647; // int8 rather than int4 in PostgreSQL
          auto k = static_cast<int64_t>(out.values.size()) + 1;
          int64_t probe = (wide ? 900000000000 : 900000000) + 7919 * k;
          if (probe == v)
            return false;
          out.key += wide ? "\x01L" : "\x01I";
          out.probe += std::to_string(probe);
          out.values.push_back(v);
          out.probes.push_back(probe);
        }
      }
      prev_word.clear();
      prev_punct = '0';
      continue;
    }
    if (c == ';') {
      ++i;
      while (i < n && (std::isspace(static_cast<unsigned char>(sql[i])) ||
                       sql[i] == ';'))
        ++i;
      if (i < n)
        return false; // several statements
      copy(start, i);
      break;
    }
    if (c == '(')
      ++depth;
    if (c == ')') {
      --depth;
      if (by_depth > depth)
        by_depth = -1;
    }
    ++i;
    copy(start, i);
    prev_word.clear();
    prev_punct = c;
  }
  return !out.values.empty() && out.values.size() < 100;
}

std::optional<std::string> literal_template(const statement& a,
                                            const statement& b,
                                            const lifted_query& q) {
  // everything but the SQL text must be the same
  auto same_cols = [](const std::vector<column>& x,
                      const std::vector<column>& y) {
    if (x.size() != y.size())
      return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i].name != y[i].name || x[i].type_oid != y[i].type_oid ||
          x[i].table_oid != y[i].table_oid || x[i].attnum != y[i].attnum)
        return false;
    return true;
  };
  if (a.kind != b.kind || a.tag != b.tag || a.table != b.table ||
      a.returns_rows != b.returns_rows || a.writes != b.writes ||
      a.locking != b.locking || a.hidden_columns != b.hidden_columns ||
      a.uses_sequences != b.uses_sequences || !a.params.empty() ||
      !b.params.empty() || a.notice != b.notice || !a.set_configs.empty() ||
      !b.set_configs.empty() || !a.ddl.empty() || !b.ddl.empty() ||
      a.names != b.names || a.var != b.var || a.val != b.val ||
      a.count != b.count || !a.validations.empty() || !a.rewrites.empty() ||
      !a.other_defs.empty() || !a.old_keys_sql.empty() ||
      !b.old_keys_sql.empty() || !a.old_rows_sql.empty() ||
      !b.old_rows_sql.empty() || !same_cols(a.columns, b.columns))
    return std::nullopt;
  switch (a.kind) {
    case stmt_kind::select:
    case stmt_kind::insert:
    case stmt_kind::update:
    case stmt_kind::remove:
      break;
    default:
      return std::nullopt;
  }
  std::vector<token> ta, tb;
  if (!sqlite_tokens(a.sql, ta) || !sqlite_tokens(b.sql, tb) ||
      ta.size() != tb.size())
    return std::nullopt;
  std::vector<bool> seen(q.values.size(), false);
  std::string out;
  size_t copied = 0;
  for (size_t j = 0; j < ta.size(); ++j) {
    auto x = std::string_view(a.sql).substr(ta[j].pos, ta[j].len);
    auto y = std::string_view(b.sql).substr(tb[j].pos, tb[j].len);
    if (x == y)
      continue;
    size_t k = 0;
    while (k < q.probes.size() && y != std::to_string(q.probes[k]))
      ++k;
    if (k == q.probes.size() || x != std::to_string(q.values[k]))
      return std::nullopt; // the literal changed more than its own text
    seen[k] = true;
    out.append(a.sql, copied, ta[j].pos - copied);
    out += "?" + std::to_string(k + 1);
    copied = ta[j].pos + ta[j].len;
  }
  for (bool s : seen)
    if (!s)
      return std::nullopt; // a literal that left no trace: not ours to bind
  out.append(a.sql, copied);
  return out;
}

const literal_cache::entry* literal_cache::find(const std::string& key,
                                                uint64_t epoch,
                                                uint64_t fingerprint) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.epoch != epoch ||
      it->second.fingerprint != fingerprint)
    return nullptr;
  return &it->second;
}

void literal_cache::put(const std::string& key, entry e) {
  if (entries_.size() >= capacity && !entries_.count(key))
    entries_.clear(); // a session cycling through many shapes: start over
  entries_[key] = std::move(e);
}

uint64_t session_fingerprint(const session_info& info) {
  std::hash<std::string> h;
  uint64_t f = h(info.user) ^ (h(info.database) << 1) ^ (h(info.ns) << 2) ^
               (h(info.temp_ns) << 3) ^ static_cast<uint64_t>(info.backend_pid);
  for (auto& [k, v] : info.settings)
    f = (f * 1099511628211ull) ^ h(k) ^ (h(v) * 31);
  return f;
}

} // namespace themis::sql
