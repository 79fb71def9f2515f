#include <gtest/gtest.h>

#include "engine/graphql/parser.hpp"

namespace themis::graphql {
namespace {

parse_result p(std::string_view s, parse_limits l = {}) {
  return parse(s, l);
}

std::string err_of(std::string_view s, parse_limits l = {}) {
  auto r = parse(s, l);
  EXPECT_FALSE(r.ok()) << s;
  return r.err ? r.err->message : std::string();
}

TEST(GraphqlParser, FullExecutableGrammar) {
  auto r = p(R"(
    # a comment
    query Q($id: ID! = "x", $list: [Int!]! @dir, $o: In = {a: [1, 2.5e3, -0]})
      @op {
      alias: field(arg: $id, e: ENUM, b: true, n: null, s: "s", o: {k: $o}) @skip(if: false) {
        ... on Dog { name }
        ...Frag @include(if: true)
        ... @include(if: true) { x }
      }
    },,,
    mutation { m }
    subscription S { s }
    fragment Frag on Dog @d { name }
    { short }
  )");
  ASSERT_TRUE(r.ok()) << r.err->message;
  const auto& d = *r.doc;
  ASSERT_EQ(d.operations.size(), 4u);
  ASSERT_EQ(d.fragments.size(), 1u);
  const auto& q = d.operations[0];
  EXPECT_EQ(q.name, "Q");
  ASSERT_EQ(q.variables.size(), 3u);
  EXPECT_EQ(q.variables[0].type.str(), "ID!");
  EXPECT_EQ(q.variables[1].type.str(), "[Int!]!");
  EXPECT_EQ(q.variables[1].directives.size(), 1u);
  ASSERT_TRUE(q.variables[2].default_value);
  EXPECT_EQ(q.variables[2].default_value->items[0].items[1].text, "2.5e3");
  const auto& f = q.selections.items[0];
  EXPECT_EQ(f.alias, "alias");
  EXPECT_EQ(f.name, "field");
  EXPECT_EQ(f.response_key(), "alias");
  ASSERT_EQ(f.args.size(), 6u);
  EXPECT_EQ(f.args[0].val.kind, value_kind::variable);
  EXPECT_EQ(f.args[1].val.kind, value_kind::enum_);
  EXPECT_EQ(f.args[3].val.kind, value_kind::null);
  ASSERT_EQ(f.selections.items.size(), 3u);
  EXPECT_EQ(f.selections.items[0].kind, selection_kind::inline_fragment);
  EXPECT_EQ(f.selections.items[0].type_condition, "Dog");
  EXPECT_EQ(f.selections.items[1].kind, selection_kind::fragment_spread);
  EXPECT_EQ(f.selections.items[2].type_condition, "");
  EXPECT_EQ(d.operations[1].op, operation_type::mutation);
  EXPECT_EQ(d.operations[2].op, operation_type::subscription);
  EXPECT_EQ(d.operations[3].name, "");
}

TEST(GraphqlParser, Locations) {
  auto r = p("{\n  a\n  b(x: 1)\n}");
  ASSERT_TRUE(r.ok());
  const auto& items = r.doc->operations[0].selections.items;
  EXPECT_EQ(items[0].loc, (location{2, 3}));
  EXPECT_EQ(items[1].loc, (location{3, 3}));
  EXPECT_EQ(items[1].args[0].val.loc, (location{3, 8}));
  // columns count code points, not bytes
  auto u = p("{ a(s: \"\xC3\xA4\xC3\xA4\") b }");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u.doc->operations[0].selections.items[1].loc, (location{1, 14}));
  EXPECT_EQ(err_of("{\r\n a(\r\n"),
            "Syntax Error: Expected Name, found <EOF>.");
  auto e = p("{\r\n a(\r\n");
  EXPECT_EQ(e.err->locations[0], (location{3, 1}));
}

std::string str_value(std::string_view literal) {
  error err;
  auto v = parse_value(literal, err);
  EXPECT_TRUE(v) << literal << ": " << err.message;
  return v ? v->text : std::string();
}

TEST(GraphqlParser, StringsAndEscapes) {
  EXPECT_EQ(str_value(R"("a\"b\\c\/d\be\ff\ng\rh\ti")"),
            "a\"b\\c/d\be\ff\ng\rh\ti");
  EXPECT_EQ(str_value(R"("\u00e4")"), "\xC3\xA4");
  EXPECT_EQ(str_value(R"("\uD83D\uDE00")"), "\xF0\x9F\x98\x80"); // surrogates
  EXPECT_EQ(str_value(R"("\u{1F600}")"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(str_value("\"\xF0\x9F\x98\x80\""), "\xF0\x9F\x98\x80");
  EXPECT_EQ(str_value("\"\"\"\n    hello\n      world\n    \"\"\""),
            "hello\n  world");
  EXPECT_EQ(str_value("\"\"\"  a \\\"\"\" b\"\"\""), "  a \"\"\" b");
  EXPECT_EQ(str_value("\"\"\"\n\n  x\n\n\"\"\""), "x");
  EXPECT_EQ(str_value("\"\"\"a\\nb\"\"\""), "a\\nb"); // raw in block strings
}

TEST(GraphqlParser, Numbers) {
  error err;
  for (const char* ok : {"0", "-0", "123", "1.5", "1e10", "1E+2", "-1.5e-3"}) {
    auto v = parse_value(ok, err);
    ASSERT_TRUE(v) << ok << err.message;
    EXPECT_EQ(v->text, ok);
  }
  EXPECT_EQ(parse_value("1.0", err)->kind, value_kind::float_);
  EXPECT_EQ(parse_value("10", err)->kind, value_kind::int_);
  for (const char* bad : {"00", "01", "1.", ".5", "1e", "1.2.3", "0x10", "1a",
                          "-", "1.e5", "+1"}) {
    EXPECT_FALSE(parse_value(bad, err)) << bad;
  }
}

TEST(GraphqlParser, MalformedInput) {
  EXPECT_EQ(err_of(""), "Syntax Error: Unexpected <EOF>.");
  EXPECT_EQ(err_of("{"), "Syntax Error: Expected Name, found <EOF>.");
  EXPECT_EQ(err_of("{}"), "Syntax Error: Expected Name, found \"}\".");
  EXPECT_EQ(err_of("{ a(x: \"abc) }"), "Syntax Error: Unterminated string.");
  EXPECT_EQ(err_of("{ a(x: \"abc\n\") }"),
            "Syntax Error: Unterminated string.");
  EXPECT_EQ(err_of("{ a(x: \"\"\"abc) }"),
            "Syntax Error: Unterminated string.");
  EXPECT_EQ(err_of(R"({ a(x: "\q") })"),
            "Syntax Error: Invalid character escape sequence: \"\\q\".");
  EXPECT_EQ(err_of(R"({ a(x: "\u12") })"),
            "Syntax Error: Invalid Unicode escape sequence.");
  EXPECT_EQ(err_of(R"({ a(x: "\uD83D") })"), // lone leading surrogate
            "Syntax Error: Invalid Unicode escape sequence.");
  EXPECT_EQ(err_of(R"({ a(x: "\uDE00") })"), // lone trailing surrogate
            "Syntax Error: Invalid Unicode escape sequence.");
  EXPECT_EQ(err_of(R"({ a(x: "\u{110000}") })"),
            "Syntax Error: Invalid Unicode escape sequence.");
  err_of("{ a(x: \"\xFF\") }");                       // invalid UTF-8
  err_of("{ a(x: \"\xC0\xAF\") }");                   // overlong
  err_of("{ a(x: \"\xED\xA0\x80\") }");               // encoded surrogate
  err_of(std::string_view("{ a\0 }", 6));             // NUL byte
  err_of("{ a(x: $v) } query Q($v: Int = $w) { a }"); // variable in const
  err_of("fragment on on Dog { a }");
  err_of("fragment F Dog { a }");
  err_of("{ a } }");
  err_of("query Q($a) { a }");
  err_of("{ a(b) }");
  err_of("{ ... }");
  err_of("{ a. }");
  err_of("{ a .. b }");
  err_of("query Q ( ) { a }");
  err_of("\"desc\" { a }");
  err_of("notAKeyword { a }");
  err_of("{ a(x: [1, 2) }");
  err_of("{ a(x: {b 1}) }");
}

TEST(GraphqlParser, SdlIsRecordedNotExecutable) {
  auto r = p("type Foo { a: Int } \"d\" scalar Bar extend type Foo @x "
             "directive @dd(a: Int) on FIELD | QUERY query { a }");
  ASSERT_TRUE(r.ok()) << r.err->message;
  ASSERT_EQ(r.doc->non_executable.size(), 4u);
  EXPECT_EQ(r.doc->non_executable[0].name, "Foo");
  EXPECT_EQ(r.doc->non_executable[1].kind, "scalar");
  EXPECT_EQ(r.doc->non_executable[2].kind, "extend type");
  EXPECT_EQ(r.doc->non_executable[3].name, "dd");
  EXPECT_EQ(r.doc->operations.size(), 1u);
}

TEST(GraphqlParser, DepthLimitBeforeRecursion) {
  // 10k nested selection sets, lists and list types: limit error, no crash
  EXPECT_EQ(err_of(std::string(10000, '{')),
            "Syntax Error: Expected Name, found \"{\".");
  std::string deep;
  for (int i = 0; i < 10000; ++i)
    deep += "{a";
  auto r = p(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.err->message.find("nesting depth"), std::string::npos);
  EXPECT_EQ(r.err->code, codes::limit);
  std::string lists =
    "{ a(x: " + std::string(10000, '[') + "1" + std::string(10000, ']') + ") }";
  EXPECT_NE(err_of(lists).find("nesting depth"), std::string::npos);
  std::string objs = "{ a(x: ";
  for (int i = 0; i < 10000; ++i)
    objs += "{a: ";
  EXPECT_NE(err_of(objs).find("nesting depth"), std::string::npos);
  std::string types = "query($v: " + std::string(10000, '[') + "Int";
  EXPECT_NE(err_of(types).find("nesting depth"), std::string::npos);
  // exactly at the limit parses
  parse_limits l;
  l.max_depth = 3;
  EXPECT_TRUE(p("{ a { b { c } } }", l).ok());
  EXPECT_FALSE(p("{ a { b { c { d } } } }", l).ok());
}

TEST(GraphqlParser, SizeAndTokenLimits) {
  parse_limits l;
  l.max_bytes = 100;
  std::string big = "{ " + std::string(200, 'a') + " }";
  EXPECT_EQ(p(big, l).err->code, codes::limit);
  l = {};
  l.max_tokens = 10;
  EXPECT_TRUE(p("{ a b c }", l).ok());
  auto r = p("{ a b c d e f g h i j k l }", l);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err->code, codes::limit);
  // a huge but shallow document within limits
  std::string wide = "{";
  for (int i = 0; i < 20000; ++i)
    wide += " f" + std::to_string(i);
  wide += " }";
  auto w = p(wide);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.doc->operations[0].selections.items.size(), 20000u);
}

TEST(GraphqlParser, BomAndIgnoredTokens) {
  auto r = p("\xEF\xBB\xBF{ a,,, b\t\r\n c # comment with \x01 control\n }");
  ASSERT_TRUE(r.ok()) << r.err->message;
  EXPECT_EQ(r.doc->operations[0].selections.items.size(), 3u);
}

} // namespace
} // namespace themis::graphql
