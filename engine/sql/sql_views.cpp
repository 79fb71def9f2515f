/// Views (issue 36): storage of view definitions, the writer's side of
/// CREATE/DROP VIEW, and the text pg_get_viewdef prints.

#include "engine/sql/sql_views.hpp"

#include <nlohmann/json.hpp>
#include <pg_query.h>
#include <sqlite3.h>

#include "engine/sql/sql_executor.hpp"
#include "engine/sql/temp_tables.hpp"

namespace themis::sql {

using json = nlohmann::json;

std::string to_json(const view_def& v) {
  json j;
  j["query"] = v.query;
  if (v.qualified != v.query)
    j["qualified"] = v.qualified;
  j["columns"] = json::array();
  for (auto& c : v.columns)
    j["columns"].push_back(
      {{"name", c.name}, {"type", c.type_oid}, {"typmod", c.typmod}});
  j["deps"] = v.deps;
  return j.dump();
}

view_def view_from_json(const std::string& name, const std::string& text) {
  view_def v;
  v.name = name;
  v.oid = table_oid(name);
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object())
    return v;
  v.query = j.value("query", "");
  v.qualified = j.value("qualified", v.query);
  for (auto& c : j.value("columns", json::array())) {
    column_def d;
    d.name = c.value("name", "");
    d.type_oid = c.value("type", 25u);
    d.typmod = c.value("typmod", -1);
    v.columns.push_back(std::move(d));
  }
  v.deps = j.value("deps", std::vector<std::string>{});
  return v;
}

const view_def* catalog::find_view(const std::string& name) const {
  auto it = views_.find(name);
  return it == views_.end() ? nullptr : &it->second;
}

void catalog::put_view(view_def v) {
  auto key = is_temp(v.name) ? temp_local(v.name) : local(v.name);
  views_[key] = std::move(v);
}

void catalog::erase_view(const std::string& name) {
  auto key = is_temp(name) ? temp_local(name) : local(name);
  auto it = views_.find(key);
  if (it != views_.end() && it->second.name == name)
    views_.erase(it);
}

namespace {

/// Walks `sql` calling `at(i, depth)` for every character outside string
/// literals and quoted identifiers.
template <typename F>
void scan_sql(const std::string& sql, F at) {
  int depth = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {
      // E'…' strings escape with a backslash
      bool e = c == '\'' && i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e');
      for (++i; i < sql.size(); ++i) {
        if (e && sql[i] == '\\') {
          ++i;
          continue;
        }
        if (sql[i] == c) {
          if (i + 1 < sql.size() && sql[i + 1] == c) {
            ++i;
            continue;
          }
          break;
        }
      }
      continue;
    }
    if (c == '(' || c == '[')
      ++depth;
    else if (c == ')' || c == ']')
      --depth;
    if (!at(i, depth))
      return;
  }
}

bool starts_at(const std::string& s, size_t i, const char* word) {
  return s.compare(i, std::char_traits<char>::length(word), word) == 0;
}

} // namespace

std::optional<select_parts> split_select(const std::string& full) {
  // WITH …: the CTEs go first, the SELECT after them is laid out
  std::string with;
  size_t select_at = 0;
  if (full.rfind("WITH ", 0) == 0) {
    select_at = std::string::npos;
    scan_sql(full, [&](size_t i, int depth) {
      if (depth == 0 && starts_at(full, i, " SELECT ")) {
        select_at = i + 1;
        return false;
      }
      return true;
    });
    if (select_at == std::string::npos)
      return std::nullopt;
    with = full.substr(0, select_at - 1);
  }
  std::string sql = full.substr(select_at);
  if (sql.rfind("SELECT ", 0) != 0)
    return std::nullopt;
  static const char* const keywords[] = {
    " FROM ",     " WHERE ", " GROUP BY ", " HAVING ", " WINDOW ",
    " ORDER BY ", " LIMIT ", " OFFSET ",   " FETCH ",  " FOR "};
  std::vector<size_t> cuts; // where each clause begins (its space)
  std::vector<size_t> commas;
  size_t setop = std::string::npos;
  scan_sql(sql, [&](size_t i, int depth) {
    if (depth != 0)
      return true;
    if (starts_at(sql, i, " UNION ") || starts_at(sql, i, " INTERSECT ") ||
        starts_at(sql, i, " EXCEPT ")) {
      setop = i;
      return false;
    }
    if (sql[i] == ',' && cuts.empty())
      commas.push_back(i);
    for (auto* k : keywords)
      if (starts_at(sql, i, k)) {
        cuts.push_back(i);
        break;
      }
    return true;
  });
  select_parts p;
  p.with = with;
  if (setop != std::string::npos) {
    p.setop = sql.substr(setop + 1);
    sql.resize(setop);
  }
  size_t list_end = cuts.empty() ? sql.size() : cuts[0];
  size_t start = 7; // after "SELECT "
  p.head = "SELECT";
  if (starts_at(sql, start, "DISTINCT ")) {
    // DISTINCT ON (…) stays with the head
    size_t after = start + 9;
    if (starts_at(sql, after, "ON (")) {
      int d = 0;
      size_t j = after + 3;
      for (; j < sql.size(); ++j) {
        if (sql[j] == '(')
          ++d;
        else if (sql[j] == ')' && --d == 0)
          break;
      }
      after = j + 2;
    }
    p.head = sql.substr(0, after - 1);
    start = after;
    std::vector<size_t> kept;
    for (auto c : commas)
      if (c > start)
        kept.push_back(c);
    commas = kept;
  }
  for (auto c : commas) {
    p.items.push_back(sql.substr(start, c - start));
    start = c + 2; // ", "
  }
  if (list_end > start)
    p.items.push_back(sql.substr(start, list_end - start));
  for (size_t k = 0; k < cuts.size(); ++k) {
    size_t end = k + 1 < cuts.size() ? cuts[k + 1] : sql.size();
    p.clauses.push_back(sql.substr(cuts[k] + 1, end - cuts[k] - 1));
  }
  return p;
}

std::string join_select(const select_parts& p) {
  std::string out = " " + (p.with.empty() ? "" : p.with + "\n ") + p.head + " ";
  for (size_t i = 0; i < p.items.size(); ++i)
    out += (i ? ",\n    " : "") + p.items[i];
  for (auto& c : p.clauses) {
    // pg_get_viewdef right-aligns the keywords as ruleutils.c does
    if (c.rfind("FROM ", 0) == 0)
      out += "\n   ";
    else if (c.rfind("WHERE ", 0) == 0 || c.rfind("GROUP BY ", 0) == 0 ||
             c.rfind("ORDER BY ", 0) == 0)
      out += "\n  ";
    else
      out += "\n ";
    out += c;
  }
  if (!p.setop.empty())
    out += "\n" + p.setop;
  return out;
}

std::string view_query_of(const std::string& d) {
  auto v = d.find(" VIEW ");
  if (v == std::string::npos)
    return {};
  size_t at = std::string::npos;
  std::string tail = d.substr(v);
  scan_sql(tail, [&](size_t i, int depth) {
    if (depth == 0 && starts_at(tail, i, " AS ")) {
      at = i + 4;
      return false;
    }
    return true;
  });
  if (at == std::string::npos)
    return {};
  auto q = tail.substr(at);
  for (auto* opt : {" WITH LOCAL CHECK OPTION", " WITH CASCADED CHECK OPTION",
                    " WITH CHECK OPTION"}) {
    std::string o(opt);
    if (q.size() > o.size() && q.compare(q.size() - o.size(), o.size(), o) == 0)
      q.resize(q.size() - o.size());
  }
  return q;
}

std::string view_ident(const std::string& s) {
  bool bare = !s.empty() && !(s[0] >= '0' && s[0] <= '9');
  for (char c : s)
    bare =
      bare && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  return bare ? s : quote_ident(s);
}

std::string deparse_sql(const std::string& text) {
  auto r = pg_query_parse_protobuf(text.c_str());
  struct guard {
    PgQueryProtobufParseResult& r;
    ~guard() { pg_query_free_protobuf_parse_result(r); }
  } g{r};
  if (r.error)
    throw sql_error("42601",
                    r.error->message ? r.error->message : "syntax error");
  auto d = pg_query_deparse_protobuf(r.parse_tree);
  struct dguard {
    PgQueryDeparseResult& d;
    ~dguard() { pg_query_free_deparse_result(d); }
  } dg{d};
  if (d.error)
    throw sql_error("0A000", std::string("cannot print this view: ") +
                               (d.error->message ? d.error->message : ""));
  return d.query ? d.query : "";
}

namespace {

std::string shown(const std::string& stored) {
  if (is_temp_table(stored))
    return temp_local_name(stored);
  auto dot = stored.find('.');
  return dot == std::string::npos ? stored : stored.substr(dot + 1);
}

void run_one(sqlite3* db, const std::string& sql, const std::string& a,
             const std::string& b = {}) {
  auto s = prepare_statement(db, sql);
  statement_guard g{s};
  bind_value(db, s, 1, value::of_text(a));
  if (!b.empty())
    bind_value(db, s, 2, value::of_text(b));
  if (int rc = sqlite3_step(s); rc != SQLITE_DONE && rc != SQLITE_ROW)
    raise_sqlite(db, rc);
}

bool has_row(sqlite3* db, const std::string& sql, const std::string& a) {
  auto s = prepare_statement(db, sql);
  statement_guard g{s};
  bind_value(db, s, 1, value::of_text(a));
  return sqlite3_step(s) == SQLITE_ROW;
}

} // namespace

void save_view_changes(sqlite3* db, const statement& st) {
  for (auto& n : st.drop_views)
    run_one(db, "DELETE FROM sql_views WHERE name = ?1", n);
  for (auto& v : st.views)
    run_one(db,
            "INSERT INTO sql_views(name, def) VALUES(?1, ?2) ON CONFLICT(name) "
            "DO UPDATE SET def = excluded.def",
            v.name, to_json(v));
}

void run_view_ddl(sqlite3* db, write_job& job) {
  auto& st = job.st;
  for (auto& n : st.drop_views)
    run_one(db, "DELETE FROM sql_views WHERE name = ?1", n);
  // a session's temp views at its end (pg_frontend_temp.cpp): its own only
  for (auto& n : st.names)
    if (!st.temp_ns.empty() && n.rfind(st.temp_ns, 0) == 0)
      run_one(db, "DELETE FROM sql_views WHERE name = ?1", n);
  for (auto& v : st.views) {
    // checked again here: another session may have taken the name since
    // the statement was translated
    bool table = has_row(db,
                         is_temp_table(v.name)
                           ? "SELECT 1 FROM sql_tables WHERE name = ?1"
                           : "SELECT 1 FROM collections WHERE name = ?1",
                         v.name);
    if (table ||
        (st.var != "replace" &&
         has_row(db, "SELECT 1 FROM sql_views WHERE name = ?1", v.name)))
      throw sql_error("42P07",
                      "relation \"" + shown(v.name) + "\" already exists");
    run_one(db,
            "INSERT INTO sql_views(name, def) VALUES(?1, ?2) ON CONFLICT(name) "
            "DO UPDATE SET def = excluded.def",
            v.name, to_json(v));
  }
  if (!st.notice.empty())
    job.result.notice = st.notice;
  job.result.schema_changed = true;
}

void apply_view_changes(catalog& cat, const statement& st) {
  for (auto& n : st.drop_views)
    cat.erase_view(n);
  for (auto& v : st.views)
    cat.put_view(v);
}

std::vector<std::string> temp_view_names(sqlite3* db,
                                         const std::string& temp_prefix) {
  std::vector<std::string> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT name FROM sql_views WHERE substr(name, 1, "
                         "length(?1)) = ?1",
                         -1, &s, nullptr) != SQLITE_OK)
    return out;
  sqlite3_bind_text(s, 1, temp_prefix.data(),
                    static_cast<int>(temp_prefix.size()), SQLITE_TRANSIENT);
  while (sqlite3_step(s) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  return out;
}

} // namespace themis::sql
