/// ALTER TABLE … RENAME [COLUMN | CONSTRAINT | TO] and ALTER INDEX …
/// RENAME TO. Column names are document field names, so renaming a column
/// rewrites every row (logged); a table rename moves its rows to the new
/// collection (a DELETE and a PUT event per row).

#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

std::string replace_ident(const std::string& text, const std::string& from,
                          const std::string& to) {
  std::string out;
  auto ident = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  };
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\'') {
      auto end = text.find('\'', i + 1);
      end = end == std::string::npos ? text.size() : end + 1;
      out += text.substr(i, end - i);
      i = end;
    } else if (ident(text[i])) {
      size_t j = i;
      while (j < text.size() && ident(text[j]))
        ++j;
      auto word = text.substr(i, j - i);
      out += word == from ? to : word;
      i = j;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

statement translator::tr_rename(const json& n) {
  auto& b = body(n);
  auto type = b.value("renameType", "");
  auto newname = b.value("newname", "");
  if (auto v = tr_rename_view(n)) // ALTER VIEW (translate_view.cpp, issue 36)
    return *v;
  statement st;
  st.writes = true;
  st.tag = type == "OBJECT_INDEX" ? "ALTER INDEX" : "ALTER TABLE";
  if (type == "OBJECT_INDEX") {
    auto old = b.at("relation").value("relname", "");
    for (auto& [name, t] : cat.tables())
      for (size_t i = 0; i < t.indexes.size(); ++i)
        if (t.indexes[i].name == old) {
          st.kind = stmt_kind::alter_table;
          st.table = t.name;
          st.def = t;
          if (free_constraint_name(t, newname) != newname)
            throw sql_error("42P07",
                            "relation \"" + newname + "\" already exists");
          auto& idx = st.def.indexes[i];
          st.ddl.push_back("DROP INDEX IF EXISTS " +
                           quote_ident(sqlite_index_name(t.name, idx.name)));
          idx.name = newname;
          st.ddl.push_back(create_index_sql(st.def, idx));
          return st;
        }
    if (b.value("missing_ok", false)) {
      st.kind = stmt_kind::noop;
      return st;
    }
    throw sql_error("42P01", "relation \"" + old + "\" does not exist");
  }
  if (type != "OBJECT_TABLE" && type != "OBJECT_COLUMN" &&
      type != "OBJECT_TABCONSTRAINT")
    unsupported("ALTER " + type.substr(7) + " RENAME", n);
  auto& t = table_of(b.at("relation"));
  if (!t.typed)
    unsupported("renaming a document collection", n);
  auto display = local_name(t.name);
  st.table = t.name;
  st.def = t;
  auto& d = st.def;
  if (type == "OBJECT_TABLE") {
    // a temp table stays in the session's pg_temp_<pid> (issue 36)
    bool temp = is_temp_table(t.name);
    if (temp ? cat.find_temp(newname) : cat.find_permanent(newname))
      throw sql_error("42P07", "relation \"" + newname + "\" already exists");
    if (newname.find('.') != std::string::npos ||
        newname.find(temp_marker) != std::string::npos)
      throw sql_error("42602", "invalid table name \"" + newname + "\"");
    st.kind = stmt_kind::rename_table;
    st.val = (temp ? info.temp_ns : info.ns) + newname;
    d.name = st.val;
    d.oid = table_oid(st.val);
    for (auto& f : d.foreign_keys)
      if (f.ref_table == t.name)
        f.ref_table = st.val;
    for (auto& [name, other] : cat.tables()) {
      if (other.name == t.name)
        continue;
      auto copy = other;
      bool changed = false;
      for (auto& f : copy.foreign_keys)
        if (f.ref_table == t.name) {
          f.ref_table = st.val;
          changed = true;
        }
      if (changed)
        st.other_defs.push_back(std::move(copy));
    }
    return st;
  }
  st.kind = stmt_kind::alter_table;
  auto sub = b.value("subname", "");
  if (type == "OBJECT_TABCONSTRAINT") {
    if (free_constraint_name(d, newname) != newname)
      throw sql_error("42710", "constraint \"" + newname +
                                 "\" for relation \"" + display +
                                 "\" already exists");
    for (auto& f : d.foreign_keys)
      if (f.name == sub) {
        f.name = newname;
        return st;
      }
    for (auto& c : d.checks)
      if (c.name == sub) {
        c.name = newname;
        return st;
      }
    for (auto& idx : d.indexes)
      if (idx.name == sub) {
        st.ddl.push_back("DROP INDEX IF EXISTS " +
                         quote_ident(sqlite_index_name(d.name, idx.name)));
        idx.name = newname;
        st.ddl.push_back(create_index_sql(d, idx));
        return st;
      }
    throw sql_error("42704", "constraint \"" + sub + "\" for table \"" +
                               display + "\" does not exist");
  }
  // RENAME COLUMN
  int pos = d.find(sub);
  if (pos < 0)
    throw sql_error("42703", "column \"" + sub + "\" does not exist");
  if (d.find(newname) >= 0)
    throw sql_error("42701", "column \"" + newname + "\" of relation \"" +
                               display + "\" already exists");
  d.columns[static_cast<size_t>(pos)].name = newname;
  auto old_path = json_path(sub), new_path = json_path(newname);
  st.rewrites.push_back(
    "UPDATE documents SET rev = CAST(themis_seq() AS TEXT), doc = "
    "json_set(json_remove(doc, " +
    old_path + "), " + new_path + ", json(doc -> " + old_path +
    "), '$._rev', CAST(themis_seq_last() AS TEXT)) WHERE collection = " +
    quote_literal(d.name) + " AND json_type(doc, " + old_path +
    ") IS NOT NULL RETURNING key, rev, doc");
  // indexes read the field by name: rebuilt on the new one
  for (auto& idx : d.indexes)
    if (std::find(idx.columns.begin(), idx.columns.end(), pos) !=
        idx.columns.end()) {
      st.ddl.push_back("DROP INDEX IF EXISTS " +
                       quote_ident(sqlite_index_name(d.name, idx.name)));
      st.ddl.push_back(create_index_sql(d, idx));
    }
  // checks are kept as text and translated again on the new name
  for (auto& c : d.checks) {
    auto text = replace_ident(c.text, sub, newname);
    if (text == c.text)
      continue;
    auto parsed = parse_sql("SELECT 1 FROM x WHERE " + text);
    auto& tree = *static_cast<const json*>(parsed.at(0).tree.get());
    json con = {{"Constraint",
                 {{"contype", "CONSTR_CHECK"},
                  {"conname", c.name},
                  {"raw_expr", body(tree).at("whereClause")}}}};
    auto saved = source;
    source = nullptr;
    auto fresh = make_check(d, con, "");
    source = saved;
    c.sql = fresh.sql;
    c.text = text;
  }
  return st;
}

} // namespace themis::sql::detail
