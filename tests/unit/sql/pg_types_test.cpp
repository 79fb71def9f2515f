#include <gtest/gtest.h>

#include "engine/sql/pg_datetime.hpp"
#include "engine/sql/pg_types.hpp"

using namespace themis::sql;

namespace {

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::string state_of(void (*f)()) {
  try {
    f();
  } catch (const sql_error& e) {
    return e.sqlstate();
  }
  return "";
}

} // namespace

TEST(pg_types, binary_round_trips) {
  const std::pair<value, uint32_t> cases[] = {
    {value::of(1), oid::boolean},
    {value::of(-2), oid::int2},
    {value::of(-123456), oid::int4},
    {value::of(INT64_MIN), oid::int8},
    {value::of_real(1.25), oid::float4},
    {value::of_real(-2.5e300), oid::float8},
    {value::of_text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), oid::uuid},
    {value::of_text("2024-02-29"), oid::date},
    {value::of_text("1999-12-31 23:59:59.5"), oid::timestamp},
    {value::of_text("2030-01-01 00:00:00+00"), oid::timestamptz},
    {value::of_text("{\"a\":1}"), oid::jsonb},
    {value::of_text("12:34:56.5"), oid::time},
  };
  for (auto& [v, type] : cases) {
    auto bin = to_binary(v, type);
    auto back = from_binary(bin, type);
    EXPECT_EQ(to_text(back, type), to_text(v, type)) << type_name(type);
  }
}

TEST(pg_types, numeric_binary_is_exact_for_decimal_text) {
  // 12.5: 2 digits (12, 5000), weight 0, positive, dscale 1
  EXPECT_EQ(hex(to_binary(value::of_text("12.5"), oid::numeric)),
            "0002000000000001000c1388");
  EXPECT_EQ(to_text(from_binary(to_binary(value::of_real(1e-20), oid::numeric),
                                oid::numeric),
                    oid::numeric),
            "1e-20");
  EXPECT_EQ(
    to_text(from_binary(to_binary(value::of(-42), oid::numeric), oid::numeric),
            oid::numeric),
    "-42");
}

TEST(pg_types, text_input_is_strict) {
  EXPECT_EQ(coerce(value::of_text(" 42 "), oid::int4).i, 42);
  EXPECT_EQ(coerce(value::of_text("on"), oid::boolean).i, 1);
  EXPECT_EQ(state_of([] { coerce(value::of_text("4x"), oid::int4); }), "22P02");
  EXPECT_EQ(state_of([] { coerce(value::of_text("70000"), oid::int2); }),
            "22003");
  EXPECT_EQ(state_of([] { coerce(value::of_text("maybe"), oid::boolean); }),
            "22P02");
  EXPECT_EQ(state_of([] { coerce(value::of_text("2023-02-29"), oid::date); }),
            "22008");
  EXPECT_EQ(state_of([] { coerce(value::of_text("12:00"), oid::timestamp); }),
            "22007");
  EXPECT_EQ(state_of([] { to_text(value::of(1LL << 40), oid::int4); }),
            "22003");
}

TEST(pg_types, malformed_binary_parameters) {
  EXPECT_EQ(state_of([] { from_binary("abc", oid::int4); }), "22P03");
  EXPECT_EQ(state_of([] { from_binary("", oid::int8); }), "22P03");
  EXPECT_EQ(state_of([] { from_binary(std::string(15, 'x'), oid::uuid); }),
            "22P03");
  EXPECT_EQ(state_of([] { from_binary("\x02{}", oid::jsonb); }), "22P03");
  // numeric: a digit above 9999, a bad sign, a short header
  EXPECT_EQ(state_of([] {
              from_binary(std::string("\0\1\0\0\0\0\0\0\x27\x10", 10),
                          oid::numeric);
            }),
            "22P03");
  EXPECT_EQ(state_of([] {
              from_binary(std::string("\0\0\0\0\x12\x34\0\0", 8), oid::numeric);
            }),
            "22P03");
  EXPECT_EQ(state_of([] { from_binary("\0\0", oid::numeric); }), "22P03");
  EXPECT_EQ(state_of([] {
              from_binary(std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8),
                          oid::time);
            }),
            "22008");
}
