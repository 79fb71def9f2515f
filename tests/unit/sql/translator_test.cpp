#include <gtest/gtest.h>

#include "sql_test_env.hpp"
#include "themis/input_limits.hpp"

using namespace themis::sql;
using themis::sql::test::sql_env;

TEST(sql, literals_arithmetic_and_negative_numbers) {
  sql_env env;
  auto r = env.run("select -7, 3 - -2, 7 / 2, 7.0 / 2, 'a' || 'b', "
                   "position('b' in 'abc'), 2147483647::int8 + 1");
  ASSERT_EQ(r.size(), 1u);
  // 7.0 / 2 is numeric with PostgreSQL's division scale (issue 36)
  EXPECT_EQ(r[0],
            (std::vector<std::string>{"-7", "5", "3", "3.5000000000000000",
                                      "ab", "2", "2147483648"}));
  EXPECT_EQ(env.one("select true and not false"), "t");
  EXPECT_EQ(env.one("select null is null"), "t");
  EXPECT_EQ(env.one("select coalesce(null, 4)"), "4");
  EXPECT_EQ(env.one("select greatest(1, null, 3)"), "3");
}

TEST(sql, tables_round_trip_typed_values) {
  sql_env env;
  env.run(
    "create table k(id int primary key, b bool, d date, "
    "ts timestamptz, j jsonb, u uuid, n numeric, by bytea, v varchar(5))");
  env.run("insert into k values (1, 'yes', '2024-02-29', "
          "'2024-03-01 12:00:00+02', '{\"a\": [1, 2]}', "
          "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 12.5, '\\x0102', 'abc')");
  auto r = env.run("select b, d, ts, j->'a', u, n, by, v from k where id = 1");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(
    r[0], (std::vector<std::string>{
            "t", "2024-02-29", "2024-03-01 10:00:00+00", "[1,2]",
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "12.5", "\\x0102", "abc"}));
  // a jsonb NULL reads back as SQL NULL
  env.run("insert into k(id) values (2)");
  EXPECT_EQ(env.one("select count(*) from k where j is null"), "1");
}

TEST(sql, writes_log_dense_sequences_with_rev_equal_to_seq) {
  sql_env env;
  env.run("create table s(id int primary key, v int)");
  env.run("insert into s values (1, 1), (2, 2)");
  env.run("insert into s values (1, 9), (3, 3) on conflict (id) do nothing");
  env.run("insert into s values (2, 20) on conflict (id) do update "
          "set v = excluded.v");
  env.run("update s set v = v + 1 where id = 3");
  env.run("delete from s where id = 1");
  // 2 + 1 + 1 + 1 + 1 events, numbered 1..6 with no gap
  EXPECT_EQ(env.store().last_sequence(), 6u);
  auto revs = env.run("select v from s order by id");
  ASSERT_EQ(revs.size(), 2u);
  EXPECT_EQ(revs[0][0], "20");
  EXPECT_EQ(revs[1][0], "4");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(env.db(),
                     "SELECT count(*), min(seq), max(seq) FROM changelog", -1,
                     &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 6);
  EXPECT_EQ(sqlite3_column_int(st, 1), 1);
  EXPECT_EQ(sqlite3_column_int(st, 2), 6);
  sqlite3_finalize(st);
  sqlite3_prepare_v2(env.db(),
                     "SELECT count(*) FROM documents WHERE collection = 's' "
                     "AND rev <> json_extract(doc, '$._rev')",
                     -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
}

TEST(sql, parameter_types_are_inferred_from_context) {
  sql_env env;
  env.run("create table p(id int primary key, name text, f float8)");
  auto st = env.translate_one("select name from p where id = $1 and f > $2");
  ASSERT_EQ(st.params.size(), 2u);
  EXPECT_EQ(st.params[0], oid::int4);
  EXPECT_EQ(st.params[1], oid::float8);
  auto ins = env.translate_one("insert into p values ($1, $2, $3)");
  EXPECT_EQ(ins.params,
            (std::vector<uint32_t>{oid::int4, oid::text, oid::float8}));
  auto lim = env.translate_one("select 1 limit $1");
  EXPECT_EQ(lim.params[0], oid::int8);
  auto declared = env.translate_one("select $1", {oid::int8});
  EXPECT_EQ(declared.params[0], oid::int8);
}

TEST(sql, joins_groups_and_ordering_follow_postgres) {
  sql_env env;
  env.run("create table a(id int primary key, g text, x int)");
  env.run("insert into a values (1, 'p', 3), (2, 'q', null), (3, 'p', 1)");
  auto r = env.run("select g, count(*), sum(x) from a group by g order by g");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], (std::vector<std::string>{"p", "2", "4"}));
  EXPECT_EQ(r[1], (std::vector<std::string>{"q", "1", "NULL"}));
  // NULLs sort last ascending, first descending (PostgreSQL's rule)
  auto asc = env.run("select x from a order by x");
  EXPECT_EQ(asc.back()[0], "NULL");
  auto desc = env.run("select x from a order by x desc");
  EXPECT_EQ(desc.front()[0], "NULL");
  // an output name wins over an input column in ORDER BY
  auto named = env.run("select -id as id from a order by id");
  EXPECT_EQ(named.front()[0], "-3");
}

TEST(sql, bad_input_gets_sqlstates_never_a_crash) {
  sql_env env;
  env.run("create table t(id int primary key, v text not null)");
  const std::pair<const char*, const char*> cases[] = {
    {"selec 1", "42601"},
    {"select * from nope", "42P01"},
    {"select nope from t", "42703"},
    {"select 'abc'::int", "22P02"},
    {"select 99999999999::int4", "22003"},
    {"select 1/0", "22012"},
    {"select mod(1, 0)", "22012"},
    {"select '2024-13-01'::date", "22008"},
    {"select '\\x1'::bytea", "22P02"},
    {"select 'nope'::uuid", "22P02"},
    {"select '{'::jsonb", "22P02"},
    {"insert into t values (1, null)", "23502"},
    {"insert into t values (1, 'a'); insert into t values (1, 'b')", "23505"},
    {"select 1 where 1 = $2147483647", "42P02"},
    {"select current_setting()", "0A000"},
    {"select set_config('a', 'b', false)", ""},
    {"select cardinality()", "42883"},
    {"create table x(a bpchar('x'))", ""},
    {"create table y(a varchar(0))", "22023"},
    {"alter table t add constraint c unique using index i", "0A000"},
    {"select row_number() over ()", "0A000"},
    {"with recursive r(n) as (select 1 union all select 1, 2 from r) "
     "select * from r",
     "42601"},
    {"select * from generate_series(1, 3, 0)", "22023"},
    {"select * from json_each('[1]')", "22023"},
    {"select x[1:2] from (select 1 as x) s", "42804"},
    {"select nosuchfunction(1)", "42883"},
    {"insert into t values (1, 'a') on conflict (id) do update set id = 2",
     "0A000"},
    {"create table t(a int)", "42P07"},
    {"drop table nope", "42P01"},
    {"select 'x' ~ '('", "2201B"},
    {"select repeat('ab', 4611686018427387904)", "54000"},
    {"copy t to '/etc/passwd'", "42501"},
  };
  for (auto& [sql, state] : cases)
    EXPECT_EQ(env.error_of(sql), state) << sql;
  EXPECT_EQ(env.one("select count(*) from t"), "1");
}

TEST(sql, ddl_defaults_serial_and_indexes) {
  sql_env env;
  env.run("create table d(id serial primary key, n text default 'x', "
          "u int unique)");
  env.run("insert into d(u) values (1), (2)");
  auto r = env.run("select id, n, u from d order by id");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1], (std::vector<std::string>{"2", "x", "2"}));
  EXPECT_EQ(env.error_of("insert into d(u) values (1)"), "23505");
  env.run("create index d_n on d(n)");
  EXPECT_EQ(env.error_of("create index d_n on d(n)"), "42P07");
  env.run("drop index d_n");
  EXPECT_EQ(env.error_of("drop index d_pkey"), "2BP01");
  env.run("alter table d add column extra int");
  EXPECT_EQ(env.one("select count(extra) from d"), "0");
  env.run("truncate d");
  EXPECT_EQ(env.one("select count(*) from d"), "0");
  env.run("drop table d");
  EXPECT_EQ(env.error_of("select * from d"), "42P01");
}

/// Tenant schemas (issue 9): a tenant's session sees and creates only its
/// own tables, under local names; its stored names are not names to it.
TEST(sql, tenant_sessions_see_only_their_tables) {
  sql_env env;
  env.info().ns = "acme.";
  env.info().all_namespaces = false;
  env.run("create table t(id int primary key, v text); create index tv on "
          "t(v); insert into t values (1, 'acme')");
  env.info().ns = "beta.";
  EXPECT_EQ(env.error_of("select * from t"), "42P01");
  EXPECT_EQ(env.error_of("select * from \"acme.t\""), "42P01");
  EXPECT_EQ(env.error_of("select * from acme.t"), "42P01");
  EXPECT_EQ(env.error_of("create table \"acme.u\"(id int)"), "42602");
  EXPECT_EQ(env.error_of("drop table t"), "42P01");
  EXPECT_EQ(env.error_of("drop index tv"), "42704"); // acme's index
  EXPECT_EQ(env.one("select count(*) from information_schema.tables where "
                    "table_name like '%t%'"),
            "0");
  env.run("create table t(id int primary key, v text); insert into t "
          "values (1, 'beta')");
  EXPECT_EQ(env.one("select v from t"), "beta");
  env.info().ns = "acme.";
  EXPECT_EQ(env.one("select v from t"), "acme");
  env.run("drop index tv; drop table t");
  EXPECT_EQ(env.error_of("select * from t"), "42P01");
  // the global admin sees the stored names; a global non-admin does not
  env.info().ns = "";
  env.info().all_namespaces = true;
  EXPECT_EQ(env.one("select v from \"beta.t\""), "beta");
  env.info().all_namespaces = false;
  EXPECT_EQ(env.error_of("select v from \"beta.t\""), "42P01");
  EXPECT_EQ(env.error_of("create table \"beta.x\"(id int)"), "42602");
}

/// Issue 17: statements that once overflowed a stack are refused with
/// PostgreSQL's codes before any recursion; ordinary ones still run.
TEST(sql, hostile_statements_are_refused_before_recursion) {
  sql_env env;
  auto chain = [](const char* head, const char* term, size_t n) {
    std::string s = head;
    for (size_t i = 0; i < n; ++i)
      s += term;
    return s;
  };
  EXPECT_EQ(env.error_of(chain("select 1", "+1", 5700)), "54001");
  // past the inline-parse size: parsed on a thread with a larger stack
  EXPECT_EQ(env.error_of(chain("select 1", "+1", 200000)), "54001");
  EXPECT_EQ(env.error_of(chain("select 'a'", "||'a'", 5700)), "54001");
  std::string nested = "select ";
  for (int i = 0; i < 2000; ++i)
    nested += "(select ";
  nested += "1";
  nested += std::string(2000, ')');
  EXPECT_EQ(env.error_of(nested), "54001");
  EXPECT_EQ(env.error_of("select " + chain("1", ",1", 600000)), "54000");
  auto deep = std::string(75000, '[') + std::string(75000, ']');
  EXPECT_EQ(env.error_of("select '" + deep + "'::jsonb"), "22P02");
  EXPECT_EQ(env.one(chain("select 1", "+1", 40)), "41");
  EXPECT_EQ(env.one("select '[[[1]]]'::jsonb"), "[[[1]]]");
}

/// Issue 17 (found by fuzz_sql): with limits.max_sql_depth raised to its
/// maximum, a UNION ALL chain once overflowed the stack in tr_select; the
/// stack guard answers 54001 there as well.
TEST(sql, union_chain_at_the_largest_depth_limit_is_54001) {
  sql_env env;
  auto& limits = themis::parser_limits_setting();
  auto saved = limits.max_sql_depth;
  limits.max_sql_depth = 20000;
  std::string q = "select 1";
  for (int i = 0; i < 16000; ++i)
    q += " union all select 1";
  auto state = env.error_of(q);
  limits.max_sql_depth = saved;
  EXPECT_TRUE(state == "54001" || state == "54000") << state;
}
