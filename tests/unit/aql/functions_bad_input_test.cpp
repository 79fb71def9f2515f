/// AQL functions on hostile input: wrong types, empty arrays, huge
/// numbers, invalid UTF-8, and every function with random arguments.

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

TEST(aql_functions_bad_input, wrong_types_give_null) {
  EXPECT_TRUE(call("MIN", {"x"}).is_null());
  EXPECT_TRUE(call("SUM", {j("{}")}).is_null());
  EXPECT_TRUE(call("SUM", {j(R"([1,"2"])")}).is_null());
  EXPECT_TRUE(call("AVERAGE", {j(R"([true])")}).is_null());
  EXPECT_TRUE(call("UNIQUE", {5}).is_null());
  EXPECT_TRUE(call("KEEP", {j("[]"), "a"}).is_null());
  EXPECT_TRUE(call("ATTRIBUTES", {"s"}).is_null());
  EXPECT_TRUE(call("UNION", {j("[1]"), 2}).is_null());
  EXPECT_TRUE(call("PUSH", {"s", 1}).is_null());
  EXPECT_TRUE(call("SLICE", {nullptr, 1}).is_null());
  EXPECT_TRUE(call("POSITION", {"abc", "a"}).is_null());
  EXPECT_TRUE(call("JSON_PARSE", {5}).is_null());
  EXPECT_TRUE(call("DATE_YEAR", {"not a date"}).is_null());
  EXPECT_TRUE(call("DATE_ISO8601", {"2021-02-29"}).is_null());
  EXPECT_TRUE(call("DATE_ADD", {"2021-01-01", 1, "fortnight"}).is_null());
  EXPECT_TRUE(call("DATE_ADD", {"2021-01-01", "1", "day"}).is_null());
}

TEST(aql_functions_bad_input, empty_arrays) {
  EXPECT_TRUE(call("MIN", {j("[]")}).is_null());
  EXPECT_TRUE(call("MAX", {j("[null]")}).is_null());
  EXPECT_EQ(call("SUM", {j("[]")}), 0);
  EXPECT_TRUE(call("AVG", {j("[]")}).is_null());
  EXPECT_TRUE(call("MEDIAN", {j("[null]")}).is_null());
  EXPECT_EQ(call("UNIQUE", {j("[]")}), j("[]"));
  EXPECT_EQ(call("INTERSECTION", {j("[]"), j("[1]")}), j("[]"));
  EXPECT_EQ(call("MERGE", {j("[]")}), j("{}"));
}

TEST(aql_functions_bad_input, huge_numbers_and_nan) {
  EXPECT_TRUE(call("SQRT", {-1}).is_null());
  EXPECT_TRUE(call("POW", {10, 400}).is_null());
  EXPECT_TRUE(call("POW", {0, -1}).is_null());
  EXPECT_TRUE(call("SUM", {j("[1e308, 1e308]")}).is_null());
  EXPECT_EQ(call("ROUND", {1e308}), 1e308);
  EXPECT_EQ(call("FLOOR", {std::numeric_limits<uint64_t>::max()}),
            std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(call("DATE_ISO8601", {1e20}).is_null());
  EXPECT_TRUE(call("DATE_ISO8601", {-1e20}).is_null());
  EXPECT_TRUE(call("DATE_ADD", {0, 1e300, "years"}).is_null());
  EXPECT_TRUE(call("NTH", {j("[1]"), 1e300}).is_null());
  EXPECT_EQ(call("SLICE", {j("[1,2]"), -1e300, 1e300}), j("[1,2]"));
  EXPECT_EQ(call("LEFT", {"abc", -5}), "");
  EXPECT_EQ(call("SUBSTRING", {"abc", 1e300}), "");
  EXPECT_EQ(call("FLATTEN", {j("[[1]]"), 1e300}), j("[1]"));
  EXPECT_EQ(call("RANGE", {9223372036854775806, 9223372036854775807}),
            j("[9223372036854775806, 9223372036854775807]"));
  EXPECT_THROW(call("RANGE", {0, 1e12}), aql_error);
  EXPECT_THROW(call("RANGE", {0, 1e300, 1}), aql_error);
  EXPECT_EQ(call("RANGE", {1e16, 1e16 + 4, 0.5}).size(),
            10u); // step lost in rounding
}

TEST(aql_functions_bad_input, invalid_utf8_and_deep_json) {
  std::string bad = "a\xff\xc3(\xed\xa0\x80z";
  EXPECT_EQ(call("LENGTH", {bad}), 8);
  EXPECT_EQ(call("UPPER", {bad}), "A\xff\xc3(\xed\xa0\x80Z");
  EXPECT_EQ(call("REVERSE", {call("REVERSE", {bad})}), bad);
  EXPECT_EQ(call("SUBSTRING", {bad, 1, 2}), "\xff\xc3");
  EXPECT_EQ(call("LIKE", {bad, "a%z"}), true);
  EXPECT_EQ(call("LIKE", {bad, "a_\xc3%"}), true);
  EXPECT_EQ(call("SPLIT", {bad, ""}).size(), 8u);
  EXPECT_NO_THROW(call("CONCAT", {bad, json::array({bad})}));
  EXPECT_NO_THROW(call("JSON_STRINGIFY", {bad}));
  EXPECT_EQ(call("MD5", {bad}).get<std::string>().size(), 32u);
  EXPECT_TRUE(call("JSON_PARSE", {std::string(100000, '[')}).is_null());
  EXPECT_TRUE(call("JSON_PARSE", {"\"\xff\""}).is_null());
}

/// Every function with every arity it accepts (up to 4) on random hostile
/// arguments: nothing may crash, and only runtime/limit errors may escape.
TEST(aql_functions_bad_input, random_arguments_never_crash) {
  const char* names[] = {"LENGTH",
                         "COUNT",
                         "CONCAT",
                         "CONCAT_SEPARATOR",
                         "LOWER",
                         "UPPER",
                         "SUBSTRING",
                         "LEFT",
                         "RIGHT",
                         "TRIM",
                         "LTRIM",
                         "RTRIM",
                         "CONTAINS",
                         "LIKE",
                         "SPLIT",
                         "REVERSE",
                         "STARTS_WITH",
                         "REGEX_TEST",
                         "ROUND",
                         "FLOOR",
                         "CEIL",
                         "ABS",
                         "SQRT",
                         "POW",
                         "RAND",
                         "MIN",
                         "MAX",
                         "SUM",
                         "AVERAGE",
                         "AVG",
                         "MEDIAN",
                         "DATE_NOW",
                         "DATE_ISO8601",
                         "DATE_TIMESTAMP",
                         "DATE_YEAR",
                         "DATE_MONTH",
                         "DATE_DAY",
                         "DATE_HOUR",
                         "DATE_MINUTE",
                         "DATE_SECOND",
                         "DATE_ADD",
                         "HAS",
                         "KEEP",
                         "UNSET",
                         "MERGE",
                         "ATTRIBUTES",
                         "VALUES",
                         "ZIP",
                         "UNIQUE",
                         "SORTED",
                         "SORTED_UNIQUE",
                         "FLATTEN",
                         "FIRST",
                         "LAST",
                         "NTH",
                         "PUSH",
                         "APPEND",
                         "UNION",
                         "UNION_DISTINCT",
                         "INTERSECTION",
                         "MINUS",
                         "POSITION",
                         "SLICE",
                         "RANGE",
                         "TO_NUMBER",
                         "TO_STRING",
                         "TO_BOOL",
                         "TO_ARRAY",
                         "IS_NULL",
                         "IS_BOOL",
                         "IS_NUMBER",
                         "IS_STRING",
                         "IS_ARRAY",
                         "IS_LIST",
                         "IS_OBJECT",
                         "IS_DOCUMENT",
                         "TYPENAME",
                         "NOT_NULL",
                         "FIRST_DOCUMENT",
                         "JSON_STRINGIFY",
                         "JSON_PARSE",
                         "MD5",
                         "SHA1",
                         "UUID"};
  const std::vector<json> pool = {nullptr,
                                  true,
                                  false,
                                  0,
                                  -1,
                                  3,
                                  1.5,
                                  -2.5,
                                  1e308,
                                  -1e308,
                                  std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<uint64_t>::max(),
                                  "",
                                  "a,b",
                                  "\xff\xfe",
                                  "%_\\",
                                  "2020-02-30",
                                  "2020-01-01T00:00:00Z",
                                  "P1D",
                                  "days",
                                  "[1",
                                  "(",
                                  j("[]"),
                                  j("[null,1,\"x\",[2]]"),
                                  j("[[[[]]]]"),
                                  j("{}"),
                                  j(R"({"a":{"b":1},"_k":null})"),
                                  j(R"([{"a":1},{"b":2}])")};
  std::mt19937 rng(12345);
  for (const char* name : names) {
    const function_arity* ar = find_function(name);
    ASSERT_NE(ar, nullptr) << name;
    for (size_t n = ar->min; n <= std::min<size_t>(ar->max, 4); ++n) {
      for (int round = 0; round < 150; ++round) {
        std::vector<json> args;
        for (size_t k = 0; k < n; ++k)
          args.push_back(pool[rng() % pool.size()]);
        std::string shown =
          json(args).dump(-1, ' ', false, json::error_handler_t::replace);
        try {
          json r = call_function(name, args);
          EXPECT_FALSE(r.is_discarded()) << name << shown;
        } catch (const aql_error& e) {
          EXPECT_TRUE(e.kind() == error_kind::runtime ||
                      e.kind() == error_kind::limit)
            << name << shown;
        } catch (const std::exception& e) {
          ADD_FAILURE() << name << shown << ": " << e.what();
        }
      }
    }
  }
}

} // namespace
