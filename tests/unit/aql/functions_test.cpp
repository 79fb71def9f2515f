#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions.hpp"
#include "engine/aql/like.hpp"
#include "engine/aql/value.hpp"

#include "functions_test_util.hpp"

using namespace themis::aql;
using namespace aql_fn_test;

namespace {

// ---- value.hpp --------------------------------------------------------------

TEST(aql_value, type_order) {
  std::vector<json> ordered = {nullptr, false, true,    -5,       0,      2.5,
                               "",      "a",   j("[]"), j("[0]"), j("{}")};
  for (size_t i = 0; i + 1 < ordered.size(); ++i) {
    EXPECT_LT(compare(ordered[i], ordered[i + 1]), 0) << i;
    EXPECT_GT(compare(ordered[i + 1], ordered[i]), 0) << i;
  }
}

TEST(aql_value, numbers_compare_exactly_across_representations) {
  EXPECT_EQ(compare(json(1), json(1.0)), 0);
  EXPECT_EQ(compare(json(1u), json(1)), 0);
  EXPECT_LT(compare(json(-1), json(0u)), 0);
  EXPECT_GT(compare(json(std::numeric_limits<uint64_t>::max()),
                    json(std::numeric_limits<int64_t>::max())),
            0);
  // 2^53 + 1 is not representable as a double: must still compare greater
  EXPECT_GT(compare(json(int64_t{9007199254740993}), json(9007199254740992.0)),
            0);
  EXPECT_LT(compare(json(1.5), json(2)), 0);
}

TEST(aql_value, strings_arrays_objects) {
  EXPECT_LT(compare("B", "a"), 0); // bytewise, not collated
  EXPECT_GT(compare("\xc3\xa9", "z"), 0);
  EXPECT_LT(compare(j("[1]"), j("[1,0]")), 0);
  EXPECT_GT(compare(j("[2]"), j("[1,5]")), 0);
  EXPECT_EQ(compare(j("{}"), j(R"({"a":null})")), 0);
  EXPECT_LT(compare(j(R"({"a":1})"), j(R"({"a":2})")), 0);
  EXPECT_GT(compare(j(R"({"a":1})"), j(R"({"b":1})")), 0);
}

TEST(aql_value, equals_and_truthy) {
  EXPECT_TRUE(equals(json(1), json(1.0)));
  EXPECT_FALSE(equals(json("1"), json(1)));
  EXPECT_TRUE(equals(nullptr, nullptr));
  EXPECT_FALSE(equals(false, nullptr));
  for (const json& v :
       {json(nullptr), json(false), json(0), json(0.0), json("")})
    EXPECT_FALSE(truthy(v)) << v;
  for (const json& v :
       {json(true), json(-1), json(0.1), json(" "), j("[]"), j("{}")})
    EXPECT_TRUE(truthy(v)) << v;
}

TEST(aql_value, to_number_edge_cases) {
  EXPECT_EQ(to_number(" 12 "), 12);
  EXPECT_EQ(to_number("-1.5e3"), -1500);
  EXPECT_EQ(to_number(".5"), 0.5);
  for (const char* s :
       {"abc", "", "0x10", "inf", "nan", "1e400", "1 2", "e5", "-"})
    EXPECT_EQ(to_number(s), 0) << s;
  EXPECT_EQ(to_number(j("[]")), 0);
  EXPECT_EQ(to_number(j(R"(["5"])")), 5);
  EXPECT_EQ(to_number(j("[1,2]")), 0);
  EXPECT_EQ(to_number(j("{}")), 0);
  EXPECT_EQ(to_number(true), 1);
  EXPECT_EQ(to_number(nullptr), 0);
}

TEST(aql_value, to_string_edge_cases) {
  EXPECT_EQ(to_string(nullptr), "");
  EXPECT_EQ(to_string(true), "true");
  EXPECT_EQ(to_string(1.0), "1");
  EXPECT_EQ(to_string(-0.0), "0");
  EXPECT_EQ(to_string(1.5), "1.5");
  EXPECT_EQ(to_string(0.1), "0.1");
  EXPECT_EQ(to_string(1e100), "1e+100");
  EXPECT_EQ(to_string(std::numeric_limits<uint64_t>::max()),
            "18446744073709551615");
  EXPECT_EQ(to_string(j(R"([1,"a",{"b":null}])")), R"([1,"a",{"b":null}])");
  EXPECT_NO_THROW(to_string(json::array({"\xff\xfe"})));
}

TEST(aql_value, number_and_type_name) {
  EXPECT_TRUE(number(std::nan("")).is_null());
  EXPECT_TRUE(number(INFINITY).is_null());
  EXPECT_TRUE(number(2.0).is_number_integer());
  EXPECT_TRUE(number(2.5).is_number_float());
  EXPECT_TRUE(number(1e300).is_number_float());
  EXPECT_STREQ(type_name(nullptr), "null");
  EXPECT_STREQ(type_name(true), "bool");
  EXPECT_STREQ(type_name(3), "number");
  EXPECT_STREQ(type_name("x"), "string");
  EXPECT_STREQ(type_name(j("[]")), "array");
  EXPECT_STREQ(type_name(j("{}")), "object");
}

// ---- lookup -----------------------------------------------------------------

TEST(aql_functions, lookup) {
  ASSERT_NE(find_function("LENGTH"), nullptr);
  EXPECT_EQ(find_function("LENGTH")->min, 1u);
  EXPECT_EQ(find_function("CONCAT")->max, SIZE_MAX);
  EXPECT_EQ(find_function("length"), nullptr);
  EXPECT_EQ(find_function("COALESCE"), nullptr);
  try {
    call("NO_SUCH_FUNCTION", {});
    FAIL();
  } catch (const aql_error& e) {
    EXPECT_EQ(e.kind(), error_kind::unknown_function);
  }
}

// ---- strings ----------------------------------------------------------------

TEST(aql_functions, length) {
  EXPECT_EQ(call("LENGTH", {"h\xc3\xa9llo"}), 5);
  EXPECT_EQ(call("COUNT", {j("[1,2,3]")}), 3);
  EXPECT_EQ(call("LENGTH", {j(R"({"a":1,"b":2})")}), 2);
  EXPECT_EQ(call("LENGTH", {nullptr}), 0);
  EXPECT_EQ(call("LENGTH", {true}), 1);
  EXPECT_EQ(call("LENGTH", {false}), 0);
  EXPECT_EQ(call("LENGTH", {123}), 3);
  EXPECT_EQ(call("LENGTH", {-1.5}), 4);
}

TEST(aql_functions, concat) {
  EXPECT_EQ(call("CONCAT", {"a", nullptr, 1, true}), "a1true");
  EXPECT_EQ(call("CONCAT", {j(R"(["a",null,"b",2])")}), "ab2");
  EXPECT_EQ(call("CONCAT", {"x", j("[1,2]")}), "x[1,2]");
  EXPECT_EQ(call("CONCAT_SEPARATOR", {", ", "a", nullptr, "b"}), "a, b");
  EXPECT_EQ(call("CONCAT_SEPARATOR", {"-", j("[1,null,2]")}), "1-2");
}

TEST(aql_functions, case_and_substrings) {
  EXPECT_EQ(call("LOWER", {"AbC \xc3\x84\xc3\x96\xc3\x9c \xd0\x96"}),
            "abc \xc3\xa4\xc3\xb6\xc3\xbc \xd0\xb6");
  EXPECT_EQ(call("UPPER", {"stra\xc3\x9f"
                           "e"}),
            "STRA\xc3\x9f"
            "E");
  EXPECT_EQ(call("SUBSTRING", {"h\xc3\xa9llo", 1, 3}), "\xc3\xa9ll");
  EXPECT_EQ(call("SUBSTRING", {"hello", -3}), "llo");
  EXPECT_EQ(call("SUBSTRING", {"hello", 10}), "");
  EXPECT_EQ(call("SUBSTRING", {"hello", -10, 2}), "he");
  EXPECT_EQ(call("SUBSTRING", {12345, 1, 2}), "23");
  EXPECT_EQ(call("LEFT", {"h\xc3\xa9llo", 2}), "h\xc3\xa9");
  EXPECT_EQ(call("RIGHT", {"hello", 2}), "lo");
  EXPECT_EQ(call("RIGHT", {"hello", 99}), "hello");
}

TEST(aql_functions, trim) {
  EXPECT_EQ(call("TRIM", {"  a b \n"}), "a b");
  EXPECT_EQ(call("TRIM", {"  a  ", 1}), "a  ");
  EXPECT_EQ(call("TRIM", {"  a  ", 2}), "  a");
  EXPECT_EQ(call("TRIM", {"--a-+", "-+"}), "a");
  EXPECT_EQ(call("LTRIM", {"xxaxx", "x"}), "axx");
  EXPECT_EQ(call("RTRIM", {"xxaxx", "x"}), "xxa");
  EXPECT_EQ(call("TRIM", {"   "}), "");
}

TEST(aql_functions, contains_like_starts_with) {
  EXPECT_EQ(call("CONTAINS", {"foobar", "bar"}), true);
  EXPECT_EQ(call("CONTAINS", {"f\xc3\xa9obar", "bar", true}), 3);
  EXPECT_EQ(call("CONTAINS", {"foobar", "baz", true}), -1);
  EXPECT_EQ(call("CONTAINS", {"foobar", ""}), false);
  EXPECT_EQ(call("LIKE", {"foobar", "foo%"}), true);
  EXPECT_EQ(call("LIKE", {"foobar", "f_o%r"}), true);
  EXPECT_EQ(call("LIKE", {"FOOBAR", "foo%"}), false);
  EXPECT_EQ(call("LIKE", {"FOOBAR", "foo%", true}), true);
  EXPECT_TRUE(like_match("50%", "50\\%", false));
  EXPECT_FALSE(like_match("500", "50\\%", false));
  EXPECT_TRUE(like_match("a_c", "a\\_c", false));
  EXPECT_TRUE(like_match("\xc3\xa9", "_", false));
  EXPECT_TRUE(like_match("", "%", false));
  EXPECT_FALSE(like_match("", "_", false));
  EXPECT_TRUE(like_match("abcabcabd", "%abc%abd", false));
  EXPECT_EQ(call("STARTS_WITH", {"foobar", "foo"}), true);
  EXPECT_EQ(call("STARTS_WITH", {"foobar", j(R"(["x","fo","foo"])"), 2}), true);
  EXPECT_EQ(call("STARTS_WITH", {42, "4"}), false);
}

TEST(aql_functions, split_and_reverse) {
  EXPECT_EQ(call("SPLIT", {"a,b,c", ","}), j(R"(["a","b","c"])"));
  EXPECT_EQ(call("SPLIT", {"a,b,c", ",", 2}), j(R"(["a","b"])"));
  EXPECT_EQ(call("SPLIT", {"a,b;c", j(R"([",",";"])")}), j(R"(["a","b","c"])"));
  EXPECT_EQ(call("SPLIT", {"h\xc3\xa9y", ""}), j("[\"h\",\"\xc3\xa9\",\"y\"]"));
  EXPECT_EQ(call("SPLIT", {"abc"}), j(R"(["abc"])"));
  EXPECT_EQ(call("SPLIT", {"", ","}), j(R"([""])"));
  EXPECT_EQ(call("SPLIT", {"a,b", ",", 0}), j("[]"));
  EXPECT_TRUE(call("SPLIT", {"a,b", ",", -1}).is_null());
  EXPECT_EQ(call("REVERSE", {"h\xc3\xa9y"}), "y\xc3\xa9h");
  EXPECT_EQ(call("REVERSE", {j("[1,2,3]")}), j("[3,2,1]"));
  EXPECT_TRUE(call("REVERSE", {5}).is_null());
}

TEST(aql_functions, regex_test) {
  EXPECT_EQ(call("REGEX_TEST", {"the quick fox", "qu[a-z]+k"}), true);
  EXPECT_EQ(call("REGEX_TEST", {"THE", "^the$"}), false);
  EXPECT_EQ(call("REGEX_TEST", {"THE", "^the$", true}), true);
  try {
    call("REGEX_TEST", {"x", "([a-"});
    FAIL();
  } catch (const aql_error& e) {
    EXPECT_EQ(e.kind(), error_kind::runtime);
  }
  std::string deep = std::string(20000, '(') + "a" + std::string(20000, ')');
  EXPECT_THROW(call("REGEX_TEST", {"a", deep}), aql_error);
  // long input must not exhaust the stack
  EXPECT_EQ(call("REGEX_TEST", {std::string(200000, 'a') + "b", "^(a|c)*b$"}),
            true);
}

// ---- numbers ----------------------------------------------------------------

TEST(aql_functions, numeric) {
  EXPECT_EQ(call("ROUND", {2.5}), 3);
  EXPECT_EQ(call("ROUND", {-2.5}), -2);
  EXPECT_EQ(call("ROUND", {-2.51}), -3);
  EXPECT_EQ(call("FLOOR", {-1.5}), -2);
  EXPECT_EQ(call("CEIL", {"1.2"}), 2);
  EXPECT_EQ(call("ABS", {-3}), 3);
  EXPECT_EQ(call("ABS", {std::numeric_limits<int64_t>::min()}),
            9223372036854775808ull);
  EXPECT_EQ(call("SQRT", {9}), 3);
  EXPECT_EQ(call("POW", {2, 10}), 1024);
  for (int i = 0; i < 100; ++i) {
    double r = call("RAND", {}).get<double>();
    EXPECT_GE(r, 0);
    EXPECT_LT(r, 1);
  }
}

TEST(aql_functions, aggregates) {
  EXPECT_EQ(call("MIN", {j(R"([3,null,1,"a"])")}), 1);
  EXPECT_EQ(call("MAX", {j(R"([3,null,1,"a"])")}), "a");
  EXPECT_EQ(call("SUM", {j("[1,2,null,3.5]")}), 6.5);
  EXPECT_EQ(call("SUM", {j("[9007199254740993, 1]")}), 9007199254740994);
  EXPECT_EQ(call("AVERAGE", {j("[1,2,null,3]")}), 2);
  EXPECT_EQ(call("AVG", {j("[1,2]")}), 1.5);
  EXPECT_EQ(call("MEDIAN", {j("[5,1,3,null]")}), 3);
  EXPECT_EQ(call("MEDIAN", {j("[4,1,3,2]")}), 2.5);
  EXPECT_EQ(call("RANGE", {1, 4}), j("[1,2,3,4]"));
  EXPECT_EQ(call("RANGE", {3, 1}), j("[3,2,1]"));
  EXPECT_EQ(call("RANGE", {0, 1, 0.5}), j("[0,0.5,1]"));
  EXPECT_EQ(call("RANGE", {0, -4, -2}), j("[0,-2,-4]"));
  EXPECT_TRUE(call("RANGE", {0, 4, -1}).is_null());
  EXPECT_TRUE(call("RANGE", {0, 4, 0}).is_null());
}

// ---- dates ------------------------------------------------------------------

TEST(aql_functions, dates) {
  int64_t now = call("DATE_NOW", {}).get<int64_t>();
  EXPECT_GT(now, 1600000000000);
  EXPECT_EQ(call("DATE_ISO8601", {0}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(call("DATE_ISO8601", {-1}), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(call("DATE_ISO8601", {"2020-02-29T12:34:56.789Z"}),
            "2020-02-29T12:34:56.789Z");
  EXPECT_EQ(call("DATE_ISO8601", {"2020-03-01T01:00:00+02:00"}),
            "2020-02-29T23:00:00.000Z");
  EXPECT_EQ(call("DATE_ISO8601", {2020, 1, 31, 10}),
            "2020-01-31T10:00:00.000Z");
  EXPECT_EQ(call("DATE_TIMESTAMP", {"1970-01-02"}), 86400000);
  EXPECT_EQ(call("DATE_TIMESTAMP", {1234}), 1234);
  json d = "2021-07-04T05:06:07.089Z";
  EXPECT_EQ(call("DATE_YEAR", {d}), 2021);
  EXPECT_EQ(call("DATE_MONTH", {d}), 7);
  EXPECT_EQ(call("DATE_DAY", {d}), 4);
  EXPECT_EQ(call("DATE_HOUR", {d}), 5);
  EXPECT_EQ(call("DATE_MINUTE", {d}), 6);
  EXPECT_EQ(call("DATE_SECOND", {d}), 7);
  EXPECT_EQ(call("DATE_MILLISECOND", {d}), 89);
  EXPECT_EQ(call("DATE_DAYOFWEEK", {d}), 0);
  EXPECT_EQ(call("DATE_ADD", {d, 1, "day"}), "2021-07-05T05:06:07.089Z");
  EXPECT_EQ(call("DATE_ADD", {d, -2, "hours"}), "2021-07-04T03:06:07.089Z");
  EXPECT_EQ(call("DATE_ADD", {d, 90, "s"}), "2021-07-04T05:07:37.089Z");
  EXPECT_EQ(call("DATE_ADD", {d, 11, "ms"}), "2021-07-04T05:06:07.100Z");
  EXPECT_EQ(call("DATE_ADD", {"2023-01-31", 1, "month"}),
            "2023-03-03T00:00:00.000Z");
  EXPECT_EQ(call("DATE_ADD", {"2020-01-01", "P1Y2M3DT4H"}),
            "2021-03-04T04:00:00.000Z");
  EXPECT_EQ(call("DATE_SUBTRACT", {"2020-01-01", 1, "minute"}),
            "2019-12-31T23:59:00.000Z");
}

// ---- documents --------------------------------------------------------------

TEST(aql_functions, documents) {
  json doc = j(R"({"_key":"k","a":1,"b":{"c":2}})");
  EXPECT_EQ(call("HAS", {doc, "a"}), true);
  EXPECT_EQ(call("HAS", {doc, "z"}), false);
  EXPECT_EQ(call("HAS", {"str", "a"}), false);
  EXPECT_EQ(call("KEEP", {doc, "a", "z"}), j(R"({"a":1})"));
  EXPECT_EQ(call("KEEP", {doc, j(R"(["a","b"])")}),
            j(R"({"a":1,"b":{"c":2}})"));
  EXPECT_EQ(call("UNSET", {doc, "_key", "b"}), j(R"({"a":1})"));
  EXPECT_EQ(call("MERGE", {j(R"({"a":1,"b":1})"), j(R"({"b":2,"c":null})")}),
            j(R"({"a":1,"b":2,"c":null})"));
  EXPECT_EQ(call("MERGE", {j(R"([{"a":1},{"a":2,"b":3}])")}),
            j(R"({"a":2,"b":3})"));
  EXPECT_TRUE(call("MERGE", {j(R"({"a":1})"), 5}).is_null());
  EXPECT_EQ(call("ATTRIBUTES", {doc}), j(R"(["_key","a","b"])"));
  EXPECT_EQ(call("ATTRIBUTES", {doc, true, true}), j(R"(["a","b"])"));
  EXPECT_EQ(call("VALUES", {doc, true}), j(R"([1,{"c":2}])"));
  EXPECT_EQ(call("ZIP", {j(R"(["a","b","a"])"), j("[1,2,3]")}),
            j(R"({"a":1,"b":2})"));
  EXPECT_TRUE(call("ZIP", {j(R"(["a"])"), j("[1,2]")}).is_null());
}

// ---- arrays -----------------------------------------------------------------

TEST(aql_functions, arrays) {
  EXPECT_EQ(call("UNIQUE", {j(R"([2,1,2,1.0,"1",null,null])")}),
            j(R"([2,1,"1",null])"));
  EXPECT_EQ(call("SORTED", {j(R"(["b",1,null,[],"a"])")}),
            j(R"([null,1,"a","b",[]])"));
  EXPECT_EQ(call("SORTED_UNIQUE", {j("[3,1,3,2,1]")}), j("[1,2,3]"));
  EXPECT_EQ(call("FLATTEN", {j("[1,[2,[3,[4]]]]")}), j("[1,2,[3,[4]]]"));
  EXPECT_EQ(call("FLATTEN", {j("[1,[2,[3,[4]]]]"), 5}), j("[1,2,3,4]"));
  EXPECT_EQ(call("FIRST", {j("[1,2]")}), 1);
  EXPECT_EQ(call("LAST", {j("[1,2]")}), 2);
  EXPECT_TRUE(call("FIRST", {j("[]")}).is_null());
  EXPECT_EQ(call("NTH", {j("[1,2]"), 1}), 2);
  EXPECT_TRUE(call("NTH", {j("[1,2]"), 2}).is_null());
  EXPECT_EQ(call("PUSH", {j("[1,2]"), 2}), j("[1,2,2]"));
  EXPECT_EQ(call("PUSH", {j("[1,2]"), 2, true}), j("[1,2]"));
  EXPECT_EQ(call("PUSH", {nullptr, 1}), j("[1]"));
  EXPECT_EQ(call("APPEND", {j("[1,2]"), j("[3,1]")}), j("[1,2,3,1]"));
  EXPECT_EQ(call("APPEND", {j("[1,1,2]"), j("[3,1]"), true}), j("[1,2,3]"));
  EXPECT_EQ(call("APPEND", {j("[1]"), 5}), j("[1,5]"));
  EXPECT_EQ(call("UNION", {j("[1,2]"), j("[2,3]")}), j("[1,2,2,3]"));
  EXPECT_EQ(call("UNION_DISTINCT", {j("[1,2]"), j("[2,3]")}), j("[1,2,3]"));
  EXPECT_EQ(call("INTERSECTION", {j("[1,2,3,2]"), j("[2,3,4]"), j("[3,2]")}),
            j("[2,3]"));
  EXPECT_EQ(call("MINUS", {j("[1,2,3,1]"), j("[2]"), j("[3]")}), j("[1]"));
  EXPECT_EQ(call("POSITION", {j("[1,2,3]"), 3}), true);
  EXPECT_EQ(call("POSITION", {j("[1,2,3]"), 3, true}), 2);
  EXPECT_EQ(call("POSITION", {j("[1,2,3]"), 9, true}), -1);
  EXPECT_EQ(call("SLICE", {j("[1,2,3,4,5]"), 1, 2}), j("[2,3]"));
  EXPECT_EQ(call("SLICE", {j("[1,2,3,4,5]"), -2}), j("[4,5]"));
  EXPECT_EQ(call("SLICE", {j("[1,2,3,4,5]"), 1, -1}), j("[2,3,4]"));
}

// ---- types, JSON, hashes ----------------------------------------------------

TEST(aql_functions, types_and_conversions) {
  EXPECT_EQ(call("TO_NUMBER", {"42"}), 42);
  EXPECT_EQ(call("TO_NUMBER", {"x"}), 0);
  EXPECT_EQ(call("TO_STRING", {j("[1]")}), "[1]");
  EXPECT_EQ(call("TO_BOOL", {j("[]")}), true);
  EXPECT_EQ(call("TO_ARRAY", {nullptr}), j("[]"));
  EXPECT_EQ(call("TO_ARRAY", {j(R"({"a":1,"b":2})")}), j("[1,2]"));
  EXPECT_EQ(call("TO_ARRAY", {5}), j("[5]"));
  EXPECT_EQ(call("IS_NULL", {nullptr}), true);
  EXPECT_EQ(call("IS_BOOL", {false}), true);
  EXPECT_EQ(call("IS_NUMBER", {"1"}), false);
  EXPECT_EQ(call("IS_STRING", {"1"}), true);
  EXPECT_EQ(call("IS_LIST", {j("[]")}), true);
  EXPECT_EQ(call("IS_DOCUMENT", {j("{}")}), true);
  EXPECT_EQ(call("TYPENAME", {1.5}), "number");
  EXPECT_EQ(call("NOT_NULL", {nullptr, nullptr, 3, 4}), 3);
  EXPECT_TRUE(call("NOT_NULL", {nullptr}).is_null());
  EXPECT_EQ(call("FIRST_DOCUMENT", {1, j("[]"), j(R"({"a":1})")}),
            j(R"({"a":1})"));
  EXPECT_EQ(call("JSON_STRINGIFY", {j(R"({"a":[1,"x"]})")}),
            R"({"a":[1,"x"]})");
  EXPECT_EQ(call("JSON_PARSE", {R"({"a":[1,2]})"}), j(R"({"a":[1,2]})"));
  EXPECT_TRUE(call("JSON_PARSE", {"{bad"}).is_null());
  EXPECT_EQ(call("MD5", {""}), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(call("SHA1", {"abc"}), "a9993e364706816aba3e25717850c26c9cd0d89d");
  std::string u = call("UUID", {}).get<std::string>();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(u, call("UUID", {}).get<std::string>());
}

// ---- bad input --------------------------------------------------------------

} // namespace
