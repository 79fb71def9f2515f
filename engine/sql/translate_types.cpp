/// CREATE TYPE … AS ENUM, ALTER TYPE … ADD VALUE / RENAME VALUE and DROP
/// TYPE. An enum column stores its label as text in the document; the
/// type checks labels on input (engine/sql/pg_enum.cpp).

#include <algorithm>

#include "engine/sql/pg_enum.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

std::string type_name_of(const json& names) {
  auto parts = string_list(names);
  if (parts.size() > 1 && parts[0] != "public")
    throw sql_error("3F000", "schema \"" + parts[0] + "\" does not exist");
  return parts.empty() ? "" : parts.back();
}

} // namespace

statement translator::tr_enum(const std::string& type, const json& n) {
  auto& b = body(n);
  auto name = type_name_of(b.at("typeName"));
  statement st;
  st.writes = true;
  if (type == "CreateEnumStmt") {
    if (cat.find_enum(name) || type_by_name(name) || cat.find(name))
      throw sql_error("42710", "type \"" + name + "\" already exists");
    if (name.find('.') != std::string::npos)
      throw sql_error("42602", "invalid type name \"" + name + "\"");
    st.kind = stmt_kind::create_type;
    st.tag = "CREATE TYPE";
    st.table = info.ns + name;
    st.enum_type.name = st.table;
    st.enum_type.oid = enum_oid(st.table);
    for (auto& v : string_list(b.value("vals", json::array()))) {
      if (v.empty() || v.size() > 63)
        throw sql_error("42602", "invalid enum label \"" + v +
                                   "\": labels must be 1 to 63 bytes");
      if (std::find(st.enum_type.labels.begin(), st.enum_type.labels.end(),
                    v) != st.enum_type.labels.end())
        throw sql_error("42710",
                        "enum label \"" + v + "\" used more than once");
      st.enum_type.labels.push_back(v);
    }
    return st;
  }
  auto* e = cat.find_enum(name);
  if (!e)
    throw sql_error("42704", "type \"" + name + "\" does not exist");
  st.kind = stmt_kind::alter_type;
  st.tag = "ALTER TYPE";
  st.table = e->name;
  st.enum_type = *e;
  auto& labels = st.enum_type.labels;
  auto newval = b.value("newVal", "");
  auto has = [&](const std::string& l) {
    return std::find(labels.begin(), labels.end(), l) != labels.end();
  };
  if (newval.empty() || newval.size() > 63)
    throw sql_error("42602", "invalid enum label \"" + newval + "\"");
  if (b.contains("oldVal")) { // RENAME VALUE old TO new
    auto old = b.value("oldVal", "");
    if (!has(old))
      throw sql_error("22023", "\"" + old + "\" is not an existing enum label");
    if (has(newval))
      throw sql_error("42710", "enum label \"" + newval + "\" already exists");
    std::replace(labels.begin(), labels.end(), old, newval);
    // stored labels follow: every column of the type, every table
    for (auto& [tn, t] : cat.tables())
      for (auto& c : t.columns)
        if (c.type_oid == e->oid) {
          auto path = json_path(c.name);
          st.names.push_back(t.name);
          st.rewrites.push_back(
            "UPDATE documents SET rev = CAST(themis_seq() AS TEXT), doc = "
            "json_set(doc, " +
            path + ", " + quote_literal(newval) +
            ", '$._rev', CAST(themis_seq_last() AS TEXT)) WHERE collection "
            "= " +
            quote_literal(t.name) + " AND json_extract(doc, " + path +
            ") = " + quote_literal(old) + " RETURNING key, rev, doc");
        }
    return st;
  }
  if (has(newval)) {
    if (b.value("skipIfNewValExists", false)) {
      st.notice = "enum label \"" + newval + "\" already exists, skipping";
      st.kind = stmt_kind::noop;
      return st;
    }
    throw sql_error("42710", "enum label \"" + newval + "\" already exists");
  }
  auto at = labels.end();
  if (b.contains("newValNeighbor")) {
    auto nb = b.value("newValNeighbor", "");
    at = std::find(labels.begin(), labels.end(), nb);
    if (at == labels.end())
      throw sql_error("22023", "\"" + nb + "\" is not an existing enum label");
    if (b.value("newValIsAfter", false))
      ++at;
  }
  labels.insert(at, newval);
  return st;
}

statement translator::tr_drop_type(const json& n) {
  auto& b = body(n);
  statement st;
  st.kind = stmt_kind::drop_type;
  st.tag = "DROP TYPE";
  st.writes = true;
  bool cascade = b.value("behavior", "") == "DROP_CASCADE";
  for (auto& o : b.at("objects")) {
    auto name = type_name_of(body(o).value("names", json::array()));
    auto* e = cat.find_enum(name);
    if (!e) {
      if (b.value("missing_ok", false)) {
        st.notice = "type \"" + name + "\" does not exist, skipping";
        continue;
      }
      throw sql_error("42704", "type \"" + name + "\" does not exist");
    }
    for (auto& [tn, t] : cat.tables())
      for (auto& c : t.columns)
        if (c.type_oid == e->oid) {
          if (cascade)
            unsupported("DROP TYPE … CASCADE of a type columns use", n);
          throw sql_error("2BP01",
                          "cannot drop type " + name +
                            " because other objects depend on it" +
                            error_trailer("", "", "", "",
                                          "column " + c.name + " of table " +
                                            tn + " depends on type " + name));
        }
    st.names.push_back(e->name);
  }
  return st;
}

} // namespace themis::sql::detail
