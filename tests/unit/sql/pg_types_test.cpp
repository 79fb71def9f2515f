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
            "0.00000000000000000001"); // exact numeric (issue 36)
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

TEST(pg_types, malformed_binary_never_crashes) {
  // every fixed-size type at every wrong length up to 17 bytes
  const uint32_t fixed[] = {
    oid::boolean, oid::int2,  oid::int4,   oid::int8,      oid::float4,
    oid::float8,  oid::uuid,  oid::date,   oid::timestamp, oid::timestamptz,
    oid::time,    oid::oid_t, oid::regtype};
  for (auto type : fixed) {
    for (size_t n = 0; n <= 17; ++n) {
      if (static_cast<int16_t>(n) == type_len(type))
        continue;
      std::string bytes(n, '\x7f');
      try {
        from_binary(bytes, type);
        ADD_FAILURE() << type_name(type) << " accepted " << n << " bytes";
      } catch (const sql_error& e) {
        EXPECT_EQ(e.sqlstate(), "22P03") << type_name(type) << " " << n;
      }
    }
  }
  // truncated numeric: every prefix of a valid value is an error
  auto num = to_binary(value::of_text("12345.678"), oid::numeric);
  for (size_t n = 0; n < num.size(); ++n)
    EXPECT_THROW(from_binary(num.substr(0, n), oid::numeric), sql_error) << n;
  // a truncated array header, a malformed array value: errors, never
  // the bytes as text (pg_array_test.cpp has the array cases)
  EXPECT_EQ(state_of([] { from_binary("\0\0\0\1", oid::int4_array); }),
            "22P03");
  EXPECT_EQ(state_of([] { to_binary(value::of_text("{1"), oid::int4_array); }),
            "22P02");
  // text must be UTF-8 without NUL; json must parse
  EXPECT_EQ(state_of([] { from_binary("\xff", oid::text); }), "22021");
  EXPECT_EQ(state_of([] { from_binary(std::string("a\0b", 3), oid::varchar); }),
            "22021");
  EXPECT_EQ(state_of([] { from_binary("\xed\xa0\x80", oid::text); }), "22021");
  EXPECT_EQ(state_of([] { from_binary("{", oid::json); }), "22P02");
  EXPECT_EQ(state_of([] { from_binary("\x01{", oid::jsonb); }), "22P02");
  // dates and timestamps outside what the text form can spell
  EXPECT_EQ(state_of([] { from_binary("\x7f\xff\xff\xff", oid::date); }),
            "22008");
  EXPECT_EQ(state_of([] {
              from_binary("\x7f\xff\xff\xff\xff\xff\xff\xff", oid::timestamptz);
            }),
            "22008");
  EXPECT_EQ(state_of([] {
              from_binary(std::string("\x80\0\0\0\0\0\0\0", 8), oid::timestamp);
            }),
            "22008");
  // 1e400: exact numeric holds it (issue 36); bad digits are still 22P03
  EXPECT_EQ(to_text(from_binary(std::string("\0\1\0\x64\0\0\0\0\0\1", 10),
                                oid::numeric),
                    oid::numeric),
            "1" + std::string(400, '0'));
}

TEST(pg_types, binary_parameters_take_the_stored_form) {
  // bytea: its hex text, exactly what the text input stores
  auto b = from_binary(std::string("\0\1\xff", 3), oid::bytea);
  EXPECT_EQ(b.k, value::kind::text);
  EXPECT_EQ(b.s, "\\x0001ff");
  EXPECT_EQ(to_binary(b, oid::bytea), std::string("\0\1\xff", 3));
  EXPECT_EQ(from_binary("", oid::bytea).s, "\\x");
  // a blob bound to text becomes bytea's text form
  value blob;
  blob.k = value::kind::blob;
  blob.s = std::string("\0\1\xff", 3);
  EXPECT_EQ(coerce(blob, oid::text).s, "\\x0001ff");
  // oid is unsigned; NaN and infinities are held as their text
  EXPECT_EQ(from_binary("\xff\xff\xff\xfe", oid::oid_t).i, 4294967294LL);
  EXPECT_EQ(from_binary(std::string("\x7f\xc0\0\0", 4), oid::float4).s, "NaN");
  EXPECT_EQ(
    to_text(coerce(value::of_text("-Infinity"), oid::float8), oid::float8),
    "-Infinity");
  EXPECT_EQ(hex(to_binary(value::of_text("NaN"), oid::float8)),
            "7ff8000000000000");
  // jsonb is normalised as its text input is
  EXPECT_EQ(from_binary("\x01{\"b\": 1,  \"a\": [2]}", oid::jsonb).s,
            coerce(value::of_text("{\"b\": 1,  \"a\": [2]}"), oid::jsonb).s);
}

TEST(pg_types, regtype_is_a_type_name) {
  EXPECT_EQ(coerce(value::of_text("jsonb"), oid::regtype).i, oid::jsonb);
  EXPECT_EQ(coerce(value::of_text("pg_catalog.int4"), oid::regtype).i,
            oid::int4);
  EXPECT_EQ(coerce(value::of_text("character varying"), oid::regtype).i,
            oid::varchar);
  EXPECT_EQ(coerce(value::of_text("25"), oid::regtype).i, oid::text);
  EXPECT_EQ(to_text(value::of(oid::jsonb), oid::regtype), "jsonb");
  EXPECT_EQ(state_of([] { coerce(value::of_text("nosuch"), oid::regtype); }),
            "42704");
}
