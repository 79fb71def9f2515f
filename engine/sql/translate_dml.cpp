#include <set>

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

const std::string target_row = "documents.doc";

std::string rev_now() {
  return "CAST(themis_seq_last() AS TEXT)";
}

/// json_set(base, path, value, …) in chunks (SQLite caps function args).
std::string json_set_chunks(std::string base,
                            const std::vector<std::string>& pairs) {
  for (size_t i = 0; i < pairs.size(); i += 60) {
    std::string args;
    for (size_t j = i; j < pairs.size() && j < i + 60; ++j)
      args += ", " + pairs[j];
    base = "json_set(" + base + args + ")";
  }
  return base;
}

} // namespace

scope_item target_item(const table_def& t, const std::string& alias,
                       const std::string& row) {
  std::vector<column> cols;
  int16_t i = 0;
  for (auto& c : t.columns)
    cols.push_back({c.name, c.type_oid, t.oid, ++i, c.typmod});
  return {alias, cols, &t, row};
}

std::string translator::coerced(const table_def& t, const column_def& c,
                                const std::string& v) {
  return coerce_sql(t, c, v);
}

std::string translator::json_value(const column_def& c, const std::string& v) {
  return stored_value_sql(c, v);
}

std::vector<column> translator::returning(const json& list, scope& sc,
                                          std::string& sql) {
  std::vector<column> cols;
  for (auto& x : list) {
    auto& rt = body(x);
    auto& val = rt.at("val");
    if (node_type(val) == "ColumnRef" &&
        body(val).at("fields").back().contains("A_Star")) {
      auto& it = sc.items[0];
      for (auto& c : it.cols) {
        sql += ", " +
               column_expr(
                 *it.table,
                 it.table->columns[static_cast<size_t>(it.table->find(c.name))],
                 it.doc_row);
        cols.push_back(c);
      }
      continue;
    }
    auto e = tr(val, sc);
    sql += ", " + e.sql;
    cols.push_back({rt.contains("name") ? rt.at("name").get<std::string>()
                                        : output_name(val),
                    e.type ? e.type : oid::text});
  }
  return cols;
}

statement translator::tr_insert(const json& n) {
  auto& b = body(n);
  auto& rv = b.at("relation");
  auto& t = table_of(rv);
  statement st;
  st.kind = stmt_kind::insert;
  st.table = t.name;
  st.writes = true;
  st.tag = "INSERT 0";
  if (b.contains("withClause"))
    unsupported("WITH on INSERT", n);
  if (b.contains("override"))
    ; // OVERRIDING SYSTEM VALUE: identity columns accept values anyway
  // target columns → positions
  std::vector<int> targets;
  if (b.contains("cols")) {
    std::set<int> seen;
    for (auto& c : b.at("cols")) {
      auto& rt = body(c);
      if (rt.contains("indirection"))
        unsupported("INSERT into subfields", c);
      auto name = rt.value("name", "");
      int pos = t.find(name);
      if (pos < 0)
        throw sql_error("42703",
                        "column \"" + name + "\" of relation \"" + t.name +
                          "\" does not exist",
                        location(c));
      if (!seen.insert(pos).second)
        throw sql_error("42701",
                        "column \"" + name + "\" specified more than once",
                        location(c));
      targets.push_back(pos);
    }
  } else {
    for (size_t i = 0; i < t.columns.size(); ++i)
      targets.push_back(static_cast<int>(i));
  }
  if (!t.typed)
    for (auto p : targets)
      if (t.columns[static_cast<size_t>(p)].name == "_rev")
        throw sql_error("428C9",
                        "column \"_rev\" can only be updated to DEFAULT");
  // GENERATED ALWAYS AS IDENTITY (issue 36): a value other than DEFAULT
  // needs OVERRIDING SYSTEM VALUE
  if (b.value("override", "") != "OVERRIDING_SYSTEM_VALUE" &&
      b.contains("selectStmt"))
    for (size_t k = 0; k < targets.size(); ++k) {
      auto& c = t.columns[static_cast<size_t>(targets[k])];
      bool always = false;
      for (auto& [sn, s] : cat.sequences())
        always =
          always || (s.identity == 'a' && s.key == t.name + "." + c.name);
      if (!always)
        continue;
      auto& sel = body(b.at("selectStmt"));
      bool defaults = sel.contains("valuesLists");
      for (auto& l : sel.value("valuesLists", json::array())) {
        auto& items = list_items(l);
        if (k < items.size() && node_type(items[k]) != "SetToDefault")
          defaults = false;
      }
      if (!defaults)
        throw sql_error("428C9",
                        "cannot insert a non-DEFAULT value into column \"" +
                          c.name + "\"" +
                          error_trailer("", "", "", "",
                                        "Column \"" + c.name +
                                          "\" is an identity column defined "
                                          "as GENERATED ALWAYS."));
    }
  auto default_of = [&](const column_def& c) -> std::string {
    if (c.serial) {
      st.uses_sequences = true;
      // the session's pid: currval/lastval see the value (issue 36)
      return "themis_nextval(" + quote_literal(t.name + "." + c.name) + ", " +
             std::to_string(info.backend_pid) + ")";
    }
    if (c.default_sql.find("themis_nextval(") != std::string::npos) {
      st.uses_sequences = true; // issue 36: currval sees the value
      return nextval_with_session(c.default_sql, info.backend_pid);
    }
    if (!c.default_sql.empty())
      return c.default_sql;
    return "NULL";
  };
  scope empty;
  std::string source;
  size_t width = targets.size();
  if (!b.contains("selectStmt")) { // DEFAULT VALUES
    source = "SELECT 1";
    width = 0;
    targets.clear();
  } else {
    auto& sel = body(b.at("selectStmt"));
    if (sel.contains("valuesLists") && !sel.contains("sortClause") &&
        !sel.contains("limitCount")) {
      std::string rows;
      for (auto& l : sel.at("valuesLists")) {
        auto& items = body(l).at("items");
        if (items.size() > targets.size())
          throw sql_error("42601",
                          "INSERT has more expressions than target columns",
                          location(items[targets.size()]));
        if (items.size() < targets.size())
          throw sql_error("42601",
                          "INSERT has more target columns than expressions");
        std::string row;
        for (size_t i = 0; i < items.size(); ++i) {
          auto& c = t.columns[static_cast<size_t>(targets[i])];
          std::string v;
          if (node_type(items[i]) == "SetToDefault") {
            v = default_of(c);
          } else {
            hint_param(items[i], c.type_oid);
            v = tr(items[i], empty).sql;
          }
          row += (i ? ", " : "") + v;
        }
        rows += (rows.empty() ? "VALUES (" : ", (") + row + ")";
      }
      source = rows;
    } else {
      auto sub = tr_select(b.at("selectStmt"), nullptr);
      if (sub.cols.size() > targets.size())
        throw sql_error("42601",
                        "INSERT has more expressions than target columns");
      width = sub.cols.size();
      source = sub.sql;
    }
  }
  std::string vcols;
  for (size_t i = 0; i < width; ++i)
    vcols += (i ? ", " : "") + std::string("column") + std::to_string(i + 1);
  std::string sql = "WITH v" + (width ? "(" + vcols + ")" : std::string()) +
                    " AS (" + source + "), src AS MATERIALIZED (SELECT " +
                    "themis_seq() AS r, themis_key() AS k";
  for (size_t i = 0; i < t.columns.size(); ++i) {
    auto& c = t.columns[i];
    std::string v;
    for (size_t j = 0; j < targets.size() && j < width; ++j)
      if (targets[j] == static_cast<int>(i))
        v = "v.column" + std::to_string(j + 1);
    bool given = !v.empty();
    if (!given)
      v = default_of(c);
    if (!t.typed && c.name == "_rev")
      continue;
    if (!t.typed && c.name == "_key") {
      sql += ", " +
             (given ? coerced(t, c, "COALESCE(" + v + ", themis_key())")
                    : std::string("NULL")) +
             " AS c" + std::to_string(i);
      continue;
    }
    sql += ", " + coerced(t, c, v) + " AS c" + std::to_string(i);
  }
  sql += " FROM v) ";
  auto pk = t.primary_key();
  std::string key = "src.k";
  if (!t.typed)
    key = "COALESCE(src.c0, src.k)";
  else if (pk.size() == 1)
    key = "CAST(src.c" + std::to_string(pk[0]) + " AS TEXT)";
  std::string doc;
  if (t.typed) {
    std::vector<std::string> pairs = {"'$._key'", key, "'$._rev'",
                                      "CAST(src.r AS TEXT)"};
    for (size_t i = 0; i < t.columns.size(); ++i) {
      pairs.push_back(json_path(t.columns[i].name));
      pairs.push_back(json_value(t.columns[i], "src.c" + std::to_string(i)));
    }
    doc = json_set_chunks("'{}'", pairs);
  } else {
    doc =
      "json_set(src.c2, '$._key', " + key + ", '$._rev', CAST(src.r AS TEXT))";
  }
  sql += "INSERT INTO documents(collection, key, rev, doc) SELECT " +
         quote_literal(t.name) + ", " + key + ", CAST(src.r AS TEXT), " + doc +
         " FROM src WHERE 1";
  std::string alias = rv.contains("alias")
                        ? rv.at("alias").value("aliasname", t.name)
                        : rv.value("relname", t.name); // a tenant's local name
  if (b.contains("onConflictClause")) {
    auto& oc = b.at("onConflictClause");
    std::string target;
    if (oc.contains("infer")) {
      auto& inf = oc.at("infer");
      std::vector<int> cols;
      if (inf.contains("conname")) {
        // ON CONFLICT ON CONSTRAINT name: that unique index's columns
        auto con = inf.value("conname", "");
        const index_def* named = nullptr;
        for (auto& i : t.indexes)
          if (i.unique && i.name == con)
            named = &i;
        if (!named)
          throw sql_error("42704", "constraint \"" + con + "\" for table \"" +
                                     local_name(t.name) + "\" does not exist");
        cols = named->columns;
      }
      for (auto& e : inf.value("indexElems", json::array())) {
        auto name = body(e).value("name", "");
        int pos = t.find(name);
        if (pos < 0)
          throw sql_error("42703", "column \"" + name + "\" does not exist",
                          location(e));
        cols.push_back(pos);
      }
      std::vector<int> sorted = cols;
      std::sort(sorted.begin(), sorted.end());
      const index_def* match = nullptr;
      for (auto& i : t.indexes) {
        auto ic = i.columns;
        std::sort(ic.begin(), ic.end());
        if (i.unique && ic == sorted)
          match = &i;
      }
      if (!match)
        throw sql_error("42P10", "there is no unique or exclusion constraint "
                                 "matching the ON CONFLICT specification");
      if (!t.typed || (match->primary && pk.size() == 1)) {
        target = "(collection, key)";
      } else {
        std::string ex;
        for (auto c : match->columns)
          ex += (ex.empty() ? "" : ", ") +
                index_expr(t, t.columns[static_cast<size_t>(c)]);
        target = "(" + ex + ") WHERE collection = " + quote_literal(t.name);
      }
    }
    auto action = oc.value("action", "");
    if (action == "ONCONFLICT_NOTHING") {
      sql +=
        " ON CONFLICT" + (target.empty() ? "" : " " + target) + " DO NOTHING";
    } else {
      if (target.empty())
        throw sql_error("42601", "ON CONFLICT DO UPDATE requires inference "
                                 "specification or constraint name");
      scope sc;
      sc.items.push_back(target_item(t, alias, target_row));
      sc.items.push_back(target_item(t, "excluded", "excluded.doc"));
      sql += " ON CONFLICT " + target +
             " DO UPDATE SET rev = CAST(themis_seq() AS TEXT), doc = " +
             new_doc(t, oc.at("targetList"), sc);
      if (oc.contains("whereClause"))
        sql += " WHERE " + tr(oc.at("whereClause"), sc).sql;
    }
  }
  sql += " RETURNING key, rev, doc";
  if (b.contains("returningList")) {
    scope sc;
    sc.items.push_back(target_item(t, alias, "doc"));
    st.columns = returning(b.at("returningList"), sc, sql);
    st.returns_rows = true;
  }
  st.hidden_columns = 3;
  st.sql = sql;
  attach_constraints(st);
  return st;
}

/// The new document of an UPDATE or ON CONFLICT DO UPDATE: the SET list
/// applied to the row's document (typed tables), or the whole `doc`
/// replaced (REST collections); `_rev` follows the row's new sequence.
std::string translator::new_doc(const table_def& t, const json& set_list,
                                scope& sc, std::string* new_key) {
  auto pk = t.primary_key();
  std::vector<std::string> pairs = {"'$._rev'", rev_now()};
  std::string whole_doc;
  for (auto& x : set_list) {
    auto& rt = body(x);
    if (rt.contains("indirection"))
      unsupported("updating subfields", x);
    auto name = rt.value("name", "");
    int pos = t.find(name);
    if (pos < 0)
      throw sql_error("42703",
                      "column \"" + name + "\" of relation \"" + t.name +
                        "\" does not exist",
                      location(x));
    if (node_type(rt.at("val")) == "MultiAssignRef")
      unsupported("multiple-column assignment", x);
    auto& c = t.columns[static_cast<size_t>(pos)];
    std::string v;
    if (node_type(rt.at("val")) == "SetToDefault") {
      v = c.default_sql.empty() ? "NULL" : c.default_sql;
      if (c.serial) // its sequence's next value (issue 36)
        v = "themis_nextval(" + quote_literal(t.name + "." + c.name) + ")";
      v = nextval_with_session(v, info.backend_pid);
    } else {
      for (auto& [sn, s] : cat.sequences()) // GENERATED ALWAYS (issue 36)
        if (s.identity == 'a' && s.key == t.name + "." + c.name)
          throw sql_error("428C9",
                          "column \"" + c.name +
                            "\" can only be updated to DEFAULT" +
                            error_trailer("", "", "", "",
                                          "Column \"" + c.name +
                                            "\" is an identity column "
                                            "defined as GENERATED ALWAYS."));
      hint_param(rt.at("val"), c.type_oid);
      v = tr(rt.at("val"), sc).sql;
    }
    if (!t.typed) {
      if (name != "doc")
        unsupported("updating " + name + " (only doc can change)", x);
      whole_doc = coerced(t, c, v);
      continue;
    }
    if (std::find(pk.begin(), pk.end(), pos) != pk.end()) {
      if (!new_key)
        unsupported("updating a primary key column in ON CONFLICT", x);
      if (pk.size() == 1) { // the document key is the key's text
        *new_key = "CAST(" + coerced(t, c, v) + " AS TEXT)";
        pairs.push_back("'$._key'");
        pairs.push_back(*new_key);
      }
    }
    pairs.push_back(json_path(name));
    pairs.push_back(json_value(c, coerced(t, c, v)));
  }
  std::string base = whole_doc.empty()
                       ? target_row
                       : "json_set(" + whole_doc + ", '$._key', documents.key)";
  return json_set_chunks(base, pairs);
}

statement translator::tr_update(const json& n) {
  auto& b = body(n);
  auto& rv = b.at("relation");
  auto& t = table_of(rv);
  if (b.contains("fromClause"))
    unsupported("UPDATE … FROM", n);
  if (b.contains("withClause"))
    unsupported("WITH on UPDATE", n);
  statement st;
  st.kind = stmt_kind::update;
  st.table = t.name;
  st.writes = true;
  st.tag = "UPDATE";
  std::string alias = rv.contains("alias")
                        ? rv.at("alias").value("aliasname", t.name)
                        : rv.value("relname", t.name); // a tenant's local name
  scope sc;
  sc.items.push_back(target_item(t, alias, target_row));
  std::string new_key;
  auto doc = new_doc(t, b.at("targetList"), sc, &new_key);
  std::string sql = "UPDATE documents SET " +
                    (new_key.empty() ? "" : "key = " + new_key + ", ") +
                    "rev = CAST(themis_seq() AS TEXT), doc = " + doc +
                    " WHERE collection = " + quote_literal(t.name);
  std::string where;
  if (b.contains("whereClause")) {
    hint_param(b.at("whereClause"), oid::boolean);
    scope w = sc;
    w.aggregates_allowed = false;
    where = " AND (" + tr(b.at("whereClause"), w).sql + ")" +
            index_hints(b.at("whereClause"), w); // issue 22
    sql += where;
  }
  if (!new_key.empty()) // the keys the rows leave: DELETE events for them
    st.old_keys_sql =
      "SELECT key FROM documents WHERE collection = " + quote_literal(t.name) +
      where;
  // kept by attach_constraints only if a cascading foreign key needs it
  st.old_rows_sql =
    "SELECT key, " + (new_key.empty() ? "key" : new_key) +
    ", doc FROM documents WHERE collection = " + quote_literal(t.name) + where;
  sql += " RETURNING key, rev, doc";
  if (b.contains("returningList")) {
    st.columns = returning(b.at("returningList"), sc, sql);
    st.returns_rows = true;
  }
  st.hidden_columns = 3;
  st.sql = sql;
  attach_constraints(st);
  return st;
}

statement translator::tr_delete(const json& n) {
  auto& b = body(n);
  auto& rv = b.at("relation");
  auto& t = table_of(rv);
  if (b.contains("usingClause"))
    unsupported("DELETE … USING", n);
  if (b.contains("withClause"))
    unsupported("WITH on DELETE", n);
  statement st;
  st.kind = stmt_kind::remove;
  st.table = t.name;
  st.writes = true;
  st.tag = "DELETE";
  std::string alias = rv.contains("alias")
                        ? rv.at("alias").value("aliasname", t.name)
                        : rv.value("relname", t.name); // a tenant's local name
  scope sc;
  sc.items.push_back(target_item(t, alias, target_row));
  std::string sql =
    "DELETE FROM documents WHERE collection = " + quote_literal(t.name);
  if (b.contains("whereClause")) {
    hint_param(b.at("whereClause"), oid::boolean);
    scope w = sc;
    w.aggregates_allowed = false;
    sql += " AND (" + tr(b.at("whereClause"), w).sql + ")" +
           index_hints(b.at("whereClause"), w); // issue 22
  }
  // a referenced table's deleted rows come back whole: the writer finds
  // the rows that referenced them (constraint_check.cpp)
  bool referenced = false;
  if (auto all = cat.constraint_tables())
    for (auto& other : *all)
      for (auto& f : other.foreign_keys)
        referenced = referenced || f.ref_table == t.name;
  sql += referenced ? " RETURNING key, NULL, NULL, doc"
                    : " RETURNING key, NULL, NULL";
  if (b.contains("returningList")) {
    st.columns = returning(b.at("returningList"), sc, sql);
    st.returns_rows = true;
  }
  st.hidden_columns = referenced ? 4 : 3;
  st.sql = sql;
  attach_constraints(st);
  return st;
}

} // namespace themis::sql::detail
