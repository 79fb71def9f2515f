/// The statements pg_dump's scripts (and pg_restore) send besides CREATE
/// TABLE, COPY and constraints (issue 36): LOCK TABLE (pg_dump's own,
/// inside its transaction), COMMENT ON, and ALTER … OWNER TO.
///
/// - LOCK TABLE … IN any MODE is accepted inside a transaction block: the
///   store writer serializes every write, and a REPEATABLE READ block
///   reads one snapshot (pg_frontend_snapshot.cpp), which is what
///   pg_dump's ACCESS SHARE lock is for.
/// - COMMENT ON TABLE / COLUMN / INDEX / CONSTRAINT is kept in the table's
///   definition (sql_tables), so it follows renames and goes with DROP;
///   pg_description, obj_description and col_description read it.
/// - OWNER TO names a role: there is one role per session here (its user),
///   so the session's own role is accepted and changes nothing; any other
///   name is 42704 as PostgreSQL says for a role that does not exist.

#include "engine/sql/catalog_functions.hpp"
#include "engine/sql/catalog_views.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// `schema.name` or `name` of a COMMENT ON object list.
std::pair<std::string, std::string> qualified(const std::vector<std::string>& v,
                                              size_t take) {
  std::string schema, name;
  if (v.size() >= take) {
    name = v[v.size() - take];
    if (v.size() > take)
      schema = v[v.size() - take - 1];
  }
  return {schema, name};
}

json range_var(const std::string& schema, const std::string& name) {
  json rv = {{"relname", name}};
  if (!schema.empty())
    rv["schemaname"] = schema;
  return rv;
}

} // namespace

std::optional<statement> translator::tr_dump_utility(const std::string& type,
                                                     const json& n) {
  auto& b = body(n);
  // the session's role, or 42704 (OWNER TO)
  auto check_role = [&](const json& spec) {
    auto kind = spec.value("roletype", "");
    if (kind == "ROLESPEC_CURRENT_USER" || kind == "ROLESPEC_SESSION_USER" ||
        kind == "ROLESPEC_CURRENT_ROLE")
      return;
    auto role = spec.value("rolename", "");
    if (kind == "ROLESPEC_PUBLIC" || role != info.user)
      throw sql_error("42704", "role \"" +
                                 (kind == "ROLESPEC_PUBLIC" ? "public" : role) +
                                 "\" does not exist");
  };
  if (type == "LockStmt") {
    statement st;
    st.kind = stmt_kind::noop;
    st.tag = "LOCK TABLE";
    st.needs_block = true;
    if (b.contains("relations"))
      for (auto& r : list_items(b.at("relations")))
        table_of(body(r)); // 42P01 for an unknown table
    return st;
  }
  if (type == "AlterTableStmt") {
    // ALTER TABLE / SEQUENCE / VIEW … OWNER TO (pg_dump writes ALTER TABLE
    // for all three); other ALTER TABLE commands are tr_alter's
    auto& cmds = b.at("cmds");
    bool owner_only = !cmds.empty();
    for (auto& c : cmds)
      owner_only =
        owner_only && body(c).value("subtype", "") == "AT_ChangeOwner";
    if (!owner_only)
      return std::nullopt;
    auto& rv = b.at("relation");
    auto name = rv.value("relname", "");
    if (!cat.find(name) && !relation_oid(cat, name)) {
      if (!b.value("missing_ok", false))
        table_of(rv); // 42P01
    }
    for (auto& c : cmds)
      check_role(body(c).at("newowner"));
    statement st;
    st.kind = stmt_kind::noop;
    st.tag =
      "ALTER " +
      std::string(b.value("objtype", "") == "OBJECT_SEQUENCE" ? "SEQUENCE"
                  : b.value("objtype", "") == "OBJECT_VIEW"   ? "VIEW"
                                                              : "TABLE");
    return st;
  }
  if (type == "AlterOwnerStmt") {
    auto ot = b.value("objectType", "");
    statement st;
    st.kind = stmt_kind::noop;
    if (ot == "OBJECT_SCHEMA") {
      auto name = sval(b.at("object"));
      if (name != "public")
        throw sql_error("3F000", "schema \"" + name + "\" does not exist");
      st.tag = "ALTER SCHEMA";
    } else if (ot == "OBJECT_TYPE") {
      auto [schema, name] =
        qualified(string_list(list_items(b.at("object"))), 1);
      if (!cat.find_enum(name))
        throw sql_error("42704", "type \"" + name + "\" does not exist");
      st.tag = "ALTER TYPE";
    } else {
      return std::nullopt;
    }
    check_role(b.at("newowner"));
    return st;
  }
  if (type != "CommentStmt")
    return std::nullopt;
  auto ot = b.value("objtype", "");
  // PostgreSQL: an empty comment is no comment
  auto text = b.contains("comment") && b.at("comment").is_string()
                ? b.at("comment").get<std::string>()
                : std::string();
  auto comment_on = [&](const table_def& t) {
    statement st;
    st.kind = stmt_kind::alter_table;
    st.tag = "COMMENT";
    st.writes = true;
    st.table = t.name;
    st.def = t;
    return st;
  };
  if (ot == "OBJECT_TABLE" || ot == "OBJECT_COLUMN" ||
      ot == "OBJECT_TABCONSTRAINT") {
    auto parts = string_list(list_items(b.at("object")));
    auto [schema, name] = qualified(parts, ot == "OBJECT_TABLE" ? 1 : 2);
    auto& t = table_of(range_var(schema, name));
    auto display = local_name(t.name);
    auto st = comment_on(t);
    auto& d = st.def;
    if (ot == "OBJECT_TABLE") {
      d.comment = text;
      return st;
    }
    auto item = parts.back();
    if (ot == "OBJECT_COLUMN") {
      int pos = d.find(item);
      if (pos < 0)
        throw sql_error("42703", "column \"" + item + "\" of relation \"" +
                                   display + "\" does not exist");
      d.columns[static_cast<size_t>(pos)].comment = text;
      return st;
    }
    for (auto& i : d.indexes)
      if (i.name == item && !i.index_only) {
        i.comment = text;
        return st;
      }
    for (auto& f : d.foreign_keys)
      if (f.name == item) {
        f.comment = text;
        return st;
      }
    for (auto& c : d.checks)
      if (c.name == item) {
        c.comment = text;
        return st;
      }
    throw sql_error("42704", "constraint \"" + item + "\" for table \"" +
                               display + "\" does not exist");
  }
  if (ot == "OBJECT_INDEX") {
    auto [schema, name] = qualified(string_list(list_items(b.at("object"))), 1);
    for (auto* tables : {&cat.tables(), &cat.temp_tables()})
      for (auto& [tn, t] : *tables)
        for (size_t k = 0; k < t.indexes.size(); ++k)
          if (t.indexes[k].name == name) {
            auto st = comment_on(t);
            st.def.indexes[k].comment = text;
            return st;
          }
    throw sql_error("42P01", "relation \"" + name + "\" does not exist");
  }
  unsupported("COMMENT ON " + ot.substr(7) +
                " (tables, columns, indexes and constraints only)",
              n);
}

} // namespace themis::sql::detail

namespace themis::sql::detail {

namespace {

/// Whether search_path names public (its default `"$user", public` does;
/// pg_dump sets it to '').
bool public_on_path(const session_info& info) {
  auto it = info.settings.find("search_path");
  if (it == info.settings.end())
    return true;
  std::string item;
  auto check = [&] {
    auto a = item.find_first_not_of(" \t\"");
    auto b = item.find_last_not_of(" \t\"");
    bool hit = a != std::string::npos && item.substr(a, b - a + 1) == "public";
    item.clear();
    return hit;
  };
  for (char c : it->second) {
    if (c != ',')
      item += c;
    else if (check())
      return true;
  }
  return check();
}

} // namespace

std::string translator::path_qualified(const std::string& local) const {
  return public_on_path(info) ? local : "public." + local;
}

std::optional<expr> translator::tr_dump_func(const std::string& name,
                                             const json& n,
                                             const std::vector<expr>& args) {
  bool implicit = args.size() == 1 && args[0].sql == "1";
  if (name == "current_schemas") // the search path's schemas that exist
    return expr{public_on_path(info)
                  ? (implicit ? "'{pg_catalog,public}'" : "'{public}'")
                  : (implicit ? "'{pg_catalog}'" : "'{}'"),
                oid::text};
  if (name == "format_type" && !args.empty() && !public_on_path(info) &&
      !cat.enums().empty()) {
    // an enum type is public.<name> with public off the path (pg_dump)
    std::string oids, plain = "themis_format_type(";
    for (size_t i = 0; i < args.size(); ++i)
      plain += (i ? ", " : "") + args[i].sql;
    plain += ")";
    for (auto& [en, def] : cat.enums())
      oids += (oids.empty() ? "" : ", ") + std::to_string(def.oid);
    return expr{"CASE WHEN " + args[0].sql + " IN (" + oids +
                  ") THEN 'public.' || " + plain + " ELSE " + plain + " END",
                oid::text};
  }
  if (name == "pg_get_expr" && !args.empty() && !public_on_path(info)) {
    // a default as PostgreSQL deparses it with public off the path:
    // nextval('public.s'::regclass), 'x'::public.mood (pg_dump's scripts
    // run with search_path '')
    std::string e = "themis_pg_get_expr(" + args[0].sql + ")";
    e = "replace(replace(" + e +
        ", 'nextval(''', 'nextval(''public.'), 'nextval(''public.public.', "
        "'nextval(''public.')";
    for (auto& [en, def] : cat.enums())
      e = "replace(" + e + ", " + quote_literal("'::" + en) + ", " +
          quote_literal("'::public." + en) + ")";
    return expr{e, oid::text};
  }
  if (name == "acldefault") // default privileges: none are recorded here
    return expr{"NULL", oid::text};
  if (name == "quote_ident" && args.size() == 1) // sql_functions_dump.cpp
    return expr{"themis_quote_ident(" + args[0].sql + ")", oid::text};
  bool obj = name == "obj_description", col = name == "col_description";
  if (!obj && !col)
    return std::nullopt;
  if (args.empty() || args.size() > 2)
    throw sql_error("42883", "function " + name + "() does not exist",
                    location(n));
  // the comment rows of pg_description (catalog_views_dump.cpp)
  auto desc = catalog_view("pg_catalog", "pg_description", cat, info);
  std::string where = "objoid = " + args[0].sql;
  if (col) {
    if (args.size() != 2)
      throw sql_error("42883", "function col_description() does not exist",
                      location(n));
    where += " AND classoid = 1259 AND objsubid = " + args[1].sql;
  } else {
    where += " AND objsubid = 0";
    if (args.size() == 2) { // the catalog's name, usually a literal
      auto& a = body(n).at("args")[1];
      auto cls = node_type(a) == "A_Const" && body(a).contains("sval")
                   ? body(a).at("sval").value("sval", "")
                   : std::string();
      if (auto o = relation_oid(cat, cls))
        where += " AND classoid = " + std::to_string(*o);
      else if (cls.empty())
        where += " AND classoid = (CASE " + args[1].sql +
                 " WHEN 'pg_class' THEN 1259 WHEN 'pg_namespace' THEN 2615 "
                 "WHEN 'pg_constraint' THEN 2606 END)";
      else
        throw sql_error("42P01", "relation \"" + cls + "\" does not exist");
    }
  }
  return expr{"(SELECT description FROM (" + desc->sql + ") WHERE " + where +
                " LIMIT 1)",
              oid::text};
}

std::optional<std::string>
translator::dump_from_function(const json& node, const std::string& fname,
                               scope& sc) {
  if (fname != "pg_options_to_table")
    return std::nullopt;
  auto& b = body(node);
  std::string alias =
    b.contains("alias") ? b.at("alias").value("aliasname", fname) : fname;
  std::vector<std::string> names = {"option_name", "option_value"};
  if (b.contains("alias") && b.at("alias").contains("colnames")) {
    auto given = string_list(b.at("alias").at("colnames"));
    for (size_t i = 0; i < given.size() && i < names.size(); ++i)
      names[i] = given[i];
  }
  sc.items.push_back(
    {alias, {{names[0], oid::text}, {names[1], oid::text}}, nullptr, ""});
  return "(SELECT NULL AS " + quote_ident(names[0]) + ", NULL AS " +
         quote_ident(names[1]) + " WHERE 0) AS " + quote_ident(alias);
}

} // namespace themis::sql::detail
