/// The DO-block interpreter against a scripted host (issue 36): which SQL
/// it sends with variables replaced, what it reports, savepoints around
/// EXCEPTION blocks, and malformed or unsupported bodies.

#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "engine/sql/plpgsql.hpp"

using namespace themis::sql;
using namespace themis::sql::plpgsql;

namespace {

/// Answers `SELECT <literal or simple arithmetic>` itself, records every
/// statement, and fails statements the test names.
class fake_host : public host {
public:
  std::vector<std::string> sql;
  std::vector<message> notes;
  std::vector<std::string> subtx;
  std::map<std::string, result> canned;
  std::map<std::string, std::string> failing; ///< statement → SQLSTATE
  int interrupts = 0;
  int interrupt_limit = 1 << 30;

  result run(const std::string& q) override {
    sql.push_back(q);
    if (auto f = failing.find(q); f != failing.end())
      throw sql_error(f->second, "failed: " + q);
    std::string flat; // whitespace folded: INTO leaves a gap
    for (char c : q)
      if (c != ' ' || flat.empty() || flat.back() != ' ')
        flat.push_back(c);
    if (auto c = canned.find(flat); c != canned.end())
      return c->second;
    result r;
    if (q.rfind("SELECT ", 0) == 0) {
      r.returns_rows = true;
      auto e = q.substr(7);
      r.rows.push_back({eval(e)});
    } else {
      r.affected = 1;
    }
    return r;
  }
  void report(const message& m) override { notes.push_back(m); }
  void subtx_begin(int d) override {
    subtx.push_back("begin " + std::to_string(d));
  }
  void subtx_release(int d) override {
    subtx.push_back("release " + std::to_string(d));
  }
  void subtx_rollback(int d) override {
    subtx.push_back("rollback " + std::to_string(d));
  }
  void check_interrupts() override {
    if (++interrupts > interrupt_limit)
      throw sql_error("57014", "canceling statement due to user request");
  }

private:
  /// (a) op (b) over integers, true/false, 'text', NULL: enough for tests.
  static std::optional<std::string> eval(std::string e) {
    auto strip = [](std::string s) {
      while (!s.empty() && s.front() == ' ')
        s.erase(0, 1);
      while (!s.empty() && s.back() == ' ')
        s.pop_back();
      if (s.size() > 1 && s.front() == '(' && s.back() == ')')
        s = s.substr(1, s.size() - 2);
      return s;
    };
    e = strip(e);
    if (e == "NULL")
      return std::nullopt;
    if (e == "true")
      return "t";
    if (e == "false")
      return "f";
    if (e.size() > 1 && e.front() == '\'') {
      auto end = e.rfind('\'');
      return e.substr(1, end - 1);
    }
    for (const char* op : {" >= ", " < ", " > ", " + ", " * "}) {
      auto at = e.find(op);
      if (at == std::string::npos)
        continue;
      auto a = std::stoll(strip(e.substr(0, at)));
      auto b = std::stoll(strip(e.substr(at + std::string(op).size())));
      std::string o(op);
      if (o == " >= ")
        return a >= b ? "t" : "f";
      if (o == " < ")
        return a < b ? "t" : "f";
      if (o == " > ")
        return a > b ? "t" : "f";
      return std::to_string(o == " + " ? a + b : a * b);
    }
    return e;
  }
};

} // namespace

TEST(plpgsql, raise_notice_formats_its_arguments) {
  fake_host h;
  run_do(" BEGIN RAISE NOTICE 'a % b %% c %', 1, NULL; END ", h);
  ASSERT_EQ(h.notes.size(), 1u);
  EXPECT_EQ(h.notes[0].severity, "NOTICE");
  EXPECT_EQ(h.notes[0].sqlstate, "00000");
  EXPECT_EQ(h.notes[0].text, "a 1 b % c <NULL>");
}

TEST(plpgsql, severities_and_states) {
  fake_host h;
  run_do("BEGIN RAISE WARNING 'w'; RAISE INFO 'i'; RAISE LOG 'l'; "
         "RAISE DEBUG 'd'; END",
         h);
  ASSERT_EQ(h.notes.size(), 4u);
  EXPECT_EQ(h.notes[0].severity, "WARNING");
  EXPECT_EQ(h.notes[0].sqlstate, "01000");
  EXPECT_EQ(h.notes[1].severity, "INFO");
  EXPECT_EQ(h.notes[2].severity, "LOG");
  EXPECT_EQ(h.notes[3].severity, "DEBUG");
  EXPECT_LT(h.notes[3].level, h.notes[2].level);
}

TEST(plpgsql, raise_exception_with_options) {
  fake_host h;
  try {
    run_do("BEGIN RAISE EXCEPTION 'bad %', 7 USING ERRCODE = '22023', "
           "DETAIL = 'd', HINT = 'h'; END",
           h);
    FAIL() << "no exception";
  } catch (const raised& e) {
    EXPECT_EQ(e.sqlstate(), "22023");
    EXPECT_STREQ(e.what(), "bad 7");
    EXPECT_EQ(e.detail, "d");
    EXPECT_EQ(e.hint, "h");
  }
  try {
    run_do("BEGIN RAISE EXCEPTION 'x'; END", h);
    FAIL() << "no exception";
  } catch (const sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "P0001");
  }
}

TEST(plpgsql, variables_become_literals_of_their_type) {
  fake_host h;
  run_do("DECLARE n int := 2; s text := 'its'; b boolean := true; "
         "u text; BEGIN n := n * 3; INSERT INTO t VALUES (n, s, b, u); END",
         h);
  ASSERT_FALSE(h.sql.empty());
  EXPECT_EQ(h.sql.back(),
            "INSERT INTO t VALUES ((6), 'its'::text, true, NULL)");
  EXPECT_EQ(literal(std::string("it's"), "text"), "'it''s'::text");
}

TEST(plpgsql, for_loop_and_exit) {
  fake_host h;
  run_do("BEGIN FOR i IN 1..3 LOOP INSERT INTO t VALUES (i); END LOOP; "
         "FOR i IN REVERSE 5..1 BY 2 LOOP PERFORM i; END LOOP; END",
         h);
  std::vector<std::string> writes;
  for (auto& s : h.sql)
    if (s.rfind("INSERT", 0) == 0 || s.rfind("SELECT (", 0) == 0)
      writes.push_back(s);
  EXPECT_EQ(writes, (std::vector<std::string>{"INSERT INTO t VALUES ((1))",
                                              "INSERT INTO t VALUES ((2))",
                                              "INSERT INTO t VALUES ((3))",
                                              "SELECT (5)", "SELECT (3)",
                                              "SELECT (1)"}));
}

TEST(plpgsql, select_into_and_found) {
  fake_host h;
  result r;
  r.returns_rows = true;
  r.rows = {{std::string("42"), std::string("x")}};
  h.canned["SELECT x, y FROM t"] = r;
  run_do("DECLARE a int; b text; BEGIN SELECT x, y INTO a, b FROM t; "
         "IF found THEN RAISE NOTICE '% %', a, b; END IF; END",
         h);
  ASSERT_EQ(h.notes.size(), 1u);
  EXPECT_EQ(h.notes[0].text, "42 x");
}

TEST(plpgsql, exception_block_is_a_savepoint) {
  fake_host h;
  h.failing["INSERT INTO t VALUES (2)"] = "23505";
  run_do("BEGIN INSERT INTO t VALUES (1); BEGIN INSERT INTO t VALUES (2); "
         "EXCEPTION WHEN unique_violation THEN RAISE NOTICE '%', SQLSTATE; "
         "END; END",
         h);
  EXPECT_EQ(h.subtx, (std::vector<std::string>{"begin 1", "rollback 1"}));
  ASSERT_EQ(h.notes.size(), 1u);
  EXPECT_EQ(h.notes[0].text, "23505");
  // a handler that does not match lets the error through
  fake_host h2;
  h2.failing["INSERT INTO t VALUES (2)"] = "23505";
  EXPECT_THROW(run_do("BEGIN BEGIN INSERT INTO t VALUES (2); EXCEPTION WHEN "
                      "division_by_zero THEN NULL; END; END",
                      h2),
               sql_error);
  EXPECT_EQ(h2.subtx, (std::vector<std::string>{"begin 1", "rollback 1"}));
}

TEST(plpgsql, endless_loop_stops_at_an_interrupt) {
  fake_host h;
  h.interrupt_limit = 1000;
  try {
    run_do("BEGIN LOOP END LOOP; END", h);
    FAIL() << "no exception";
  } catch (const sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "57014");
  }
}

TEST(plpgsql, format_and_substitution_helpers) {
  EXPECT_EQ(format("%I.%I = %L, %s%%", {std::string("Tbl"), std::string("c"),
                                        std::string("o'k"), std::nullopt}),
            "\"Tbl\".c = 'o''k', %");
  EXPECT_THROW(format("%s %s", {std::string("a")}), sql_error);
  EXPECT_THROW(format("%x", {std::string("a")}), sql_error);
  auto lit = [](const std::string& w) -> std::optional<std::string> {
    if (w == "x")
      return std::string("(1)");
    return std::nullopt;
  };
  EXPECT_EQ(substitute("SELECT x, 'x', \"x\", t.x, x(1) AS y -- x\n", lit),
            "SELECT (1), 'x', \"x\", t.x, x(1) AS y -- x\n");
  EXPECT_EQ(substitute("SELECT $x$ x $x$ || x", lit),
            "SELECT $x$ x $x$ || (1)");
  EXPECT_EQ(condition_state("UNIQUE_VIOLATION"), "23505");
  EXPECT_EQ(condition_state("nonsense"), "");
  EXPECT_EQ(literal(std::string("-1"), "int"), "(-1)");
  EXPECT_EQ(literal(std::nullopt, "text"), "NULL");
}

TEST(plpgsql, malformed_bodies_are_42601) {
  for (const char* body :
       {"", "garbage", "BEGIN", "BEGIN x := 1; END", "BEGIN IF true THEN END",
        "BEGIN RAISE NOTICE '% %', 1; END", "BEGIN RAISE NOTICE '%', 1, 2; END",
        "$themis_do$ BEGIN END", "BEGIN END; END;", "\x01\x02\xff"}) {
    fake_host h;
    try {
      run_do(body, h);
      ADD_FAILURE() << "accepted: " << body;
    } catch (const sql_error& e) {
      EXPECT_EQ(e.sqlstate(), "42601") << body << ": " << e.what();
    }
  }
}

TEST(plpgsql, beyond_the_subset_is_0A000) {
  for (const char* body :
       {"DECLARE a int[]; x int; BEGIN FOREACH x IN ARRAY a LOOP END LOOP; "
        "END",
        "BEGIN CASE 1 WHEN 1 THEN NULL; END CASE; END", "BEGIN COMMIT; END",
        "DECLARE n text; BEGIN GET DIAGNOSTICS n = PG_CONTEXT; END"}) {
    fake_host h;
    try {
      run_do(body, h);
      ADD_FAILURE() << "accepted: " << body;
    } catch (const sql_error& e) {
      EXPECT_EQ(e.sqlstate(), "0A000") << body << ": " << e.what();
    }
  }
}

TEST(plpgsql, for_over_a_query_with_a_record_and_row_count) {
  fake_host h;
  result r;
  r.returns_rows = true;
  r.columns = {"tablename", "n"};
  r.types = {"name", "int4"};
  r.rows = {{std::string("a"), std::string("1")},
            {std::string("b b"), std::nullopt}};
  h.canned["SELECT tablename, n FROM pg_tables"] = r;
  run_do("DECLARE rec record; c int; BEGIN FOR rec IN SELECT tablename, n "
         "FROM pg_tables LOOP PERFORM rec.tablename; PERFORM rec.n; END LOOP; "
         "GET DIAGNOSTICS c = "
         "ROW_COUNT; RAISE NOTICE '%', c; END",
         h);
  std::vector<std::string> seen;
  for (auto& s : h.sql)
    if (s.rfind("SELECT '", 0) == 0 || s.rfind("SELECT (1)", 0) == 0 ||
        s.rfind("SELECT NULL", 0) == 0)
      seen.push_back(s);
  EXPECT_EQ(seen,
            (std::vector<std::string>{"SELECT 'a'::text", "SELECT (1)",
                                      "SELECT 'b b'::text", "SELECT NULL"}));
  ASSERT_EQ(h.notes.size(), 1u);
  EXPECT_EQ(h.notes[0].text, "2");
  // a field that is not there, a record not yet assigned
  fake_host h2;
  h2.canned["SELECT tablename, n FROM pg_tables"] = r;
  try {
    run_do("DECLARE rec record; BEGIN FOR rec IN SELECT tablename, n FROM "
           "pg_tables LOOP PERFORM rec.nope; END LOOP; END",
           h2);
    FAIL() << "no exception";
  } catch (const sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "42703");
  }
  try {
    run_do("DECLARE rec record; BEGIN PERFORM rec.x; END", h2);
    FAIL() << "no exception";
  } catch (const sql_error& e) {
    EXPECT_EQ(e.sqlstate(), "55000");
  }
}
