// User functions (issue 36): definitions round-trip through JSON, print as
// PostgreSQL prints them, and calls translate and run (inlined SQL bodies,
// PL/pgSQL through themis_udf) with PostgreSQL's errors.

#include <gtest/gtest.h>

#include "engine/sql/sql_udf.hpp"
#include "sql_test_env.hpp"

using namespace themis::sql;
using themis::sql::test::sql_env;

namespace {

function_def sample() {
  function_def f;
  f.name = "acme.add";
  f.language = "sql";
  f.args = {{"a", 23, "", 'i', "", ""},
            {"b", 23, "", 'i', "{\"A_Const\":{\"ival\":{\"ival\":10}}}", "10"}};
  f.ret_type = 23;
  f.volatility = 'i';
  f.strict = true;
  f.body = " SELECT a + b ";
  return f;
}

std::string state_of(sql_env& env, const std::string& sql) {
  try {
    env.run(sql);
  } catch (const sql_error& e) {
    return e.sqlstate();
  }
  return "ok";
}

} // namespace

TEST(udf, definition_round_trip_and_key) {
  auto f = sample();
  EXPECT_EQ(f.key(), "acme.add(23,23)");
  EXPECT_EQ(function_key("g", {}), "g()");
  auto g = function_from_json(to_json(f));
  EXPECT_EQ(g.key(), f.key());
  EXPECT_EQ(g.args.size(), 2u);
  EXPECT_EQ(g.args[1].default_text, "10");
  EXPECT_TRUE(g.strict);
  EXPECT_EQ(g.volatility, 'i');
  EXPECT_EQ(g.body, f.body);
  EXPECT_EQ(g.oid, function_oid(f.key()));
  // a malformed definition gives an empty one, never a throw
  EXPECT_TRUE(function_from_json("not json").name.empty());
}

TEST(udf, printed_as_postgresql_prints_it) {
  auto f = sample();
  EXPECT_EQ(function_arguments(f), "a integer, b integer DEFAULT 10");
  EXPECT_EQ(function_identity_arguments(f), "a integer, b integer");
  EXPECT_EQ(function_signature_types(f), "integer, integer");
  EXPECT_EQ(function_result(f), "integer");
  auto d = function_definition(f, "add");
  EXPECT_NE(d.find("CREATE OR REPLACE FUNCTION public.add(a integer, b "
                   "integer DEFAULT 10)\n RETURNS integer\n LANGUAGE sql\n "
                   "IMMUTABLE STRICT\nAS $function$ SELECT a + b $function$"),
            std::string::npos)
    << d;
  f.args.push_back({"t", 25, "", 't', "", ""});
  f.retset = true;
  EXPECT_EQ(function_result(f), "TABLE(t text)");
  f.kind = 'p';
  EXPECT_EQ(function_arguments(f), "IN a integer, IN b integer DEFAULT 10");
  EXPECT_EQ(function_result(f), "");
  EXPECT_EQ(udf_type_name(fn_type::void_t), "void");
  EXPECT_EQ(udf_type_name(fn_type::trigger), "trigger");
}

TEST(udf, sql_and_plpgsql_calls) {
  sql_env env;
  env.run("create function dbl(x int) returns int language sql immutable "
          "as $$ select x * 2 $$");
  EXPECT_EQ(env.one("select dbl(21)"), "42");
  EXPECT_EQ(env.one("select dbl(dbl(1))"), "4");
  // inlined: no themis_udf call in the translation
  EXPECT_EQ(env.translate_one("select dbl(2)").sql.find("themis_udf"),
            std::string::npos);
  env.run("create function pl(x int) returns text language plpgsql as $$ "
          "declare y int := x + 1; begin if y > 5 then return 'big'; end if; "
          "return 'small ' || y; end $$");
  EXPECT_EQ(env.one("select pl(1)"), "small 2");
  EXPECT_EQ(env.one("select pl(9)"), "big");
  EXPECT_NE(env.translate_one("select pl(2)").sql.find("themis_udf"),
            std::string::npos);
  env.run("create function st(x int) returns int strict language sql as $$ "
          "select coalesce(x, 7) $$");
  EXPECT_EQ(env.one("select st(null) is null"), "t");
}

TEST(udf, errors_as_postgresql) {
  sql_env env;
  env.run("create function f(x int) returns int language sql as $$ select x "
          "$$");
  EXPECT_EQ(state_of(env, "select f('a'::text)"), "42883");
  EXPECT_EQ(state_of(env, "select f(1, 2)"), "42883");
  EXPECT_EQ(state_of(env, "create function f(y int) returns int language sql "
                          "as $$ select y $$"),
            "42723");
  EXPECT_EQ(state_of(env, "create function g() returns int language sql as "
                          "$$ select from_nowhere $$"),
            "42703");
  EXPECT_EQ(state_of(env, "create function g() returns int language plpgsql "
                          "as $$ begin return 1 end $$"),
            "42601");
  EXPECT_EQ(state_of(env, "create function g() returns int language cobol as "
                          "$$ x $$"),
            "42704");
  EXPECT_EQ(state_of(env, "drop function nosuch(int)"), "42883");
  EXPECT_EQ(state_of(env, "drop function if exists nosuch(int)"), "ok");
  env.run("create function loop_forever(n int) returns int language plpgsql "
          "as $$ begin return loop_forever(n + 1); end $$");
  EXPECT_EQ(state_of(env, "select loop_forever(1)"), "54001");
  EXPECT_EQ(env.one("select 1"), "1");
}
