/// Temporary tables below the wire (issue 36): stored names, lookup and
/// shadowing in the catalog, no change-log sequence for their writes, and
/// the purge when the store opens.

#include <gtest/gtest.h>

#include "engine/sql/temp_tables.hpp"
#include "sql_test_env.hpp"

using namespace themis::sql;
using themis::sql::test::sql_env;

namespace {

/// Runs `sql` as a session whose temp tables begin with info().temp_ns
/// (sql_env::run scopes the catalog without temp tables).
std::vector<std::vector<std::string>> run(sql_env& env,
                                          const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  for (auto& p : parse_sql(sql)) {
    auto cat = catalog::load(env.db()).scoped(
      env.info().ns, env.info().all_namespaces, env.info().temp_ns);
    auto st = translate(p, cat, env.info());
    out.clear();
    if (st.writes) {
      auto job = std::make_shared<write_job>();
      job->st = st;
      job->param_rows.emplace_back();
      themis::engine::write_batch b;
      themis::engine::write_op op;
      op.kind = themis::engine::op_kind::sql;
      op.sql = job;
      b.ops.push_back(op);
      auto r = env.store().commit(b);
      if (!job->sqlstate.empty())
        throw sql_error(job->sqlstate, job->message);
      if (!r.committed)
        throw sql_error("XX000", r.error);
    } else if (st.kind == stmt_kind::select) {
      query_cursor c(env.db(), st.sql, {});
      c.fetch(0, [&](row& r) {
        std::vector<std::string> v;
        for (auto& x : r)
          v.push_back(x.is_null() ? "NULL" : to_text(x, oid::text));
        out.push_back(v);
      });
    }
  }
  return out;
}

std::string state_of(sql_env& env, const std::string& sql) {
  try {
    run(env, sql);
  } catch (const sql_error& e) {
    return e.sqlstate();
  }
  return "";
}

} // namespace

TEST(temp_tables, stored_names) {
  EXPECT_EQ(temp_table_prefix("", 7), "pg_temp_7$");
  EXPECT_EQ(temp_table_prefix("acme.", 7), "acme.pg_temp_7$");
  EXPECT_TRUE(is_temp_table("acme.pg_temp_7$t"));
  EXPECT_FALSE(is_temp_table("acme.t"));
  EXPECT_EQ(temp_local_name("acme.pg_temp_7$t"), "t");
  EXPECT_EQ(temp_schema_of("acme.pg_temp_7$t"), "pg_temp_7");
  EXPECT_EQ(temp_schema_of("orders"), "public");
  EXPECT_TRUE(is_own_temp_schema("pg_temp", "pg_temp_7$"));
  EXPECT_TRUE(is_own_temp_schema("pg_temp_7", "acme.pg_temp_7$"));
  EXPECT_FALSE(is_own_temp_schema("pg_temp_8", "pg_temp_7$"));
  EXPECT_FALSE(is_own_temp_schema("public", "pg_temp_7$"));
  EXPECT_NE(temp_namespace_oid("pg_temp_7"), temp_namespace_oid("pg_temp_8"));
}

TEST(temp_tables, on_commit_clauses) {
  EXPECT_EQ(temp_on_commit("ONCOMMIT_DROP", true, "", true), "drop");
  EXPECT_EQ(temp_on_commit("ONCOMMIT_DELETE_ROWS", true, "", true), "delete");
  EXPECT_EQ(temp_on_commit("ONCOMMIT_PRESERVE_ROWS", true, "", true), "");
  EXPECT_EQ(temp_on_commit("ONCOMMIT_NOOP", false, "", true), "");
  auto state = [](auto f) {
    try {
      f();
    } catch (const sql_error& e) {
      return e.sqlstate();
    }
    return std::string();
  };
  EXPECT_EQ(state([] { temp_on_commit("ONCOMMIT_DROP", false, "", true); }),
            "42P16");
  EXPECT_EQ(state([] { temp_on_commit("", true, "public", true); }), "42P16");
  EXPECT_EQ(state([] { temp_on_commit("", true, "", false); }), "0A000");
}

TEST(temp_tables, shadow_lookup_and_no_sequences) {
  sql_env env;
  env.info().temp_ns = temp_table_prefix("", 42);
  run(env, "create table t (id int primary key, v text)");
  run(env, "insert into t values (1, 'perm')");
  auto seq = env.store().last_sequence();
  run(env, "create temp table t (id int primary key, v text) "
           "on commit delete rows");
  run(env, "insert into t values (2, 'temp'), (3, 'temp')");
  run(env, "update t set v = 'x' where id = 2");
  run(env, "delete from t where id = 3");
  run(env, "insert into pg_temp.t select id + 10, v from public.t");
  EXPECT_EQ(env.store().last_sequence(), seq); // no change event
  EXPECT_EQ(run(env, "select v from t order by id"),
            (std::vector<std::vector<std::string>>{{"x"}, {"perm"}}));
  EXPECT_EQ(run(env, "select v from public.t"),
            (std::vector<std::vector<std::string>>{{"perm"}}));
  auto cat = catalog::load(env.db()).scoped("", true, env.info().temp_ns);
  ASSERT_NE(cat.find("t"), nullptr);
  EXPECT_EQ(cat.find("t")->name, "pg_temp_42$t");
  EXPECT_EQ(cat.find("t")->on_commit, "delete");
  EXPECT_EQ(cat.find_permanent("t")->name, "t");
  // another session's catalog has no temp table, under any name
  auto other =
    catalog::load(env.db()).scoped("", true, temp_table_prefix("", 43));
  EXPECT_EQ(other.find("t")->name, "t");
  EXPECT_EQ(other.find("pg_temp_42$t"), nullptr);
  EXPECT_TRUE(other.temp_tables().empty());
  // '$' is no table name; another session's temp table is not dropped
  EXPECT_EQ(state_of(env, "create table \"a$b\" (a int)"), "42602");
  env.info().temp_ns = temp_table_prefix("", 43);
  run(env, "drop table if exists \"pg_temp_42$t\"");
  env.info().temp_ns = temp_table_prefix("", 42);
  EXPECT_EQ(run(env, "select count(*) from pg_temp.t"),
            (std::vector<std::vector<std::string>>{{"2"}}));
  run(env, "insert into public.t values (5, 'p')");
  EXPECT_EQ(env.store().last_sequence(), seq + 1); // dense
}

TEST(temp_tables, purged_when_the_store_opens) {
  sql_env env;
  env.info().temp_ns = temp_table_prefix("", 9);
  run(env, "create temp table gone (id int primary key, v text)");
  run(env, "create index gone_v on gone (v)");
  run(env, "insert into gone values (1, 'a')");
  auto count = [&](const char* q) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(env.db(), q, -1, &s, nullptr);
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return n;
  };
  const char* defs = "select count(*) from sql_tables where instr(name, '$')";
  const char* rows = "select count(*) from documents where instr(collection, "
                     "'$')";
  const char* idx = "select count(*) from sqlite_master where type = 'index' "
                    "and instr(name, '$')";
  EXPECT_EQ(count(defs), 1);
  EXPECT_EQ(count(rows), 1);
  EXPECT_EQ(count(idx), 2);
  // what the store writer runs when it opens, on a connection of its own
  sqlite3* w = nullptr;
  ASSERT_EQ(sqlite3_open(sqlite3_db_filename(env.db(), "main"), &w), SQLITE_OK);
  EXPECT_EQ(purge_temp_tables(w), 1);
  sqlite3_close(w);
  EXPECT_EQ(count(defs), 0);
  EXPECT_EQ(count(rows), 0);
  EXPECT_EQ(count(idx), 0);
}
