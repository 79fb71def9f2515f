/// Views (issue 36): the definition text pg_get_viewdef prints, views in
/// tenant namespaces, recursion through OR REPLACE, and malformed
/// CREATE VIEW statements (an error, never a crash).

#include <gtest/gtest.h>

#include "engine/sql/sql_views.hpp"
#include "sql_test_env.hpp"

using namespace themis::sql;
using themis::sql::test::sql_env;

TEST(views, select_layout_as_pg_get_viewdef) {
  auto p = split_select("SELECT a, count(*) AS n, f(x, y) FROM t WHERE "
                        "b = 'x, FROM y' GROUP BY a HAVING count(*) > 1 "
                        "ORDER BY a LIMIT 3");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->items,
            (std::vector<std::string>{"a", "count(*) AS n", "f(x, y)"}));
  EXPECT_EQ(join_select(*p), " SELECT a,\n    count(*) AS n,\n    f(x, y)\n"
                             "   FROM t\n  WHERE b = 'x, FROM y'\n  GROUP BY "
                             "a\n HAVING count(*) > 1\n  ORDER BY a\n LIMIT 3");
  p = split_select("SELECT DISTINCT ON (a, b) a, b FROM t");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->head, "SELECT DISTINCT ON (a, b)");
  EXPECT_EQ(p->items.size(), 2u);
  // WITH goes first, a set operation's other arms after the first SELECT
  // (whose select list names the columns)
  p = split_select("WITH q AS (SELECT 1 AS x) SELECT x AS y FROM q UNION "
                   "ALL SELECT 2 FROM t ORDER BY 1");
  ASSERT_TRUE(p);
  EXPECT_EQ(join_select(*p), " WITH q AS (SELECT 1 AS x)\n SELECT x AS y\n"
                             "   FROM q\nUNION ALL SELECT 2 FROM t ORDER BY 1");
  EXPECT_FALSE(split_select("VALUES (1)"));
}

TEST(views, query_of_a_deparsed_create_view) {
  EXPECT_EQ(view_query_of(deparse_sql(
              "create or replace temp view \"x AS y\" (p, q) with "
              "(security_barrier) as select 1, 'a AS b' -- comment\n")),
            "SELECT 1, 'a AS b'");
  EXPECT_EQ(view_query_of("CREATE VIEW v AS SELECT a FROM t WITH LOCAL "
                          "CHECK OPTION"),
            "SELECT a FROM t");
  EXPECT_EQ(view_query_of("SELECT 1"), "");
  EXPECT_EQ(view_ident("abc_1"), "abc_1");
  EXPECT_EQ(view_ident("Abc"), "\"Abc\"");
  EXPECT_EQ(view_ident("a b"), "\"a b\"");
  EXPECT_EQ(view_ident("1a"), "\"1a\"");
  EXPECT_THROW(deparse_sql("create view v as selec 1"), sql_error);
}

TEST(views, stored_and_expanded) {
  sql_env env;
  env.run("create table t(id int primary key, a text, c int)");
  env.run("insert into t values (1, 'x', -1), (2, 'y', 5)");
  env.run("create view v (k, name) as select id, a from t where c > -1");
  EXPECT_EQ(env.one("select name from v"), "y");
  EXPECT_EQ(env.one("select pg_get_viewdef('v')"),
            " SELECT id AS k,\n    a AS name\n   FROM t\n  WHERE c > -1;");
  // SELECT * is stored expanded, as PostgreSQL does: a later column is
  // not in the view
  env.run("create view s as select * from t");
  env.run("alter table t add column d int");
  EXPECT_EQ(env.run("select * from s where id = 1")[0].size(), 3u);
  // a cycle made through OR REPLACE fails when read (PostgreSQL too)
  env.run("create view ra as select 1 as x");
  env.run("create view rb as select x from ra");
  env.run("create or replace view ra as select x from rb");
  EXPECT_EQ(env.error_of("select * from ra"), "42P17");
  EXPECT_EQ(env.error_of("create or replace view rb as select x from rb"),
            "42P17");
  EXPECT_EQ(env.error_of("drop view ra"), "2BP01");
  env.run("drop view ra cascade");
  EXPECT_EQ(env.error_of("select * from rb"), "42P01");
}

TEST(views, tenants_have_their_own) {
  sql_env env;
  env.info().ns = "acme.";
  env.info().all_namespaces = false;
  env.run("create table t(id int primary key)");
  env.run("insert into t values (7)");
  env.run("create view v as select id from t");
  EXPECT_EQ(env.one("select id from v"), "7");
  EXPECT_EQ(env.one("select viewname from pg_views"), "v");
  env.info().ns = "beta.";
  EXPECT_EQ(env.error_of("select * from v"), "42P01");
  EXPECT_EQ(env.one("select count(*) from pg_views"), "0");
  env.run("create table t(id int primary key)");
  env.run("create view v as select id + 1 as id from t");
  EXPECT_EQ(env.one("select count(*) from v"), "0");
  env.info().ns = "acme.";
  EXPECT_EQ(env.one("select id from v"), "7");
}

TEST(views, malformed_create_view_is_an_error) {
  sql_env env;
  env.run("create table t(id int primary key, a text)");
  const std::string sql = "create or replace view v (x, y) with "
                          "(security_barrier) as select id, a || '(' from t "
                          "where id in (select id from t) order by 1";
  // every prefix: parsed or not, translated or not, never a crash
  for (size_t n = 1; n <= sql.size(); ++n) {
    try {
      env.run(sql.substr(0, n));
    } catch (const sql_error& e) {
      EXPECT_EQ(e.sqlstate().size(), 5u);
    }
  }
  EXPECT_EQ(env.one("select count(*) from pg_views"), "1");
  EXPECT_EQ(env.error_of("create view w as select $1"), "42P02");
}
