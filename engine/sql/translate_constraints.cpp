/// FOREIGN KEY and CHECK constraints as the translator reads them: names
/// chosen as PostgreSQL chooses them, referenced keys resolved and
/// validated, CHECK conditions translated once into SQLite over the row's
/// document. The store writer enforces them (constraint_check.cpp).

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// Types a foreign key may join: numbers with numbers, text with text,
/// anything else only with itself.
int type_family(uint32_t t) {
  switch (affinity_of(t)) {
    case affinity::integer:
    case affinity::real:
    case affinity::numeric:
      return 1;
    case affinity::text:
      return 2;
    default:
      return 1000 + static_cast<int>(t);
  }
}

char action_letter(const json& c, const char* key) {
  auto v = c.value(key, std::string("a"));
  if (v.empty() || std::string("arcnd").find(v[0]) == std::string::npos)
    return 'a';
  return v[0];
}

/// True if `n` contains a node of type `type` (the tree's depth is bounded
/// by limits.max_sql_depth before translation).
bool contains_node(const json& n, const std::string& type) {
  if (n.is_object()) {
    for (auto& [k, v] : n.items()) {
      if (k == type)
        return true;
      if (contains_node(v, type))
        return true;
    }
  } else if (n.is_array()) {
    for (auto& v : n)
      if (contains_node(v, type))
        return true;
  }
  return false;
}

/// The text between the parentheses of CHECK (…) starting at `from`.
std::string check_text(const std::string& src, size_t from) {
  auto open = src.find('(', from);
  if (open == std::string::npos)
    return "";
  int depth = 0;
  char quote = 0;
  for (size_t i = open; i < src.size(); ++i) {
    char ch = src[i];
    if (quote) {
      if (ch == quote)
        quote = 0;
      continue;
    }
    if (ch == '\'' || ch == '"')
      quote = ch;
    else if (ch == '(')
      ++depth;
    else if (ch == ')' && --depth == 0) {
      auto inner = src.substr(open + 1, i - open - 1);
      // CHECK ((x > 0)), as pg_dump writes it, is CHECK (x > 0): strip
      // parentheses around the whole condition (issue 36)
      auto t0 = inner.find_first_not_of(" \t\n");
      auto t1 = inner.find_last_not_of(" \t\n");
      if (t0 != std::string::npos && inner[t0] == '(' && inner[t1] == ')') {
        auto whole = check_text(inner, t0);
        if (whole.size() == t1 - t0 - 1)
          return whole;
      }
      return inner;
    }
  }
  return "";
}

} // namespace

std::string translator::local_name(const std::string& stored) const {
  if (!info.ns.empty() && stored.compare(0, info.ns.size(), info.ns) == 0)
    return stored.substr(info.ns.size());
  return stored;
}

std::string translator::free_constraint_name(const table_def& t,
                                             const std::string& base) {
  auto used = [&](const std::string& n) {
    for (auto& i : t.indexes)
      if (i.name == n)
        return true;
    for (auto& f : t.foreign_keys)
      if (f.name == n)
        return true;
    for (auto& c : t.checks)
      if (c.name == n)
        return true;
    return false;
  };
  if (!used(base))
    return base;
  for (int i = 1;; ++i)
    if (!used(base + std::to_string(i)))
      return base + std::to_string(i);
}

foreign_key_def translator::make_fk(const table_def& t, const json& con,
                                    const std::string& column) {
  auto& c = body(con);
  foreign_key_def fk;
  auto display = local_name(t.name);
  auto cols = column.empty() ? string_list(c.value("fk_attrs", json::array()))
                             : std::vector<std::string>{column};
  auto& pk = c.at("pktable");
  auto pschema = pk.value("schemaname", "");
  auto pname = pk.value("relname", "");
  if (!pschema.empty() && pschema != "public")
    throw sql_error("42P01", "relation \"" + pschema + "." + pname +
                               "\" does not exist");
  const table_def* ref = pname == display ? &t : cat.find(pname);
  if (!ref)
    throw sql_error("42P01", "relation \"" + pname + "\" does not exist",
                    pk.value("location", -1) + 1);
  if (!ref->typed)
    unsupported("foreign keys referencing a document collection", con);
  for (auto& name : cols) {
    int pos = t.find(name);
    if (pos < 0)
      throw sql_error("42703", "column \"" + name +
                                 "\" referenced in foreign key constraint "
                                 "does not exist");
    fk.columns.push_back(pos);
  }
  auto ref_cols = string_list(c.value("pk_attrs", json::array()));
  if (ref_cols.empty()) {
    fk.ref_columns = ref->primary_key();
    if (fk.ref_columns.empty())
      throw sql_error("42830", "there is no primary key for referenced table "
                               "\"" +
                                 pname + "\"");
  } else {
    for (auto& name : ref_cols) {
      int pos = ref->find(name);
      if (pos < 0)
        throw sql_error("42703", "column \"" + name +
                                   "\" referenced in foreign key constraint "
                                   "does not exist");
      fk.ref_columns.push_back(pos);
    }
  }
  if (fk.columns.size() != fk.ref_columns.size())
    throw sql_error("42830", "number of referencing and referenced columns "
                             "for foreign key disagree");
  // the referenced columns must be exactly a unique key of the table
  bool keyed = false;
  for (auto& i : ref->indexes) {
    if (!i.unique || i.columns.size() != fk.ref_columns.size())
      continue;
    bool all = true;
    for (auto pos : fk.ref_columns)
      if (std::find(i.columns.begin(), i.columns.end(), pos) == i.columns.end())
        all = false;
    keyed = keyed || all;
  }
  if (!keyed)
    throw sql_error("42830", "there is no unique constraint matching given "
                             "keys for referenced table \"" +
                               pname + "\"");
  std::string suffix;
  for (auto& n : cols)
    suffix += "_" + n;
  fk.name = c.contains("conname")
              ? c.value("conname", "")
              : free_constraint_name(t, display + suffix + "_fkey");
  for (size_t i = 0; i < fk.columns.size(); ++i) {
    auto& a = t.columns[static_cast<size_t>(fk.columns[i])];
    auto& b = ref->columns[static_cast<size_t>(fk.ref_columns[i])];
    if (type_family(a.type_oid) != type_family(b.type_oid))
      throw sql_error(
        "42804",
        "foreign key constraint \"" + fk.name + "\" cannot be implemented" +
          error_trailer(
            "", "", "", "",
            "Key columns \"" + a.name + "\" and \"" + b.name +
              "\" are of incompatible types: " + type_name(a.type_oid) +
              " and " + type_name(b.type_oid) + "."));
  }
  fk.ref_table = ref->name;
  if (is_temp_table(t.name) != is_temp_table(ref->name)) // issue 36
    throw sql_error("42P16", is_temp_table(t.name)
                               ? "constraints on temporary tables may "
                                 "reference only temporary tables"
                               : "constraints on permanent tables may "
                                 "reference only permanent tables");
  fk.on_delete = action_letter(c, "fk_del_action");
  fk.on_update = action_letter(c, "fk_upd_action");
  fk.match = c.value("fk_matchtype", std::string("s")) == "f" ? 'f' : 's';
  if (c.value("fk_matchtype", std::string("s")) == "p")
    unsupported("MATCH PARTIAL", con);
  fk.deferrable = c.value("deferrable", false);
  fk.deferred = c.value("initdeferred", false);
  return fk;
}

check_def translator::make_check(const table_def& t, const json& con,
                                 const std::string& column) {
  auto& c = body(con);
  check_def ck;
  auto display = local_name(t.name);
  if (contains_node(c.at("raw_expr"), "SubLink"))
    throw sql_error("0A000", "cannot use subquery in check constraint");
  if (contains_node(c.at("raw_expr"), "ParamRef"))
    throw sql_error("42P02", "there is no parameter $1");
  scope sc;
  sc.aggregates_allowed = false;
  sc.items.push_back(target_item(t, display, "doc"));
  auto e = tr(c.at("raw_expr"), sc);
  if (e.type != 0 && e.type != oid::boolean)
    throw sql_error("42804", std::string("argument of CHECK must be type "
                                         "boolean, not type ") +
                               type_name(e.type));
  ck.sql = "(" + e.sql + ")";
  if (source)
    ck.text = check_text(
      *source, static_cast<size_t>(std::max(0, c.value("location", 0))));
  if (ck.text.empty())
    ck.text = output_name(c.at("raw_expr"));
  ck.name = c.contains("conname")
              ? c.value("conname", "")
              : free_constraint_name(
                  t, display + (column.empty() ? "" : "_" + column) + "_check");
  return ck;
}

void translator::attach_constraints(statement& st) const {
  auto all = cat.constraint_tables();
  bool cascades = false; // does an ON UPDATE CASCADE key reference it?
  if (all)
    for (auto& t : *all)
      for (auto& f : t.foreign_keys)
        cascades = cascades || (f.ref_table == st.table && f.on_update == 'c');
  if (!cascades)
    st.old_rows_sql.clear();
  if (!all)
    return;
  for (auto& t : *all)
    if (t.name == st.table) {
      st.constraint_tables = all;
      return;
    }
}

} // namespace themis::sql::detail

namespace themis::sql::detail {

void translator::drop_dependents(statement& st, bool cascade) {
  auto dropped = [&](const std::string& name) {
    return std::find(st.names.begin(), st.names.end(), name) != st.names.end();
  };
  for (auto& [local, other] : cat.tables()) {
    if (dropped(other.name))
      continue;
    auto copy = other;
    bool changed = false;
    for (size_t i = 0; i < copy.foreign_keys.size();) {
      auto& f = copy.foreign_keys[i];
      if (!dropped(f.ref_table)) {
        ++i;
        continue;
      }
      if (!cascade)
        throw sql_error("2BP01",
                        "cannot drop table " + local_name(f.ref_table) +
                          " because other objects depend on it" +
                          error_trailer("", "", "", "",
                                        "constraint " + f.name + " on table " +
                                          local + " depends on table " +
                                          local_name(f.ref_table)));
      st.notice =
        "drop cascades to constraint " + f.name + " on table " + local;
      copy.foreign_keys.erase(copy.foreign_keys.begin() + static_cast<long>(i));
      changed = true;
    }
    if (changed)
      st.other_defs.push_back(std::move(copy));
  }
}

void translator::truncate_dependents(statement& st, bool cascade) {
  // a fixed point: CASCADE adds the referencing tables, and theirs
  for (bool added = true; added;) {
    added = false;
    for (auto& [local, other] : cat.tables()) {
      if (std::find(st.names.begin(), st.names.end(), other.name) !=
          st.names.end())
        continue;
      for (auto& f : other.foreign_keys) {
        if (std::find(st.names.begin(), st.names.end(), f.ref_table) ==
            st.names.end())
          continue;
        if (!cascade)
          throw sql_error(
            "0A000", "cannot truncate a table referenced in a foreign key "
                     "constraint" +
                       error_trailer("", "", "", "",
                                     "Table \"" + local + "\" references \"" +
                                       local_name(f.ref_table) + "\"."));
        st.notice = "truncate cascades to table \"" + local + "\"";
        st.names.push_back(other.name);
        added = true;
        break;
      }
    }
  }
}

} // namespace themis::sql::detail
