/// The AQL parser: each clause, scoping, bind parameters, and errors with
/// their positions (the bad-input block).

#include <gtest/gtest.h>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/parser.hpp"

using namespace themis::aql;

namespace {

clause_kind kind_at(const parsed_query& q, size_t i) {
  return q.root->clauses.at(i).kind;
}

/// Parses `text` expecting an error; returns it.
aql_error fails(const std::string& text) {
  try {
    parse(text);
  } catch (const aql_error& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error: " << text;
  return aql_error(error_kind::internal, "none");
}

} // namespace

TEST(aql_parser, for_filter_sort_limit_return) {
  auto q = parse("FOR u IN users FILTER u.age > 30 SORT u.name DESC, u.age "
                 "LIMIT 2, 10 RETURN u.name");
  ASSERT_EQ(q.root->clauses.size(), 5u);
  EXPECT_EQ(kind_at(q, 0), clause_kind::for_);
  EXPECT_EQ(q.root->clauses[0].source->kind, expr_kind::collection);
  EXPECT_EQ(q.root->clauses[0].source->name, "users");
  EXPECT_EQ(kind_at(q, 1), clause_kind::filter);
  auto& sort = q.root->clauses[2];
  ASSERT_EQ(sort.sort.size(), 2u);
  EXPECT_FALSE(sort.sort[0].ascending);
  EXPECT_TRUE(sort.sort[1].ascending);
  auto& limit = q.root->clauses[3];
  ASSERT_TRUE(limit.offset);
  EXPECT_EQ(limit.offset->value, 2);
  EXPECT_EQ(limit.count->value, 10);
  EXPECT_EQ(kind_at(q, 4), clause_kind::return_);
  EXPECT_FALSE(q.modifies);
}

TEST(aql_parser, keywords_are_case_insensitive_and_attributes_may_be_keywords) {
  auto q = parse("for d in docs filter d.filter == d.count return d.return");
  EXPECT_EQ(q.root->clauses.size(), 3u);
  EXPECT_EQ(q.root->clauses[2].e->name, "return");
}

TEST(aql_parser, variables_get_distinct_slots) {
  auto q = parse("FOR a IN x FOR b IN y LET c = a + b RETURN c");
  auto& cl = q.root->clauses;
  EXPECT_NE(cl[0].slot, cl[1].slot);
  EXPECT_NE(cl[1].slot, cl[2].slot);
  EXPECT_EQ(cl[3].e->kind, expr_kind::variable);
  EXPECT_EQ(cl[3].e->slot, cl[2].slot);
  EXPECT_EQ(q.slots, 3);
}

TEST(aql_parser, unknown_identifier_is_a_collection) {
  auto q = parse("RETURN LENGTH(users)");
  EXPECT_EQ(q.root->clauses[0].e->args[0]->kind, expr_kind::collection);
}

TEST(aql_parser, collect_forms) {
  auto q =
    parse("FOR u IN users COLLECT city = u.city, g = u.g AGGREGATE "
          "n = COUNT(u), m = MAX(u.age) INTO members = u.name WITH COUNT "
          "INTO total RETURN {city, g, n, m, members, total}");
  auto& c = q.root->clauses[1];
  EXPECT_EQ(c.kind, clause_kind::collect);
  EXPECT_EQ(c.groups.size(), 2u);
  ASSERT_EQ(c.aggregates.size(), 2u);
  EXPECT_EQ(c.aggregates[0].function, "COUNT");
  EXPECT_EQ(c.aggregates[1].function, "MAX");
  EXPECT_EQ(c.into_var, "members");
  EXPECT_TRUE(c.into_expr);
  EXPECT_EQ(c.count_var, "total");
  EXPECT_NO_THROW(parse("FOR u IN users COLLECT WITH COUNT INTO n RETURN n"));
  EXPECT_NO_THROW(
    parse("FOR u IN users COLLECT AGGREGATE s = SUM(u.x) RETURN s"));
  EXPECT_NO_THROW(parse("FOR u IN users COLLECT c = u.c INTO g RETURN g"));
}

TEST(aql_parser, collect_hides_earlier_variables) {
  // After COLLECT `u` is out of scope: the name now means a collection (as
  // in ArangoDB), which fails at run time with "collection not found".
  auto q = parse("FOR u IN users COLLECT c = u.city RETURN u");
  EXPECT_EQ(q.root->clauses[2].e->kind, expr_kind::collection);
  auto ok = parse("FOR u IN users COLLECT c = u.city RETURN c");
  EXPECT_EQ(ok.root->clauses[2].e->kind, expr_kind::variable);
}

TEST(aql_parser, modifications_declare_new_and_old) {
  auto q = parse("FOR u IN users UPDATE u WITH {seen: true} IN users "
                 "RETURN {o: OLD, n: NEW}");
  auto& c = q.root->clauses[1];
  EXPECT_EQ(c.kind, clause_kind::update);
  EXPECT_TRUE(c.with);
  EXPECT_EQ(c.collection, "users");
  EXPECT_TRUE(q.modifies);
  auto& ret = q.root->clauses[2];
  EXPECT_EQ(ret.e->members[0].value->slot, c.old_slot);
  EXPECT_EQ(ret.e->members[1].value->slot, c.new_slot);
  EXPECT_NO_THROW(parse("INSERT {a: 1} INTO c"));
  EXPECT_NO_THROW(parse("INSERT {a: 1 IN [1]} IN c")); // IN inside braces
  EXPECT_NO_THROW(parse("FOR x IN c REMOVE x IN c"));
  EXPECT_NO_THROW(parse("FOR x IN c REPLACE x WITH {b: 2} IN @@coll"));
}

TEST(aql_parser, bind_parameters_are_collected) {
  auto q = parse("FOR u IN @@c FILTER u.a == @a OR u.b == @b OR u.a == @a "
                 "RETURN u");
  EXPECT_EQ(q.bind_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(q.collection_binds, (std::vector<std::string>{"c"}));
}

TEST(aql_parser, operators_and_precedence) {
  auto q = parse("RETURN 1 + 2 * 3 == 7 && !false || 'x' LIKE 'y'");
  auto& e = *q.root->clauses[0].e;
  ASSERT_EQ(e.kind, expr_kind::binary);
  EXPECT_EQ(e.op, op_code::or_);
  EXPECT_EQ(e.args[0]->op, op_code::and_);
  EXPECT_EQ(e.args[0]->args[0]->op, op_code::eq);
  EXPECT_EQ(e.args[0]->args[0]->args[0]->op, op_code::add);
  auto r = parse("RETURN 1..3");
  EXPECT_EQ(r.root->clauses[0].e->op, op_code::range);
  auto n = parse("RETURN 1 NOT IN [2]");
  EXPECT_EQ(n.root->clauses[0].e->op, op_code::not_in);
  auto t = parse("RETURN true ? 1 : 2");
  EXPECT_EQ(t.root->clauses[0].e->kind, expr_kind::ternary);
}

TEST(aql_parser, literals) {
  auto q = parse(
    R"(RETURN [1, 2.5, -3, "a\"b", 'c', null, true, {k: 1, "s p": 2, [CONCAT("x", "y")]: 3}, 0x1F, 1e3])");
  auto& a = q.root->clauses[0].e->args;
  EXPECT_EQ(a[0]->value, 1);
  EXPECT_EQ(a[1]->value, 2.5);
  EXPECT_EQ(a[3]->value, "a\"b");
  EXPECT_EQ(a[4]->value, "c");
  EXPECT_TRUE(a[5]->value.is_null());
  EXPECT_EQ(a[6]->value, true);
  EXPECT_EQ(a[7]->members.size(), 3u);
  EXPECT_EQ(a[8]->value, 31);
  EXPECT_EQ(a[9]->value, 1000);
}

TEST(aql_parser, subqueries_and_expansion) {
  auto q = parse("LET top = (FOR u IN users SORT u.age DESC LIMIT 3 RETURN u) "
                 "RETURN top[*].name");
  EXPECT_EQ(q.root->clauses[0].e->kind, expr_kind::subquery);
  EXPECT_EQ(q.root->clauses[1].e->kind, expr_kind::expand);
  EXPECT_NO_THROW(parse("RETURN LENGTH(FOR x IN 1..3 RETURN x)"));
}

TEST(aql_parser, comments) {
  EXPECT_NO_THROW(parse("// one\nRETURN /* two */ 1 // three"));
}

// -- bad input ---------------------------------------------------------------

TEST(aql_parser_bad_input, syntax_error_has_line_and_column) {
  auto e = fails("FOR u IN users\n  FILTER u.age >\n  RETURN u");
  EXPECT_EQ(e.kind(), error_kind::parse);
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.column(), 3);
}

TEST(aql_parser_bad_input, unknown_function_is_named) {
  auto e = fails("RETURN NO_SUCH_FN(1)");
  EXPECT_EQ(e.kind(), error_kind::unknown_function);
  EXPECT_NE(std::string(e.what()).find("NO_SUCH_FN"), std::string::npos);
  EXPECT_EQ(e.column(), 8);
}

TEST(aql_parser_bad_input, wrong_arity) {
  EXPECT_EQ(fails("RETURN LOWER()").kind(), error_kind::semantic);
  EXPECT_EQ(fails("RETURN LOWER('a', 'b', 'c')").kind(), error_kind::semantic);
}

TEST(aql_parser_bad_input, assorted) {
  for (auto text : {"",
                    "   ",
                    "FOR",
                    "FOR u",
                    "FOR u IN",
                    "FOR u IN users",
                    "RETURN",
                    "RETURN (1",
                    "RETURN [1,",
                    "RETURN {a:",
                    "RETURN 'unterminated",
                    "RETURN \"x",
                    "RETURN 1 +",
                    "FILTER true",
                    "LET x = 1",
                    "RETURN @",
                    "RETURN 12abc",
                    "RETURN /* open",
                    "RETURN #",
                    "FOR u IN users RETURN u u",
                    "LET a = 1 LET a = 2 RETURN a",
                    "LET for = 1 RETURN 1",
                    "FOR u IN users COLLECT RETURN 1",
                    "FOR u IN users COLLECT AGGREGATE x = LOWER(u) RETURN x",
                    "UPSERT {a:1} INSERT {} UPDATE {} IN c",
                    "FOR v, e IN 1..2 OUTBOUND 'a' RETURN v",
                    "RETURN 1 RETURN 2",
                    "INSERT {} c",
                    "RETURN \"\\u12\"",
                    "RETURN 0x",
                    "RETURN 1e",
                    "RETURN MYNS::FN(1)"}) {
    SCOPED_TRACE(text);
    try {
      parse(text);
      ADD_FAILURE() << "accepted";
    } catch (const aql_error& e) {
      EXPECT_NE(e.kind(), error_kind::internal);
    }
  }
}

TEST(aql_parser_bad_input, deep_nesting_and_garbage_do_not_crash) {
  std::string deep(2000, '[');
  EXPECT_THROW(parse("RETURN " + deep), aql_error);
  std::string bytes;
  for (int i = 0; i < 256; ++i)
    bytes.push_back(static_cast<char>(i));
  EXPECT_THROW(parse(bytes), aql_error);
}

/// Issue 17: each FOR nests an execution stage; 37,000 of them once took
/// the stack. The clause count is bounded (limits.max_aql_clauses).
TEST(aql_parser, clause_count_is_bounded) {
  std::string q;
  for (int i = 0; i < 37000; ++i)
    q += "FOR a" + std::to_string(i) + " IN 1..1 ";
  q += "RETURN 1";
  auto e = fails(q);
  EXPECT_NE(std::string(e.what()).find("limits.max_aql_clauses"),
            std::string::npos)
    << e.what();
  EXPECT_NO_THROW(parse("FOR a IN 1..2 FOR b IN 1..2 RETURN a * b"));
}
