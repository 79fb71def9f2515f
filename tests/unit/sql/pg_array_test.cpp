#include <gtest/gtest.h>

#include <random>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_functions.hpp"

using namespace themis::sql;

namespace {

/// The stored (JSON) form of a PostgreSQL array literal.
std::string in(const std::string& text, uint32_t arr) {
  return coerce(value::of_text(text), arr).s;
}

std::string out(const std::string& text, uint32_t arr) {
  return to_text(coerce(value::of_text(text), arr), arr);
}

/// sqlstate and detail of what `text` as `arr` throws ("" if nothing).
std::pair<std::string, std::string> failure(const std::string& text,
                                            uint32_t arr) {
  try {
    coerce(value::of_text(text), arr);
  } catch (const sql_error& e) {
    return {e.sqlstate(), split_error_object(e.what()).detail};
  }
  return {};
}

} // namespace

TEST(pg_array, type_table) {
  EXPECT_EQ(array_type_of(oid::int4), 1007u);
  EXPECT_EQ(array_type_of(oid::int8), 1016u);
  EXPECT_EQ(array_type_of(oid::text), 1009u);
  EXPECT_EQ(array_type_of(oid::jsonb), 3807u);
  EXPECT_EQ(element_type_of(1231), oid::numeric);
  EXPECT_EQ(element_type_of(oid::int2vector), oid::int2);
  EXPECT_EQ(element_type_of(oid::int4), 0u);
  EXPECT_STREQ(type_name(1022), "double precision[]");
  EXPECT_EQ(affinity_of(1009), affinity::json);
}

TEST(pg_array, text_input_is_stored_as_json) {
  EXPECT_EQ(in("{1,2,3}", 1007), "[1,2,3]");
  EXPECT_EQ(in("{}", 1007), "[]");
  EXPECT_EQ(in(" { 1 , NULL } ", 1007), "[1,null]");
  EXPECT_EQ(in("{{1,2},{3,4}}", 1007), "[[1,2],[3,4]]");
  EXPECT_EQ(in(R"({a,"b c",NULL,"NULL","\"q\"",""})", 1009),
            R"(["a","b c",null,"NULL","\"q\"",""])");
  EXPECT_EQ(in("{ a b , c\\ }", 1009), R"(["a b","c "])");
  EXPECT_EQ(in("{t,f}", 1000), "[true,false]");
  EXPECT_EQ(in("{1.5,NaN}", 1022), R"([1.5,"NaN"])");
  EXPECT_EQ(in("[1:2]={1,2}", 1007), "[1,2]");
  // the JSON form itself (documents written over REST) is read too
  EXPECT_EQ(in("[1, 2]", 1016), "[1,2]");
  EXPECT_EQ(in("[[1],[2]]", 1009), R"([["1"],["2"]])");
}

TEST(pg_array, text_output_quotes_as_array_out) {
  EXPECT_EQ(out(R"({a,"b c",NULL,"NULL","\"q\"","",x\\y})", 1009),
            R"({a,"b c",NULL,"NULL","\"q\"","","x\\y"})");
  EXPECT_EQ(out("{{1,2},{3,4}}", 1005), "{{1,2},{3,4}}");
  EXPECT_EQ(out("{true,false,NULL}", 1000), "{t,f,NULL}");
  EXPECT_EQ(out("{2024-01-02}", 1182), "{2024-01-02}");
  EXPECT_EQ(out(R"({"{\"a\": 1}"})", 199), R"({"{\"a\": 1}"})");
  EXPECT_EQ(out("{\"a,b\",\"{\",\"}\",\"tab\there\"}", 1009),
            "{\"a,b\",\"{\",\"}\",\"tab\there\"}");
  EXPECT_EQ(to_text(value::of_text("[1,2]"), oid::int2vector), "1 2");
}

TEST(pg_array, malformed_literals_have_postgres_details) {
  const std::pair<const char*, const char*> cases[] = {
    {"{1,2", "Unexpected end of input."},
    {"{{1,2},{3}}", "Multidimensional arrays must have sub-arrays with "
                    "matching dimensions."},
    {"1,2", "Array value must start with \"{\" or dimension information."},
    {"{1,2}x", "Junk after closing right brace."},
    {"{{},{}}", "Unexpected \"}\" character."},
    {"{1,{2}}", "Unexpected \"{\" character."},
    {"{{1},2}", "Unexpected array element."},
    {"{\"a\"b}", "Unexpected array element."},
    {"{1,,2}", "Unexpected \",\" character."},
    {"{,}", "Unexpected \",\" character."},
    {"[1:3]={1,2}", "Specified array dimensions do not match array "
                    "contents."},
    {"", "Array value must start with \"{\" or dimension information."},
  };
  for (auto& [text, detail] : cases) {
    auto [state, d] = failure(text, 1007);
    EXPECT_EQ(state, "22P02") << text;
    EXPECT_EQ(d, detail) << text;
  }
  EXPECT_EQ(failure("{x}", 1007).first, "22P02"); // integer input
  EXPECT_EQ(failure("{{{{{{{1}}}}}}}", 1007).first, "54000");
  EXPECT_EQ(failure("[0:1]={1,2}", 1007).first, "0A000");
  EXPECT_EQ(failure("[[[[[[[1]]]]]]]", 1007).first, "54000");
  EXPECT_EQ(failure("[[1,2],[3]]", 1007).first, "2202E");
  // deep nesting: bounded, an error, never a stack overflow
  EXPECT_EQ(failure(std::string(100000, '{'), 1007).first, "54000");
  EXPECT_FALSE(failure(std::string(100000, '['), 1007).first.empty());
}

TEST(pg_array, binary_round_trips) {
  const std::pair<const char*, uint32_t> cases[] = {
    {"{1,NULL,-3}", 1007},
    {"{{1,2},{3,4}}", 1016},
    {"{}", 1009},
    {"{a,\"b c\",NULL}", 1009},
    {"{t,f}", 1000},
    {"{1.5,-0,Infinity}", 1022},
    {"{2024-02-29}", 1182},
    {"{\"\\\\x00ff\"}", 1001},
    {"{12.5}", 1231},
    {"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}", 2951},
    {"{\"{\\\"a\\\": [1]}\"}", 3807},
  };
  for (auto& [text, arr] : cases) {
    auto stored = coerce(value::of_text(text), arr);
    auto bin = to_binary(stored, arr);
    EXPECT_EQ(from_binary(bin, arr).s, stored.s) << text;
  }
  // the header PostgreSQL's array_send writes for {1,NULL}: int4[]
  auto b = to_binary(value::of_text("[1,null]"), 1007);
  EXPECT_EQ(b, std::string("\0\0\0\1\0\0\0\1\0\0\0\x17\0\0\0\2\0\0\0\1"
                           "\0\0\0\4\0\0\0\1\xff\xff\xff\xff",
                           32));
}

TEST(pg_array, malformed_binary_is_an_error) {
  auto good = to_binary(value::of_text("[[1,2],[3,null]]"), 1007);
  for (size_t n = 0; n < good.size(); ++n)
    EXPECT_THROW(from_binary(good.substr(0, n), 1007), sql_error) << n;
  EXPECT_THROW(from_binary(good + "x", 1007), sql_error);
  auto with = [&](size_t at, const std::string& bytes) {
    auto b = good;
    b.replace(at, bytes.size(), bytes);
    try {
      from_binary(b, 1007);
    } catch (const sql_error& e) {
      return e.sqlstate();
    }
    return std::string();
  };
  EXPECT_EQ(with(0, std::string("\0\0\0\7", 4)), "54000");   // 7 dims
  EXPECT_EQ(with(0, std::string("\xff\0\0\0", 4)), "22P03"); // negative
  EXPECT_EQ(with(4, std::string("\0\0\0\2", 4)), "22P03");   // flags
  EXPECT_EQ(with(8, std::string("\0\0\0\x14", 4)), "42804"); // int8 elems
  EXPECT_EQ(with(12, std::string("\x7f\xff\xff\xff", 4)), "22P03"); // size
  EXPECT_EQ(with(16, std::string("\0\0\0\0", 4)), "0A000"); // lower bound
  EXPECT_EQ(with(28, std::string("\0\0\0\3", 4)), "22P03"); // elem length
  // random bytes: errors or values, never a crash
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    auto b = good;
    for (int k = 0; k < 3; ++k)
      b[rng() % b.size()] = static_cast<char>(rng());
    try {
      from_binary(b, 1007);
    } catch (const sql_error&) {
    }
  }
}

TEST(pg_array, random_text_never_crashes) {
  std::mt19937 rng(11);
  const char alphabet[] = "{}\",\\ aN1[]:=-";
  for (int i = 0; i < 20000; ++i) {
    std::string t;
    auto len = rng() % 24;
    for (size_t k = 0; k < len; ++k)
      t.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    for (uint32_t arr : {1007u, 1009u}) {
      try {
        auto v = coerce(value::of_text(t), arr);
        // whatever was accepted prints and reads back the same
        auto text = to_text(v, arr);
        EXPECT_EQ(coerce(value::of_text(text), arr).s, v.s) << t;
      } catch (const sql_error& e) {
        EXPECT_TRUE(e.sqlstate() == "22P02" || e.sqlstate() == "54000" ||
                    e.sqlstate() == "0A000" || e.sqlstate() == "2202E")
          << t << " " << e.sqlstate();
      }
    }
  }
}
