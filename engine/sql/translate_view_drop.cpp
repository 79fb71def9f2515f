/// DROP VIEW, the views that DROP TABLE / DROP VIEW / ALTER TABLE … DROP
/// COLUMN would break (2BP01 with PostgreSQL's DETAIL, or dropped by
/// CASCADE), and ALTER VIEW … RENAME (issue 36; split from
/// translate_view.cpp).

#include <algorithm>
#include <set>

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_views.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// The name a stored view or table name is shown under.
std::string shown(const std::string& stored, const std::string& ns) {
  if (is_temp_table(stored))
    return temp_local_name(stored);
  if (!ns.empty() && stored.compare(0, ns.size(), ns) == 0)
    return stored.substr(ns.size());
  return stored;
}

} // namespace

void translator::refuse_drop_table_of_view(const std::string& name) const {
  if (cat.find_view(name))
    throw sql_error("42809", "\"" + name + "\" is not a table");
}

statement translator::tr_drop_view(statement st,
                                   const std::vector<std::string>& schemas,
                                   bool cascade) {
  st.kind = stmt_kind::view_ddl;
  st.tag = "DROP VIEW";
  st.writes = true;
  std::vector<std::string> dropped;
  for (size_t i = 0; i < st.names.size(); ++i) {
    auto& name = st.names[i];
    json rv = {{"relname", name}};
    if (!schemas[i].empty())
      rv["schemaname"] = schemas[i];
    auto v = view_of(rv);
    if (!v) {
      if (schemas[i] == "pg_temp" ? cat.find_temp(name) : cat.find(name))
        throw sql_error("42809", "\"" + name + "\" is not a view");
      if (!st.if_exists)
        throw sql_error("42P01", "view \"" + name + "\" does not exist");
      st.notice = "view \"" + name + "\" does not exist, skipping";
      continue;
    }
    dropped.push_back(v->name);
  }
  st.names.clear();
  st.drop_views = dropped;
  drop_view_dependents(st, dropped, cascade, "view");
  return st;
}

namespace {

/// The views reading `rel` (a stored name), then the views reading those,
/// depth first as PostgreSQL lists them: "view v2 depends on view v".
void dependents(const catalog& cat, const std::string& rel,
                const std::string& ns, std::set<std::string>& gone,
                std::vector<std::string>& lines,
                std::vector<std::string>& found) {
  bool rel_is_view = false;
  for (auto& [l, w] : cat.views())
    rel_is_view = rel_is_view || w.name == rel;
  for (auto& [local, v] : cat.views()) {
    if (gone.count(v.name) ||
        std::find(v.deps.begin(), v.deps.end(), rel) == v.deps.end())
      continue;
    lines.push_back("view " + local + " depends on " +
                    (rel_is_view ? "view " : "table ") + shown(rel, ns));
    gone.insert(v.name);
    found.push_back(v.name);
    dependents(cat, v.name, ns, gone, lines, found);
  }
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (auto& l : lines)
    out += (out.empty() ? "" : "\n") + l;
  return out;
}

/// NOTICE of a CASCADE that drops `n` views (and maybe a foreign key).
std::string cascade_notice(size_t n, const std::string& first,
                           const std::string& before) {
  if (before.rfind("drop cascades", 0) == 0)
    ++n;
  return n == 1 ? "drop cascades to view " + first
                : "drop cascades to " + std::to_string(n) + " other objects";
}

} // namespace

void translator::drop_view_dependents(statement& st,
                                      const std::vector<std::string>& dropped,
                                      bool cascade, const std::string& what) {
  if (dropped.empty() || cat.views().empty())
    return;
  std::set<std::string> gone(dropped.begin(), dropped.end());
  std::vector<std::string> lines, found;
  std::string first; // the first dropped relation something depends on
  for (auto& d : dropped) {
    auto before = lines.size();
    dependents(cat, d, info.ns, gone, lines, found);
    if (first.empty() && lines.size() > before)
      first = d;
  }
  if (lines.empty())
    return;
  if (!cascade)
    throw sql_error("2BP01", "cannot drop " + what + " " +
                               shown(first, info.ns) +
                               " because other objects depend on it" +
                               error_trailer("", "", "", "", joined(lines)));
  for (auto& m : found)
    st.drop_views.push_back(m);
  st.notice = cascade_notice(found.size(), shown(found[0], info.ns), st.notice);
}

void translator::drop_column_view_dependents(statement& st, const table_def& t,
                                             const std::string& column,
                                             bool cascade) {
  if (cat.views().empty())
    return;
  catalog altered = cat;
  auto d = t;
  auto pos = d.find(column);
  if (pos < 0)
    return;
  d.columns.erase(d.columns.begin() + pos);
  altered.put(d);
  // a view reading the table breaks if its query no longer translates or
  // loses a column (expand_view fails either way)
  auto table = shown(t.name, info.ns);
  std::set<std::string> gone;
  std::vector<std::string> lines, found;
  for (auto& [local, v] : cat.views()) {
    if (gone.count(v.name) ||
        std::find(v.deps.begin(), v.deps.end(), t.name) == v.deps.end())
      continue;
    try {
      translator probe(altered, info, {});
      probe.expand_view(v);
      continue;
    } catch (const sql_error&) {
    }
    lines.push_back("view " + local + " depends on column " + column +
                    " of table " + table);
    gone.insert(v.name);
    found.push_back(v.name);
    dependents(cat, v.name, info.ns, gone, lines, found);
  }
  if (lines.empty())
    return;
  if (!cascade)
    throw sql_error("2BP01", "cannot drop column " + column + " of table " +
                               table + " because other objects depend on it" +
                               error_trailer("", "", "", "", joined(lines)));
  for (auto& m : found)
    st.drop_views.push_back(m);
  st.notice = cascade_notice(found.size(), shown(found[0], info.ns), st.notice);
}

void translator::refuse_type_change_under_views(const table_def& t,
                                                const std::string& column) {
  auto pos = t.find(column);
  if (cat.views().empty() || pos < 0)
    return;
  catalog altered = cat;
  auto d = t;
  d.columns.erase(d.columns.begin() + pos);
  altered.put(d);
  for (auto& [local, v] : cat.views()) {
    if (std::find(v.deps.begin(), v.deps.end(), t.name) == v.deps.end())
      continue;
    try { // the view does not read the column if it translates without it
      translator probe(altered, info, {});
      probe.expand_view(v);
      continue;
    } catch (const sql_error&) {
    }
    throw sql_error("0A000",
                    "cannot alter type of a column used by a view or rule" +
                      error_trailer("", "", "", "",
                                    "rule _RETURN on view " + local +
                                      " depends on column \"" + column + "\""));
  }
}

void translator::renames_into_views(statement& st, const json& n) {
  auto& b = body(n);
  auto type = b.value("renameType", "");
  std::string from, to, table = st.table;
  if (st.kind == stmt_kind::rename_table) { // ALTER TABLE t RENAME TO u
    from = shown(st.table, info.ns);
    to = shown(st.val, info.ns);
  } else if (st.kind == stmt_kind::alter_table && type == "OBJECT_COLUMN") {
    from = b.value("subname", "");
    to = b.value("newname", "");
  } else {
    return;
  }
  for (auto& [local, v] : cat.views()) {
    if (std::find(v.deps.begin(), v.deps.end(), table) == v.deps.end())
      continue;
    // the view's text names the old name: it follows, as PostgreSQL's
    // views do (the view keeps its column names: expansion renames)
    auto u = v;
    u.query = replace_ident(u.query, from, to);
    u.qualified = replace_ident(u.qualified, from, to);
    if (st.kind == stmt_kind::rename_table)
      for (auto& d : u.deps)
        if (d == table)
          d = st.val;
    st.views.push_back(std::move(u));
  }
}

std::optional<statement> translator::tr_rename_view(const json& n) {
  auto& b = body(n);
  auto type = b.value("renameType", "");
  if (type != "OBJECT_VIEW" && type != "OBJECT_TABLE")
    return std::nullopt;
  auto& rv = b.at("relation");
  auto name = rv.value("relname", "");
  auto v = view_of(rv);
  if (!v) {
    if (type == "OBJECT_TABLE")
      return std::nullopt;
    if (cat.find(name))
      throw sql_error("42809", "\"" + name + "\" is not a view");
    if (b.value("missing_ok", false)) {
      statement st;
      st.kind = stmt_kind::noop;
      st.tag = "ALTER VIEW";
      st.notice = "relation \"" + name + "\" does not exist, skipping";
      return st;
    }
    throw sql_error("42P01", "relation \"" + name + "\" does not exist");
  }
  auto newname = b.value("newname", "");
  if (cat.find(newname) || cat.find_view(newname))
    throw sql_error("42P07", "relation \"" + newname + "\" already exists");
  statement st;
  st.kind = stmt_kind::view_ddl;
  st.tag = type == "OBJECT_VIEW" ? "ALTER VIEW" : "ALTER TABLE";
  st.writes = true;
  st.var = "replace";
  auto prefix = is_temp_table(v->name) ? info.temp_ns : info.ns;
  auto renamed = *v;
  renamed.name = prefix + newname;
  renamed.oid = table_oid(renamed.name);
  st.drop_views.push_back(v->name);
  st.views.push_back(renamed);
  // views reading this one name it in their text: they follow the rename
  for (auto& [local, w] : cat.views()) {
    if (std::find(w.deps.begin(), w.deps.end(), v->name) == w.deps.end())
      continue;
    auto u = w;
    u.query = replace_ident(u.query, name, newname);
    u.qualified = replace_ident(u.qualified, name, newname);
    for (auto& d : u.deps)
      if (d == v->name)
        d = renamed.name;
    st.views.push_back(std::move(u));
  }
  return st;
}

} // namespace themis::sql::detail
