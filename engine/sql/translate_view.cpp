/// CREATE / DROP / ALTER VIEW and views in FROM (issue 36). A view is
/// stored as the text of its query (sql_views.hpp) and expanded, at each
/// use, as a subquery translated against the session's catalog.

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

/// The last identifier of a plain column reference's text (`a`, `t.a`,
/// `"A b"`), unquoted; empty if `item` is anything else.
std::string plain_column(const std::string& item) {
  std::string last;
  size_t i = 0;
  while (i < item.size()) {
    std::string part;
    if (item[i] == '"') {
      for (++i; i < item.size(); ++i) {
        if (item[i] == '"') {
          if (i + 1 < item.size() && item[i + 1] == '"') {
            part += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        part += item[i];
      }
    } else {
      while (i < item.size() &&
             ((item[i] >= 'a' && item[i] <= 'z') ||
              (item[i] >= '0' && item[i] <= '9') || item[i] == '_'))
        part += item[i++];
      if (part.empty())
        return {};
    }
    last = part;
    if (i == item.size())
      return last;
    if (item[i] != '.')
      return {};
    ++i;
  }
  return {};
}

/// `expr AS name` → `expr` (the deparser's own alias, at depth 0).
std::string strip_alias(const std::string& item) {
  int depth = 0;
  size_t at = std::string::npos;
  char q = 0;
  for (size_t i = 0; i < item.size(); ++i) {
    char c = item[i];
    if (q) {
      if (c == q)
        q = 0;
      continue;
    }
    if (c == '\'' || c == '"')
      q = c;
    else if (c == '(')
      ++depth;
    else if (c == ')')
      --depth;
    else if (depth == 0 && item.compare(i, 4, " AS ") == 0)
      at = i;
  }
  return at == std::string::npos ? item : item.substr(0, at);
}

bool is_star(const std::string& item) {
  return item == "*" ||
         (item.size() > 2 && item.compare(item.size() - 2, 2, ".*") == 0);
}

/// What pg_get_viewdef prints for a view over `query` (deparsed) whose
/// output columns are `out` and whose column names are `names`: `*`
/// expanded (as PostgreSQL stores it), `AS name` where the name is not
/// the column's own.
std::string view_text(const std::string& query, const std::vector<column>& out,
                      const std::vector<std::string>& names) {
  auto parts = split_select(query);
  if (!parts)
    return " " + query;
  std::vector<std::string> items;
  size_t stars = std::count_if(parts->items.begin(), parts->items.end(),
                               [](auto& s) { return is_star(s); });
  if (stars > 1 || parts->items.size() - stars > out.size())
    return " " + query; // several stars: kept as written
  for (auto& it : parts->items) {
    if (!is_star(it)) {
      items.push_back(it);
      continue;
    }
    auto qual = it.substr(0, it.size() - 1); // "" or "t."
    size_t k = out.size() - (parts->items.size() - 1);
    for (size_t j = 0; j < k; ++j)
      items.push_back(qual + view_ident(out[items.size()].name));
  }
  if (items.size() != names.size())
    return " " + query;
  for (size_t i = 0; i < items.size(); ++i) {
    auto base = strip_alias(items[i]);
    if (plain_column(base) != names[i])
      base += " AS " + view_ident(names[i]);
    items[i] = base;
  }
  parts->items = items;
  return join_select(*parts);
}

/// Names of every CTE in `j`.
void cte_names(const json& j, std::set<std::string>& out) {
  if (j.is_object()) {
    if (j.contains("ctename") && j.at("ctename").is_string())
      out.insert(j.at("ctename").get<std::string>());
    for (auto& [k, v] : j.items())
      cte_names(v, out);
  } else if (j.is_array()) {
    for (auto& v : j)
      cte_names(v, out);
  }
}

/// Where the unqualified permanent relations of `j` begin in its text.
void relation_spots(const json& j, const catalog& cat,
                    const std::set<std::string>& ctes, std::vector<int>& out) {
  if (j.is_object()) {
    if (j.contains("RangeVar")) {
      auto& r = j.at("RangeVar");
      auto name = r.value("relname", "");
      auto perm = [&] {
        auto v = cat.find_view(name);
        return cat.find_permanent(name) ||
               (v && !is_temp_table(v->name) && !cat.find_temp(name));
      };
      if (!r.contains("schemaname") && !ctes.count(name) &&
          !cat.find_temp(name) && perm() && r.value("location", -1) >= 0)
        out.push_back(r.value("location", -1));
    }
    for (auto& [k, v] : j.items())
      relation_spots(v, cat, ctes, out);
  } else if (j.is_array()) {
    for (auto& v : j)
      relation_spots(v, cat, ctes, out);
  }
}

/// CREATE VIEW `text` with `public.` before each permanent relation its
/// query reads.
std::string qualify_relations(const std::string& text, const catalog& cat) {
  auto parsed = parse_sql(text);
  if (parsed.size() != 1)
    return text;
  auto& tree = *static_cast<const json*>(parsed[0].tree.get());
  std::set<std::string> ctes;
  cte_names(tree, ctes);
  std::vector<int> spots;
  relation_spots(body(tree).at("query"), cat, ctes, spots);
  std::sort(spots.rbegin(), spots.rend());
  auto out = text;
  for (auto at : spots)
    if (static_cast<size_t>(at) <= out.size())
      out.insert(static_cast<size_t>(at), "public.");
  return out;
}

} // namespace

const view_def* translator::view_of(const json& rv) const {
  auto schema = rv.value("schemaname", "");
  auto name = rv.value("relname", "");
  bool temp = is_own_temp_schema(schema, info.temp_ns);
  if (!schema.empty() && schema != "public" && !temp)
    return nullptr;
  auto v = cat.find_view(name);
  if (!v)
    return nullptr;
  bool vtemp = is_temp_table(v->name);
  if ((temp && !vtemp) || (schema == "public" && vtemp))
    return nullptr;
  if (schema.empty() && !vtemp && cat.find_temp(name))
    return nullptr; // pg_temp comes first in the search path
  return v;
}

select_out translator::expand_view(const view_def& v) {
  auto shown_name = shown(v.name, info.ns);
  if (std::find(view_stack.begin(), view_stack.end(), v.name) !=
      view_stack.end())
    throw sql_error("42P17", "infinite recursion detected in rules for "
                             "relation \"" +
                               shown_name + "\"");
  if (view_stack.size() >= 64)
    throw sql_error("54001", "statement too complex (views nested deeper "
                             "than 64)");
  auto parsed = parse_sql(v.query);
  if (parsed.size() != 1 || node_type(*static_cast<const json*>(
                              parsed[0].tree.get())) != "SelectStmt")
    throw sql_error("XX000",
                    "view \"" + shown_name + "\" has a broken definition");
  // the view's query sees no CTE of the statement naming it, and its
  // literals are read back from its own text
  struct restore {
    translator& t;
    decltype(ctes) saved_ctes;
    const std::string* saved_source;
    std::vector<std::string>* saved_deps;
    ~restore() {
      t.ctes = std::move(saved_ctes);
      t.source = saved_source;
      t.view_deps = saved_deps;
      t.view_stack.pop_back();
    }
  } r{*this, std::move(ctes), source, view_deps};
  ctes.clear();
  source = parsed[0].source.get();
  view_deps = nullptr;
  view_stack.push_back(v.name);
  auto sub =
    tr_select(*static_cast<const json*>(parsed[0].tree.get()), nullptr);
  if (sub.cols.size() < v.columns.size())
    throw sql_error("XX000",
                    "view \"" + shown_name + "\" no longer matches its tables");
  std::string sel;
  select_out out;
  for (size_t i = 0; i < v.columns.size(); ++i) {
    sel += (i ? ", " : "") + quote_ident(sub.cols[i].name) + " AS " +
           quote_ident(v.columns[i].name);
    auto c = sub.cols[i];
    c.name = v.columns[i].name;
    if (c.type_oid == 0)
      c.type_oid = oid::text;
    // RowDescription names the view's own column, as PostgreSQL does
    c.table_oid = v.oid;
    c.attnum = static_cast<int16_t>(i + 1);
    out.cols.push_back(c);
  }
  out.sql = "SELECT " + sel + " FROM (" + sub.sql + ")";
  return out;
}

std::optional<std::string> translator::view_from_item(const json& rv,
                                                      const std::string& alias,
                                                      scope& sc) {
  auto v = view_of(rv);
  if (!v)
    return std::nullopt;
  if (view_deps)
    view_deps->push_back(v->name);
  auto sub = expand_view(*v);
  sc.items.push_back({alias, sub.cols, nullptr, "", {}});
  return "(" + sub.sql + ") AS " + quote_ident(alias);
}

statement translator::tr_create_view(const json& n) {
  auto& b = body(n);
  auto& rv = b.at("view");
  auto name = rv.value("relname", "");
  auto schema = rv.value("schemaname", "");
  bool temp = rv.value("relpersistence", "p") == "t" ||
              is_own_temp_schema(schema, info.temp_ns);
  if (!schema.empty() && schema != "public" && !temp)
    throw sql_error("3F000", "schema \"" + schema + "\" does not exist");
  if (name.find('.') != std::string::npos &&
      (!info.ns.empty() || !info.all_namespaces))
    throw sql_error("42602", "invalid view name \"" + name +
                               "\" (letters, digits, _ and -)");
  for (auto& o : b.value("options", json::array())) {
    auto opt = body(o).value("defname", "");
    if (opt == "security_barrier" || opt == "security_invoker")
      continue; // one user's tables: nothing to protect from the view
    if (opt == "check_option")
      unsupported("WITH CHECK OPTION on views", n);
    throw sql_error("22023", "unrecognized parameter \"" + opt + "\"");
  }
  if (b.value("withCheckOption", "NO_CHECK_OPTION") != "NO_CHECK_OPTION")
    unsupported("WITH CHECK OPTION on views", n);
  bool replace = b.value("replace", false);
  // the query, translated now: unknown tables and columns fail as in
  // PostgreSQL, and what it reads is recorded
  std::vector<std::string> deps;
  auto saved = std::move(ctes);
  ctes.clear();
  view_deps = &deps;
  select_out out;
  try {
    out = tr_select(b.at("query"), nullptr);
  } catch (...) {
    view_deps = nullptr;
    ctes = std::move(saved);
    throw;
  }
  view_deps = nullptr;
  ctes = std::move(saved);
  if (!params.empty())
    throw sql_error("42P02", "there is no parameter $1");
  auto aliases = string_list(b.value("aliases", json::array()));
  if (aliases.size() > out.cols.size())
    throw sql_error("42601",
                    "CREATE VIEW specifies more column names than columns");
  view_def v;
  std::vector<std::string> names;
  std::set<std::string> seen;
  for (size_t i = 0; i < out.cols.size(); ++i) {
    column_def c;
    c.name = i < aliases.size() ? aliases[i] : out.cols[i].name;
    c.type_oid = out.cols[i].type_oid ? out.cols[i].type_oid : oid::text;
    c.typmod = out.cols[i].typmod;
    if (!seen.insert(c.name).second)
      throw sql_error("42701",
                      "column \"" + c.name + "\" specified more than once");
    names.push_back(c.name);
    v.columns.push_back(std::move(c));
  }
  std::sort(deps.begin(), deps.end());
  deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
  statement st;
  if (!temp)
    for (auto& d : deps)
      if (is_temp_table(d)) {
        temp = true; // as PostgreSQL: a view over a temp relation is temp
        st.notice = "view \"" + name + "\" will be a temporary view";
        break;
      }
  if (temp && info.temp_ns.empty())
    unsupported("temporary views in this session", n);
  v.name = (temp ? info.temp_ns : info.ns) + name;
  v.oid = table_oid(v.name);
  v.deps = deps;
  if (std::find(deps.begin(), deps.end(), v.name) != deps.end())
    throw sql_error("42P17", "infinite recursion detected in rules for "
                             "relation \"" +
                               name + "\"");
  if (temp ? cat.find_temp(name) != nullptr
           : cat.find_permanent(name) != nullptr)
    throw sql_error("42P07", "relation \"" + name + "\" already exists");
  auto old = cat.find_view(name);
  if (old && old->name != v.name)
    old = nullptr; // a temp view over a permanent one of the same name
  if (old && !replace)
    throw sql_error("42P07", "relation \"" + name + "\" already exists");
  if (old) { // OR REPLACE: columns may only be added at the end
    if (v.columns.size() < old->columns.size())
      throw sql_error("42P16", "cannot drop columns from view");
    for (size_t i = 0; i < old->columns.size(); ++i) {
      auto& a = old->columns[i];
      auto& c = v.columns[i];
      if (a.name != c.name)
        throw sql_error("42P16", "cannot change name of view column \"" +
                                   a.name + "\" to \"" + c.name + "\"");
      if (a.type_oid != c.type_oid || a.typmod != c.typmod)
        throw sql_error("42P16", "cannot change data type of view column \"" +
                                   a.name + "\" from " + type_name(a.type_oid) +
                                   " to " + type_name(c.type_oid));
    }
  }
  auto text = stmt_text ? *stmt_text : std::string();
  auto query = view_query_of(deparse_sql(text));
  if (query.empty())
    unsupported("this CREATE VIEW form", n);
  v.query = view_text(query, out.cols, names);
  // the same with its tables as public.t, for sessions without public on
  // their search_path (pg_dump's): the text must restore there
  try {
    auto q = view_query_of(deparse_sql(qualify_relations(text, cat)));
    v.qualified = q.empty() ? v.query : view_text(q, out.cols, names);
  } catch (const sql_error&) {
    v.qualified = v.query;
  }
  st.kind = stmt_kind::view_ddl;
  st.tag = "CREATE VIEW";
  st.writes = true;
  st.table = v.name;
  st.var = replace ? "replace" : "";
  st.views.push_back(std::move(v));
  return st;
}

} // namespace themis::sql::detail
