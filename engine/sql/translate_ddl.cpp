#include <cstdio>

#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_edge_option.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE (Sequelize sends it on
/// every connection) → the zone PostgreSQL shows for it, "<+05:30>-05:30".
std::string interval_time_zone(const json& cast) {
  auto& c = body(cast);
  auto names = string_list(c.at("typeName").value("names", json::array()));
  if (names.empty() || names.back() != "interval" ||
      node_type(c.at("arg")) != "A_Const" ||
      !body(c.at("arg")).contains("sval"))
    throw sql_error("0A000", "SET TIME ZONE with this value is not supported");
  auto t = body(c.at("arg")).at("sval").value("sval", "");
  int h = 0, m = 0;
  char sign = '+';
  size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-'))
    sign = t[i++];
  int n = 0;
  if (std::sscanf(t.c_str() + i, "%d:%d%n", &h, &m, &n) != 2 ||
      i + static_cast<size_t>(n) != t.size() || h < 0 || h > 15 || m < 0 ||
      m > 59)
    throw sql_error("22023",
                    "invalid interval value for time zone: \"" + t + "\"");
  char hm[16];
  if (m)
    std::snprintf(hm, sizeof hm, "%02d:%02d", h, m);
  else
    std::snprintf(hm, sizeof hm, "%02d", h);
  return std::string("<") + sign + hm + ">" + (sign == '+' ? '-' : '+') + hm;
}

std::string defelem_text(const json& d) {
  if (!d.contains("arg"))
    return "true";
  auto& a = d.at("arg");
  auto& t = node_type(a);
  if (t == "String")
    return a.at("String").value("sval", "");
  if (t == "Integer")
    return std::to_string(a.at("Integer").value("ival", 0));
  if (t == "A_Const") {
    auto& b = a.at("A_Const");
    if (b.contains("sval"))
      return b.at("sval").value("sval", "");
    if (b.contains("ival"))
      return std::to_string(b.at("ival").value("ival", 0));
  }
  if (t == "Boolean")
    return a.at("Boolean").value("boolval", false) ? "true" : "false";
  return "";
}

bool truthy(const std::string& v) {
  return v == "true" || v == "on" || v == "1" || v.empty();
}

std::string const_text(translator& t, const json& c) {
  auto& b = body(c);
  if (b.contains("sval"))
    return b.at("sval").value("sval", "");
  if (b.contains("ival"))
    return std::to_string(t.int_at(b));
  if (b.contains("fval"))
    return b.at("fval").value("fval", "");
  if (b.contains("boolval"))
    return b.at("boolval").value("boolval", false) ? "on" : "off";
  return "";
}

} // namespace

statement translator::tr_create(const json& n) {
  auto& b = body(n);
  auto& rv = b.at("relation");
  auto name = rv.value("relname", "");
  auto schema = rv.value("schemaname", "");
  // CREATE TEMP TABLE, or a table created in pg_temp (issue 36)
  bool temp = rv.value("relpersistence", "p") == "t" ||
              is_own_temp_schema(schema, info.temp_ns);
  if (!schema.empty() && schema != "public" && !temp)
    throw sql_error("3F000", "schema \"" + schema + "\" does not exist");
  auto on_commit = temp_on_commit(b.value("oncommit", ""), temp, schema,
                                  !info.temp_ns.empty());
  if (b.contains("inhRelations") || b.contains("partspec") ||
      b.contains("ofTypename"))
    unsupported("inheritance, partitioning and typed tables", n);
  if (name.find('.') != std::string::npos &&
      (!info.ns.empty() || !info.all_namespaces))
    throw sql_error("42602", "invalid table name \"" + name +
                               "\" (letters, digits, _ and -)");
  if (!temp && cat.find_view(name) && !is_temp_table(cat.find_view(name)->name))
    throw sql_error("42P07", "relation \"" + name + "\" already exists");
  statement st;
  st.kind = stmt_kind::create_table;
  st.tag = "CREATE TABLE";
  st.table = info.ns + name; // stored name; `name` stays for display
  if (temp)
    st.table = info.temp_ns + name; // the session's pg_temp_<pid>
  // only the session's own prefix makes a temp table (issue 36)
  st.temp_ns = info.temp_ns;
  st.writes = true;
  st.if_not_exists = b.value("if_not_exists", false);
  apply_edge_option(b, st); // WITH (themis_type = 'edge'), issue 32
  table_def& t = st.def;
  t.name = st.table;
  t.on_commit = on_commit;
  t.oid = table_oid(st.table);
  std::vector<std::pair<std::vector<std::string>, bool>> keys; // (cols, pk)
  std::vector<std::string> key_names; // CONSTRAINT name of each key
  // FOREIGN KEY and CHECK: (node, column of a column constraint), read
  // once every column is known
  std::vector<std::pair<json, std::string>> later; // copies: value() copies
  scope none;
  for (auto& e : b.value("tableElts", json::array())) {
    auto& et = node_type(e);
    if (et == "Constraint") {
      auto& c = body(e);
      auto ct = c.value("contype", "");
      if (ct == "CONSTR_PRIMARY" || ct == "CONSTR_UNIQUE") {
        keys.push_back({string_list(c.at("keys")), ct == "CONSTR_PRIMARY"});
        key_names.push_back(c.value("conname", ""));
      } else if (ct == "CONSTR_FOREIGN" || ct == "CONSTR_CHECK") {
        later.push_back({e, ""});
      } else {
        unsupported("table constraint " + ct.substr(7), e);
      }
      continue;
    }
    if (et != "ColumnDef")
      unsupported(et + " in CREATE TABLE", e);
    auto& cd = body(e);
    column_def col;
    col.name = cd.value("colname", "");
    if (t.find(col.name) >= 0)
      throw sql_error("42701",
                      "column \"" + col.name + "\" specified more than once");
    auto tn = string_list(cd.at("typeName").value("names", json::array()));
    col.type_oid = type_of_typename(cd.at("typeName"));
    std::string base = tn.empty() ? "" : tn.back();
    col.serial = base == "serial" || base == "bigserial" ||
                 base == "smallserial" || base == "serial4" ||
                 base == "serial8" || base == "serial2";
    if (cd.at("typeName").contains("typmods") &&
        (col.type_oid == oid::varchar || col.type_oid == oid::bpchar)) {
      auto& m = cd.at("typeName").at("typmods").at(0);
      if (node_type(m) == "A_Const" && body(m).contains("ival")) {
        auto len = body(m).at("ival").value("ival", 0);
        if (len < 1 || len > 10485760)
          throw sql_error("22023", "length for type varchar must be "
                                   "between 1 and 10485760");
        col.typmod = len + 4;
      }
    }
    if (col.type_oid == oid::numeric) // numeric(p,s) (issue 36)
      col.typmod = numeric_typmod(cd.at("typeName"));
    if (col.serial) {
      col.not_null = true;
      col.default_text =
        "nextval('" + name + "_" + col.name + "_seq'::regclass)";
    }
    for (auto& k : cd.value("constraints", json::array())) {
      auto& c = body(k);
      auto ct = c.value("contype", "");
      if (ct == "CONSTR_NOTNULL") {
        col.not_null = true;
      } else if (ct == "CONSTR_NULL") {
      } else if (ct == "CONSTR_DEFAULT") {
        auto e2 = tr(c.at("raw_expr"), none);
        col.default_sql = e2.sql;
        col.default_text = "";
        // keep what the user wrote, roughly, for \d
        auto& rt = node_type(c.at("raw_expr"));
        col.default_text = rt == "A_Const"
                             ? const_text(*this, c.at("raw_expr"))
                             : output_name(c.at("raw_expr")) + "()";
        if (rt == "A_Const" && body(c.at("raw_expr")).contains("sval"))
          col.default_text = quote_literal(col.default_text);
        // pg_get_expr's spelling (issue 36, catalog): false, 'x'::text
        if (rt == "A_Const" || rt == "TypeCast")
          col.default_text = default_text(c.at("raw_expr"), col.type_oid);
        // nextval('s'::regclass) (issue 36; translate_sequence.cpp)
        if (auto sq = sequence_default_text(c.at("raw_expr")))
          col.default_text = *sq;
        col.default_sql = nextval_without_session(col.default_sql);
      } else if (ct == "CONSTR_PRIMARY" || ct == "CONSTR_UNIQUE") {
        keys.push_back({{col.name}, ct == "CONSTR_PRIMARY"});
        key_names.push_back(c.value("conname", ""));
      } else if (ct == "CONSTR_FOREIGN" || ct == "CONSTR_CHECK") {
        later.push_back({k, col.name});
      } else if (ct.rfind("CONSTR_ATTR_", 0) == 0 && !later.empty() &&
                 body(later.back().first).value("contype", "") ==
                   "CONSTR_FOREIGN") {
        // [NOT] DEFERRABLE / INITIALLY DEFERRED|IMMEDIATE after REFERENCES
        auto& fk = later.back().first.begin().value();
        if (ct == "CONSTR_ATTR_DEFERRABLE")
          fk["deferrable"] = true;
        else if (ct == "CONSTR_ATTR_NOT_DEFERRABLE")
          fk["deferrable"] = false;
        else if (ct == "CONSTR_ATTR_DEFERRED")
          fk["initdeferred"] = fk["deferrable"] = true;
        else
          fk["initdeferred"] = false;
      } else if (ct == "CONSTR_IDENTITY") {
        col.serial = true;
        col.not_null = true;
        // its sequence's options (issue 36; translate_sequence_ddl.cpp)
        st.ddl.push_back(identity_sequence_sql(st.table, col, k));
      } else {
        unsupported("column constraint " + ct.substr(7), k);
      }
    }
    t.columns.push_back(std::move(col));
  }
  bool has_pk = false;
  size_t key_no = 0;
  for (auto& [cols, primary] : keys) {
    auto& given_name = key_names[key_no++];
    index_def idx;
    idx.primary = primary;
    idx.unique = true;
    std::string suffix;
    for (auto& c : cols) {
      int pos = t.find(c);
      if (pos < 0)
        throw sql_error("42703",
                        "column \"" + c + "\" named in key does not exist");
      idx.columns.push_back(pos);
      suffix += "_" + c;
      if (primary)
        t.columns[static_cast<size_t>(pos)].not_null = true;
    }
    if (primary) {
      if (has_pk)
        throw sql_error("42P16", "multiple primary keys for table \"" + name +
                                   "\" are not allowed");
      has_pk = true;
      idx.name = name + "_pkey";
    } else {
      idx.name = free_constraint_name(t, name + suffix + "_key");
    }
    if (!given_name.empty())
      idx.name = given_name;
    t.indexes.push_back(idx);
  }
  for (auto& [node, column] : later) {
    if (body(node).value("contype", "") == "CONSTR_FOREIGN")
      t.foreign_keys.push_back(make_fk(t, node, column));
    else
      t.checks.push_back(make_check(t, node, column));
  }
  for (auto& i : t.indexes)
    st.ddl.push_back(create_index_sql(t, i));
  return st;
}

statement translator::tr_utility(const std::string& type, const json& n) {
  auto& b = body(n);
  // LOCK TABLE, COMMENT ON, OWNER TO (translate_dump.cpp; issue 36)
  if (auto dump = tr_dump_utility(type, n))
    return *dump;
  // CREATE / DROP / ALTER FUNCTION, CALL (translate_function.cpp; issue 36)
  if (auto fn = tr_function_ddl(type, n))
    return *fn;
  if (auto seq = tr_sequence_stmt(type, n)) // translate_sequence_ddl.cpp
    return *seq;
  statement st;
  if (type == "DropStmt") {
    std::vector<std::string> schemas; // per name: "", public or pg_temp
    auto rt = b.value("removeType", "");
    st.if_exists = b.value("missing_ok", false);
    for (auto& o : b.at("objects")) {
      auto parts = string_list(body(o).value("items", json::array()));
      if (parts.empty())
        continue;
      bool temp =
        parts.size() > 1 && is_own_temp_schema(parts[0], info.temp_ns);
      if (parts.size() > 1 && parts[0] != "public" && !temp)
        throw sql_error("3F000", "schema \"" + parts[0] + "\" does not exist");
      st.names.push_back(parts.back());
      schemas.push_back(parts.size() > 1 ? (temp ? "pg_temp" : "public") : "");
    }
    st.temp_ns = info.temp_ns; // no other session's temp table (issue 36)
    st.writes = true;
    if (rt == "OBJECT_TABLE") {
      st.kind = stmt_kind::drop_table;
      st.tag = "DROP TABLE";
      for (size_t i = 0; i < st.names.size(); ++i) {
        auto& name = st.names[i];
        auto t = schemas[i].empty()        ? cat.find(name)
                 : schemas[i] == "pg_temp" ? cat.find_temp(name)
                                           : cat.find_permanent(name);
        if (!t)
          refuse_drop_table_of_view(name); // 42809 (issue 36)
        if (!t && !st.if_exists)
          throw sql_error("42P01", "table \"" + name + "\" does not exist");
        // stored names; one the catalog does not show is never another
        // namespace's (the writer finds nothing under ours and skips it)
        name = t ? t->name : info.ns + name;
      }
      drop_dependents(st, b.value("behavior", "") == "DROP_CASCADE");
      drop_view_dependents(st, st.names, // translate_view.cpp (issue 36)
                           b.value("behavior", "") == "DROP_CASCADE", "table");
      return st;
    }
    if (rt == "OBJECT_INDEX") {
      st.kind = stmt_kind::drop_index;
      st.tag = "DROP INDEX";
      st.ns = info.ns;
      st.all_namespaces = info.ns.empty() && info.all_namespaces;
      return st;
    }
    if (rt == "OBJECT_TYPE")
      return tr_drop_type(n);
    if (rt == "OBJECT_VIEW") // translate_view.cpp (issue 36)
      return tr_drop_view(st, schemas,
                          b.value("behavior", "") == "DROP_CASCADE");
    unsupported("DROP " + rt.substr(7), n);
  }
  if (type == "IndexStmt") {
    auto& t = table_of(b.at("relation"));
    if (!t.typed)
      unsupported("indexes on document collections (index doc fields with "
                  "AQL instead)",
                  n);
    if (b.contains("whereClause"))
      unsupported("partial indexes", n);
    st.kind = stmt_kind::create_index;
    st.tag = "CREATE INDEX";
    st.writes = true;
    st.table = t.name;
    st.def = t;
    st.if_not_exists = b.value("if_not_exists", false);
    index_def idx;
    idx.unique = b.value("unique", false);
    idx.index_only = true; // a CREATE INDEX: no constraint (issue 36)
    std::string suffix;
    for (auto& e : b.at("indexParams")) {
      auto& ie = body(e);
      if (ie.contains("expr"))
        unsupported("expression indexes", e);
      auto name = ie.value("name", "");
      int pos = t.find(name);
      if (pos < 0)
        throw sql_error("42703", "column \"" + name + "\" does not exist");
      idx.columns.push_back(pos);
      suffix += "_" + name;
    }
    idx.name = b.value("idxname", t.name + suffix + "_idx");
    st.def.indexes.push_back(idx);
    st.ddl.push_back(create_index_sql(t, idx));
    return st;
  }
  if (type == "AlterTableStmt")
    return tr_alter(n);
  if (type == "CreateEnumStmt" || type == "AlterEnumStmt")
    return tr_enum(type, n);
  if (type == "RenameStmt")
    return tr_rename(n);
  if (type == "TruncateStmt") {
    st.kind = stmt_kind::truncate;
    st.tag = "TRUNCATE TABLE";
    st.writes = true;
    for (auto& r : b.at("relations"))
      st.names.push_back(table_of(body(r)).name);
    truncate_dependents(st, b.value("behavior", "") == "DROP_CASCADE");
    return st;
  }
  if (type == "ConstraintsSetStmt") {
    // constraints are checked at the end of each statement, deferrable
    // ones that are INITIALLY DEFERRED at COMMIT (docs/postgres.md)
    st.kind = stmt_kind::noop;
    st.tag = "SET CONSTRAINTS";
    return st;
  }
  if (type == "TransactionStmt") {
    auto k = b.value("kind", "");
    st.var = b.value("savepoint_name", "");
    if (k == "TRANS_STMT_BEGIN" || k == "TRANS_STMT_START") {
      st.kind = stmt_kind::begin;
      st.tag = k == "TRANS_STMT_BEGIN" ? "BEGIN" : "START TRANSACTION";
      // BEGIN ISOLATION LEVEL x: the transaction's level (issue 36)
      for (auto& o : b.value("options", json::array()))
        if (node_type(o) == "DefElem" &&
            body(o).value("defname", "") == "transaction_isolation" &&
            body(o).contains("arg") &&
            node_type(body(o).at("arg")) == "A_Const")
          st.val = const_text(*this, body(o).at("arg"));
    } else if (k == "TRANS_STMT_COMMIT") {
      st.kind = stmt_kind::commit;
      st.tag = "COMMIT";
    } else if (k == "TRANS_STMT_ROLLBACK") {
      st.kind = stmt_kind::rollback;
      st.tag = "ROLLBACK";
    } else if (k == "TRANS_STMT_SAVEPOINT") {
      st.kind = stmt_kind::savepoint;
      st.tag = "SAVEPOINT";
    } else if (k == "TRANS_STMT_RELEASE") {
      st.kind = stmt_kind::release;
      st.tag = "RELEASE";
    } else if (k == "TRANS_STMT_ROLLBACK_TO") {
      st.kind = stmt_kind::rollback_to;
      st.tag = "ROLLBACK";
    } else {
      unsupported("two-phase commit", n);
    }
    if (b.value("chain", false))
      unsupported("AND CHAIN", n);
    return st;
  }
  if (type == "VariableSetStmt") {
    auto k = b.value("kind", "");
    st.tag = k == "VAR_RESET" || k == "VAR_RESET_ALL" ? "RESET" : "SET";
    st.kind = st.tag == "RESET" ? stmt_kind::reset : stmt_kind::set;
    st.var = b.value("name", "");
    st.local = b.value("is_local", false);
    if (k == "VAR_SET_MULTI") {
      // SET TRANSACTION / SESSION CHARACTERISTICS AS TRANSACTION
      // ISOLATION LEVEL x: the level reads back through SHOW (issue 36)
      auto target = st.var == "TRANSACTION" ? "transaction_isolation"
                                            : "default_transaction_isolation";
      st.kind = stmt_kind::noop; // READ ONLY, DEFERRABLE …: accepted
      for (auto& a : b.value("args", json::array())) {
        if (node_type(a) != "DefElem")
          continue;
        auto& d = body(a);
        if (d.value("defname", "") != "transaction_isolation" ||
            !d.contains("arg") || node_type(d.at("arg")) != "A_Const")
          continue;
        st.kind = stmt_kind::set;
        st.var = target;
        st.val = const_text(*this, d.at("arg"));
      }
      return st;
    }
    if (k == "VAR_RESET_ALL") {
      st.kind = stmt_kind::reset;
      st.var.clear();
      return st;
    }
    if (k == "VAR_SET_DEFAULT") {
      st.kind = stmt_kind::reset;
      return st;
    }
    std::string v;
    for (auto& a : b.value("args", json::array())) {
      if (st.var == "timezone" && node_type(a) == "TypeCast") {
        v = interval_time_zone(a);
        continue;
      }
      if (node_type(a) != "A_Const")
        unsupported("SET with a non-constant value", a);
      v += (v.empty() ? "" : ", ") + const_text(*this, a);
    }
    st.val = v;
    return st;
  }
  if (type == "VariableShowStmt") {
    st.kind = stmt_kind::show;
    st.tag = "SHOW";
    st.var = b.value("name", "");
    st.returns_rows = true;
    // known before execution, so Describe can answer it
    if (st.var == "all")
      st.columns = {{"name", oid::text},
                    {"setting", oid::text},
                    {"description", oid::text}};
    else // the column is named as PostgreSQL names it (SHOW timezone: TimeZone)
      st.columns = {{st.var == "timezone"        ? std::string("TimeZone")
                     : st.var == "datestyle"     ? std::string("DateStyle")
                     : st.var == "intervalstyle" ? std::string("IntervalStyle")
                                                 : st.var,
                     oid::text}};
    return st;
  }
  if (type == "DiscardStmt") {
    st.kind = stmt_kind::discard;
    st.tag = "DISCARD " + b.value("target", "DISCARD_ALL").substr(8);
    return st;
  }
  if (type == "VacuumStmt") {
    st.kind = stmt_kind::noop;
    st.tag = b.value("is_vacuumcmd", false) ? "VACUUM" : "ANALYZE";
    return st;
  }
  if (type == "DeallocateStmt") {
    st.kind = stmt_kind::noop;
    st.tag = "DEALLOCATE";
    if (b.contains("name"))
      unsupported("DEALLOCATE of a named statement", n);
    st.tag = "DEALLOCATE ALL";
    return st;
  }
  if (type == "CopyStmt") {
    if (b.contains("filename") || b.value("is_program", false))
      throw sql_error("42501", "COPY to or from a file is not allowed; use "
                               "STDIN/STDOUT (psql \\copy)");
    auto& cp = st.copy;
    for (auto& o : b.value("options", json::array())) {
      auto& d = body(o);
      auto name = d.value("defname", "");
      auto val = defelem_text(d);
      if (name == "format") {
        if (val == "csv")
          cp.csv = true, cp.delimiter = ',', cp.null_text = "";
        else if (val == "binary")
          cp.binary = true; // issue 36: psycopg 3, asyncpg
        else if (val != "text")
          unsupported("COPY format " + val, o);
      } else if (name == "delimiter") {
        if (val.size() != 1)
          throw sql_error("22023",
                          "COPY delimiter must be a single one-byte character");
        cp.delimiter = val[0];
      } else if (name == "null") {
        cp.null_text = val;
      } else if (name == "header") {
        cp.header = truthy(val);
      } else if (name == "quote") {
        cp.quote = val.empty() ? '"' : val[0];
      } else if (name == "encoding" || name == "freeze") {
        // FREEZE is a storage hint; the engine has nothing to freeze
      } else {
        unsupported("COPY option " + name, o);
      }
    }
    if (cp.binary) // PostgreSQL's order of checks (issue 36)
      for (auto& o : b.value("options", json::array())) {
        auto name = body(o).value("defname", "");
        if (name == "delimiter" || name == "null" || name == "header") {
          for (auto& ch : name)
            ch = static_cast<char>(std::toupper(ch));
          throw sql_error("42601",
                          "cannot specify " + name + " in BINARY mode");
        }
        if (name == "quote")
          throw sql_error("0A000", "COPY quote available only in CSV mode");
      }
    if (b.contains("query")) {
      if (b.value("is_from", false))
        unsupported("COPY (query) FROM", n);
      auto sub = tr_select(b.at("query"), nullptr);
      cp.query_sql = sub.sql;
      st.columns = sub.cols;
      st.kind = stmt_kind::copy_to;
      st.tag = "COPY";
      return st;
    }
    auto& t = table_of(b.at("relation"));
    cp.table = t.name;
    st.table = t.name;
    if (b.contains("attlist")) {
      for (auto& a : string_list(b.at("attlist"))) {
        int pos = t.find(a);
        if (pos < 0)
          throw sql_error("42703", "column \"" + a + "\" of relation \"" +
                                     t.name + "\" does not exist");
        cp.columns.push_back(pos);
      }
    } else {
      for (size_t i = 0; i < t.columns.size(); ++i)
        cp.columns.push_back(static_cast<int>(i));
    }
    st.tag = "COPY";
    if (b.value("is_from", false)) {
      st.kind = stmt_kind::copy_from;
      st.writes = true;
    } else {
      st.kind = stmt_kind::copy_to;
      std::string sel;
      for (auto p : cp.columns) {
        auto& c = t.columns[static_cast<size_t>(p)];
        sel += (sel.empty() ? "" : ", ") + column_expr(t, c) + " AS " +
               quote_ident(c.name);
        st.columns.push_back({c.name, c.type_oid});
      }
      cp.query_sql = "SELECT " + sel + " FROM documents WHERE collection = " +
                     quote_literal(t.name) + " ORDER BY key";
    }
    return st;
  }
  if (type == "DeclareCursorStmt") {
    int opts = b.value("options", 0);
    if (opts & 0x2)
      unsupported("SCROLL cursors (cursors move forward only)", n);
    auto sub = tr_select(b.at("query"), nullptr);
    st.kind = stmt_kind::declare_cursor;
    st.tag = "DECLARE CURSOR";
    st.var = b.value("portalname", "");
    st.sql = sub.sql;
    st.columns = sub.cols;
    st.hold = (opts & 0x20) != 0;
    return st;
  }
  if (type == "FetchStmt") {
    auto dir = b.value("direction", "FETCH_FORWARD");
    if (dir != "FETCH_FORWARD")
      unsupported("FETCH " + dir.substr(6) + " (cursors move forward only)", n);
    st.kind = stmt_kind::fetch;
    st.var = b.value("portalname", "");
    st.local = b.value("ismove", false);
    // an absent howMany is 0 (the parser leaves zero values out): FETCH 0
    // returns no row here (PostgreSQL re-reads the current one)
    auto how = b.value("howMany", int64_t{0});
    st.count = how >= INT64_MAX / 2 ? -1 : how;
    st.tag = st.local ? "MOVE" : "FETCH";
    st.returns_rows = !st.local;
    return st;
  }
  if (type == "ClosePortalStmt") {
    st.kind = stmt_kind::close_cursor;
    st.tag = "CLOSE CURSOR";
    st.var = b.value("portalname", "");
    st.local = st.var.empty(); // CLOSE ALL
    return st;
  }
  if (type == "ExplainStmt")
    return tr_explain(n); // of a SELECT (issue 32; translate_vector.cpp)
  if (type == "CreateSchemaStmt")
    unsupported("CREATE SCHEMA (one schema, public)", n);
  if (type == "ViewStmt")
    return tr_create_view(n); // translate_view.cpp (issue 36)
  if (type == "ListenStmt" || type == "NotifyStmt" || type == "UnlistenStmt")
    unsupported("LISTEN/NOTIFY (use the changefeed)", n);
  if (type == "PrepareStmt" || type == "ExecuteStmt")
    unsupported("SQL-level PREPARE/EXECUTE (use the extended protocol)", n);
  if (type == "CreateExtensionStmt")
    unsupported("extensions", n);
  unsupported("the statement " + type, n);
}

} // namespace themis::sql::detail
