/// CREATE / DROP / ALTER DATABASE below the PostgreSQL front-end (issue
/// 36): the statements' option checks, and the store writer's registry
/// rows, DROP of a namespace (every row's DELETE event, definitions,
/// indexes) and RENAME (rows and definitions move, foreign keys follow).

#include <gtest/gtest.h>

#include "engine/names.hpp"
#include "engine/sql/sql_databases.hpp"
#include "sql_test_env.hpp"

namespace themis::sql::test {

namespace {

statement parsed(const std::string& sql) {
  auto p = parse_sql(sql);
  auto st = database_statement(p.at(0));
  if (!st)
    throw std::runtime_error("not a database statement: " + sql);
  return *st;
}

std::string error_of(const std::string& sql) {
  try {
    parsed(sql);
  } catch (const sql_error& e) {
    return e.sqlstate();
  }
  return "";
}

/// Runs a database statement's writer part; its SQLSTATE ("" : done).
std::string write(sql_env& env, statement st) {
  auto job = std::make_shared<write_job>();
  job->st = std::move(st);
  engine::write_batch b;
  engine::write_op op;
  op.kind = engine::op_kind::sql;
  op.sql = job;
  b.ops.push_back(op);
  auto r = env.store().commit(b);
  if (!job->sqlstate.empty())
    return job->sqlstate;
  return r.committed ? "" : "XX000";
}

int64_t count(sql_env& env, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(env.db(), sql.c_str(), -1, &s, nullptr);
  int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
  sqlite3_finalize(s);
  return n;
}

} // namespace

TEST(databases, statements_and_their_option_errors) {
  auto st = parsed("CREATE DATABASE x WITH TEMPLATE = template0 ENCODING = "
                   "'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8' "
                   "CONNECTION LIMIT 3");
  EXPECT_EQ(st.kind, stmt_kind::database_ddl);
  EXPECT_EQ(st.var, "create");
  EXPECT_EQ(st.table, "x");
  EXPECT_NE(st.sql.find("\"connection_limit\":3"), std::string::npos);
  EXPECT_NE(parsed("CREATE DATABASE x CONNECTION LIMIT -1")
              .sql.find("\"connection_limit\":-1"),
            std::string::npos); // libpg_query leaves -1 out of its JSON
  EXPECT_EQ(error_of("CREATE DATABASE x CONNECTION LIMIT -5"), "22023");
  EXPECT_EQ(error_of("CREATE DATABASE x FOO 1"), "42601");
  EXPECT_EQ(error_of("CREATE DATABASE x ENCODING 'UTF8' ENCODING 'UTF8'"),
            "42601");
  EXPECT_EQ(error_of("CREATE DATABASE x ENCODING 'NOPE'"), "42704");
  EXPECT_EQ(error_of("CREATE DATABASE x ENCODING 'LATIN1'"), "22023");
  EXPECT_EQ(error_of("CREATE DATABASE x LOCALE_PROVIDER foo"), "42P17");
  EXPECT_EQ(error_of("CREATE DATABASE x TABLESPACE other"), "42704");
  auto d = parsed("DROP DATABASE IF EXISTS x WITH (FORCE)");
  EXPECT_EQ(d.var, "drop");
  EXPECT_TRUE(d.if_exists);
  EXPECT_TRUE(d.local);
  EXPECT_EQ(parsed("ALTER DATABASE x RENAME TO y").val, "y");
  EXPECT_EQ(parsed("ALTER DATABASE x OWNER TO bob").var, "owner");
  EXPECT_EQ(parsed("ALTER DATABASE x SET search_path = a").var, "set");
  EXPECT_EQ(error_of("ALTER DATABASE x WITH ENCODING 'UTF8'"), "42601");
  EXPECT_FALSE(database_statement(parse_sql("SELECT 1").at(0)));
}

TEST(databases, names) {
  EXPECT_TRUE(valid_database_name("test_shop-1"));
  EXPECT_FALSE(valid_database_name("Shop"));
  EXPECT_FALSE(valid_database_name("a.b"));
  EXPECT_FALSE(valid_database_name("-x"));
  EXPECT_FALSE(valid_database_name(std::string(64, 'a')));
  EXPECT_TRUE(engine::valid_stored_collection_name("test_shop.orders"));
  EXPECT_FALSE(engine::valid_stored_collection_name("Test.orders"));
}

TEST(databases, registry_drop_and_rename) {
  sql_env env;
  EXPECT_EQ(write(env, parsed("CREATE DATABASE shop")), "");
  EXPECT_EQ(write(env, parsed("CREATE DATABASE shop")), "42P04");
  auto def = load_database(env.db(), "shop");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->oid, 16384u);
  EXPECT_EQ(write(env, parsed("CREATE DATABASE other")), "");
  EXPECT_EQ(load_database(env.db(), "other")->oid, 16385u);
  // a session of database shop: its tables are shop.t
  env.info().ns = "shop.";
  env.info().all_namespaces = false;
  env.run("CREATE TABLE a (id int PRIMARY KEY, v text UNIQUE)");
  env.run("CREATE TABLE b (id serial PRIMARY KEY, a_id int REFERENCES a(id))");
  env.run("INSERT INTO a VALUES (1, 'x'), (2, 'y')");
  env.run("INSERT INTO b (a_id) VALUES (1)");
  EXPECT_EQ(count(env, "SELECT count(*) FROM documents WHERE collection "
                       "LIKE 'shop.%'"),
            3);
  // RENAME: rows, definitions and the foreign key's target move
  auto seq = env.store().last_sequence();
  auto r = parsed("ALTER DATABASE shop RENAME TO store");
  r.var = "rename";
  EXPECT_EQ(write(env, r), "");
  EXPECT_EQ(env.store().last_sequence(), seq + 6); // a DELETE and a PUT each
  EXPECT_FALSE(load_database(env.db(), "shop"));
  EXPECT_EQ(load_database(env.db(), "store")->oid, 16384u);
  env.info().ns = "store.";
  EXPECT_EQ(env.one("SELECT v FROM a WHERE id = 2"), "y");
  EXPECT_EQ(env.error_of("INSERT INTO b (a_id) VALUES (9)"), "23503");
  EXPECT_EQ(env.error_of("INSERT INTO a VALUES (3, 'x')"), "23505");
  env.run("INSERT INTO b (a_id) VALUES (2)");
  // the sequence moved with it (the failed INSERT took 2, as in PostgreSQL)
  EXPECT_EQ(env.one("SELECT max(id) FROM b"), "3");
  // DROP: every row goes with a DELETE event; definitions and indexes too
  seq = env.store().last_sequence();
  EXPECT_EQ(write(env, parsed("DROP DATABASE store")), "");
  EXPECT_EQ(env.store().last_sequence(), seq + 4);
  EXPECT_EQ(count(env, "SELECT count(*) FROM documents WHERE collection "
                       "LIKE 'store.%'"),
            0);
  EXPECT_EQ(count(env, "SELECT count(*) FROM sql_tables"), 0);
  EXPECT_EQ(count(env, "SELECT count(*) FROM sqlite_master WHERE type = "
                       "'index' AND name LIKE 'sqlidx:store.%'"),
            0);
  EXPECT_FALSE(load_database(env.db(), "store"));
  EXPECT_TRUE(load_database(env.db(), "other"));
  EXPECT_EQ(write(env, parsed("DROP DATABASE store")), "3D000");
  // a namespace in use (a tenant's tables) cannot become a database
  env.info().ns = "acme.";
  env.run("CREATE TABLE t (a int)");
  EXPECT_EQ(write(env, parsed("CREATE DATABASE acme")), "42P04");
}

} // namespace themis::sql::test
