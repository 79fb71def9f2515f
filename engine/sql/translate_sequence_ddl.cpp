/// CREATE / ALTER / DROP SEQUENCE and ALTER SEQUENCE … RENAME TO (issue
/// 36): the statement carries the SQLite statements that change
/// sql_seqdefs / sql_sequences (run by run_sequence_ddl on the writer)
/// and the definitions, which a transaction's own catalog takes at once.

#include <sqlite3.h>

#include "engine/names.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

std::string save_sql(const sequence_def& d) {
  return "INSERT INTO sql_seqdefs(name, key, def) VALUES(" +
         quote_literal(d.name) + ", " + quote_literal(d.key) + ", " +
         quote_literal(sequence_to_json(d)) +
         ") ON CONFLICT(name) DO UPDATE SET key = excluded.key, def = "
         "excluded.def";
}

std::string local_of(const std::string& stored) {
  auto at = stored.find_last_of(".$");
  return at == std::string::npos ? stored : stored.substr(at + 1);
}

/// Does `default_sql` / the serial flag of `c` of `t` draw from `key`?
bool uses_sequence(const table_def& t, const column_def& c,
                   const std::string& key) {
  if (c.serial && t.name + "." + c.name == key)
    return true;
  return c.default_sql.find("themis_nextval(" + quote_literal(key)) !=
         std::string::npos;
}

} // namespace

std::optional<statement> translator::tr_sequence_stmt(const std::string& type,
                                                      const json& n) {
  auto& b = body(n);
  bool rename =
    type == "RenameStmt" && b.value("renameType", "") == "OBJECT_SEQUENCE";
  bool drop =
    type == "DropStmt" && b.value("removeType", "") == "OBJECT_SEQUENCE";
  if (type != "CreateSeqStmt" && type != "AlterSeqStmt" && !rename && !drop)
    return std::nullopt;
  statement st;
  st.kind = stmt_kind::sequence_ddl;
  st.writes = true;
  st.temp_ns = info.temp_ns;
  auto& rv = drop ? b : rename ? b.at("relation") : b.at("sequence");
  auto schema = rv.value("schemaname", "");
  auto name = rv.value("relname", "");
  bool own_temp = is_own_temp_schema(schema, info.temp_ns);
  if (!drop && !schema.empty() && schema != "public" && !own_temp)
    throw sql_error("3F000", "schema \"" + schema + "\" does not exist");
  auto exists = [&](const std::string& nm) {
    return cat.find(nm) || find_sequence_def("", nm).has_value() ||
           cat.find_enum(nm);
  };
  if (type == "CreateSeqStmt") {
    st.tag = "CREATE SEQUENCE";
    bool temp = own_temp || rv.value("relpersistence", "p") == "t";
    if (temp && info.temp_ns.empty())
      throw sql_error("0A000", "temporary sequences are not supported here");
    if (temp && schema == "public")
      throw sql_error("42P16", "cannot create temporary relation in "
                               "non-temporary schema");
    st.if_not_exists = b.value("if_not_exists", false);
    if (exists(name) && (!temp || find_sequence_def("pg_temp", name))) {
      if (st.if_not_exists) {
        statement skip;
        skip.kind = stmt_kind::noop;
        skip.tag = "CREATE SEQUENCE";
        skip.notice = "relation \"" + name + "\" already exists, skipping";
        return skip;
      }
      throw sql_error("42P07", "relation \"" + name + "\" already exists");
    }
    sequence_def d;
    d.name = (temp ? info.temp_ns : info.ns) + name;
    d.key = "seq:" + engine::generate_key();
    d.oid = sequence_oid(d.key);
    seq_changes ch;
    sequence_options(d, b.value("options", json::array()), true, ch);
    st.var = "create";
    st.table = d.name;
    st.ddl.push_back(save_sql(d));
    st.sequences.push_back(d);
    return st;
  }
  if (type == "AlterSeqStmt" || rename) {
    st.tag = "ALTER SEQUENCE";
    auto s = find_sequence_def(schema, name);
    if (!s) {
      if (b.value("missing_ok", false)) {
        statement skip;
        skip.kind = stmt_kind::noop;
        skip.tag = "ALTER SEQUENCE";
        skip.notice = "relation \"" + name + "\" does not exist, skipping";
        return skip;
      }
      throw sql_error("42P01", "relation \"" + name + "\" does not exist");
    }
    auto d = *s;
    if (rename) {
      auto to = b.value("newname", "");
      if (exists(to))
        throw sql_error("42P07", "relation \"" + to + "\" already exists");
      st.ddl.push_back("DELETE FROM sql_seqdefs WHERE name = " +
                       quote_literal(d.name));
      st.names.push_back(d.name);
      d.name = d.name.substr(0, d.name.size() - local_of(d.name).size()) + to;
      st.ddl.push_back(save_sql(d));
      st.sequences.push_back(d);
      return st;
    }
    seq_changes ch;
    sequence_options(d, b.value("options", json::array()), false, ch);
    st.ddl.push_back(save_sql(d));
    if (ch.restart) {
      st.ddl.push_back(
        "INSERT INTO sql_sequences(name, last, called) VALUES(" +
        quote_literal(d.key) + ", " + std::to_string(*ch.restart_value) +
        ", 0) ON CONFLICT(name) DO UPDATE SET last = excluded.last, called "
        "= 0");
      st.sequence_keys.push_back(d.key);
    }
    st.sequences.push_back(d);
    return st;
  }
  // DROP SEQUENCE
  st.tag = "DROP SEQUENCE";
  bool cascade = b.value("behavior", "") == "DROP_CASCADE";
  bool missing_ok = b.value("missing_ok", false);
  std::map<std::string, table_def> changed; // defaults dropped by CASCADE
  for (auto& o : b.at("objects")) {
    auto parts = string_list(list_items(o));
    if (parts.empty())
      continue;
    auto sch = parts.size() > 1 ? parts[parts.size() - 2] : "";
    auto nm = parts.back();
    if (!sch.empty() && sch != "public" &&
        !is_own_temp_schema(sch, info.temp_ns))
      throw sql_error("3F000", "schema \"" + sch + "\" does not exist");
    auto s = find_sequence_def(sch, nm);
    if (!s) {
      if (!missing_ok)
        throw sql_error("42P01", "sequence \"" + nm + "\" does not exist");
      st.notice = "sequence \"" + nm + "\" does not exist, skipping";
      continue;
    }
    for (auto& [tn, t0] : cat.tables()) {
      auto& t = changed.count(t0.name) ? changed[t0.name] : t0;
      for (size_t i = 0; i < t.columns.size(); ++i) {
        if (!uses_sequence(t, t.columns[i], s->key))
          continue;
        if (!cascade)
          throw sql_error("2BP01",
                          "cannot drop sequence " + nm +
                            " because other objects depend on it" +
                            error_trailer("", "", "", "",
                                          "default value for column " +
                                            t.columns[i].name + " of table " +
                                            tn + " depends on sequence " + nm));
        auto copy = t;
        copy.columns[i].serial = false;
        copy.columns[i].default_sql.clear();
        copy.columns[i].default_text.clear();
        st.notice = "drop cascades to default value for column " +
                    t.columns[i].name + " of table " + tn;
        changed[t0.name] = copy;
      }
    }
    st.ddl.push_back("DELETE FROM sql_seqdefs WHERE name = " +
                     quote_literal(s->name));
    st.ddl.push_back("DELETE FROM sql_sequences WHERE name = " +
                     quote_literal(s->key));
    st.names.push_back(s->name);
    st.sequence_keys.push_back(s->key);
  }
  for (auto& [n2, t] : changed)
    st.other_defs.push_back(t);
  if (st.names.empty()) { // only names that did not exist
    statement skip;
    skip.kind = stmt_kind::noop;
    skip.tag = st.tag;
    skip.notice = st.notice;
    return skip;
  }
  return st;
}

std::string translator::identity_sequence_sql(const std::string& t,
                                              const column_def& col,
                                              const json& constraint) {
  auto& c = body(constraint);
  sequence_def d;
  d.key = t + "." + col.name;
  d.oid = sequence_oid(d.key);
  d.type = col.type_oid == oid::int2 || col.type_oid == oid::int4 ? col.type_oid
                                                                  : oid::int8;
  d.owner_table = t;
  d.owner_column = col.name;
  d.identity = c.value("generated_when", "d") == "a" ? 'a' : 'd';
  seq_changes ch;
  sequence_options(d, c.value("options", json::array()), true, ch);
  auto local = t.substr(
    t.find_last_of(".$") == std::string::npos ? 0 : t.find_last_of(".$") + 1);
  auto prefix = t.substr(0, t.size() - local.size());
  d.name = prefix +
           (ch.name.empty() ? local + "_" + col.name + "_seq" : ch.name.back());
  return save_sql(d);
}

} // namespace themis::sql::detail

namespace themis::sql {

void run_sequence_ddl(sqlite3* db, write_counters& counters, write_job& job) {
  using detail::local_of;
  auto& st = job.st;
  if (st.var == "create") {
    bool taken = false;
    for (auto* q : {"SELECT 1 FROM sql_seqdefs WHERE name = ?1",
                    "SELECT 1 FROM collections WHERE name = ?1",
                    "SELECT 1 FROM sql_tables WHERE name = ?1"}) {
      auto s = prepare_statement(db, q);
      statement_guard g{s};
      bind_value(db, s, 1, value::of_text(st.table));
      taken = taken || sqlite3_step(s) == SQLITE_ROW;
    }
    if (taken) {
      auto shown = local_of(st.table);
      if (!st.if_not_exists)
        throw sql_error("42P07", "relation \"" + shown + "\" already exists");
      job.result.notice = "relation \"" + shown + "\" already exists, skipping";
      return;
    }
  }
  if (st.ddl.empty()) // the session's temp sequences, at its end
    for (auto& n : st.names)
      if (!st.temp_ns.empty() && n.rfind(st.temp_ns, 0) == 0) {
        exec_sql(db, "DELETE FROM sql_sequences WHERE name IN (SELECT key "
                     "FROM sql_seqdefs WHERE name = " +
                       quote_literal(n) + ")");
        exec_sql(db,
                 "DELETE FROM sql_seqdefs WHERE name = " + quote_literal(n));
      }
  for (auto& d : st.ddl)
    exec_sql(db, d);
  for (auto& t : st.other_defs)
    save_table_def(db, t);
  sequences_changed(counters);
  for (auto& k : st.sequence_keys)
    sequences_changed(counters, k);
  if (!st.notice.empty())
    job.result.notice = st.notice;
  job.result.schema_changed = true;
}

} // namespace themis::sql
