#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "engine/sql/pg_numeric.hpp"

using namespace themis::sql;
namespace n = themis::sql::num;

namespace {

std::string c(const std::string& t) {
  return n::canonical(t);
}

std::string state(const std::string& t) {
  try {
    n::parse(t);
  } catch (const sql_error& e) {
    return e.sqlstate();
  }
  return "";
}

std::string op(char o, const std::string& a, const std::string& b) {
  auto x = n::parse(a), y = n::parse(b);
  switch (o) {
    case '+':
      return n::to_string(n::add(x, y));
    case '-':
      return n::to_string(n::sub(x, y));
    case '*':
      return n::to_string(n::mul(x, y));
    case '/':
      return n::to_string(n::div(x, y));
    default:
      return n::to_string(n::mod(x, y));
  }
}

template <class F>
std::string err(F&& f) {
  try {
    f();
  } catch (const sql_error& e) {
    return e.sqlstate() + ": " + e.what();
  }
  return "";
}

} // namespace

// expectations below were checked against PostgreSQL 15
TEST(pg_numeric, text_keeps_scale) {
  EXPECT_EQ(c("12.50"), "12.50");
  EXPECT_EQ(c(" +1.50 "), "1.50");
  EXPECT_EQ(c("-0.00"), "0.00");
  EXPECT_EQ(c("1e3"), "1000");
  EXPECT_EQ(c("1.5e-3"), "0.0015");
  EXPECT_EQ(c(".5"), "0.5");
  EXPECT_EQ(c("5."), "5");
  EXPECT_EQ(c("007"), "7");
  EXPECT_EQ(c("nan"), "NaN");
  EXPECT_EQ(c("-inf"), "-Infinity");
  EXPECT_EQ(c("+Infinity"), "Infinity");
  std::string big(70, '9');
  EXPECT_EQ(c(big + "." + big), big + "." + big);
  EXPECT_EQ(c("1e1001").size(), 1002u);
}

TEST(pg_numeric, malformed_text) {
  for (auto t : {"1e", "--1", "1.2.3", "", " ", ".", "e5", "1e+", "abc", "1 2",
                 "0x10", "+-1", "1_000", "infinityx", "Na N"})
    EXPECT_EQ(state(t), "22P02") << t;
  EXPECT_EQ(state("1" + std::string(200000, '0')), "22003");
  EXPECT_EQ(state("0." + std::string(20000, '0') + "1"), "22003");
  EXPECT_EQ(state("1e999999999999"), "22003");
  EXPECT_EQ(state("1e-999999999999"), "22003");
  EXPECT_EQ(state("0e-100"), ""); // scale 100: fine
}

TEST(pg_numeric, arithmetic_scales) {
  EXPECT_EQ(op('+', "1.5", "1.25"), "2.75");
  EXPECT_EQ(op('-', "1.5", "1.50"), "0.00");
  EXPECT_EQ(op('*', "1.5", "-1.25"), "-1.875");
  EXPECT_EQ(op('/', "1", "3"), "0.33333333333333333333");
  EXPECT_EQ(op('/', "10", "4"), "2.5000000000000000");
  EXPECT_EQ(op('/', "1.0", "3"), "0.33333333333333333333");
  EXPECT_EQ(op('/', "2", "3"), "0.66666666666666666667");
  EXPECT_EQ(op('/', "-2", "3"), "-0.66666666666666666667");
  EXPECT_EQ(op('/', "123456789012345678901234567890", "7"),
            "17636684144620811271604938270");
  EXPECT_EQ(op('/', "1", "123456789.123"), "0.0000000081000000656399705319");
  EXPECT_EQ(op('/', "1", "1e-30"),
            "1" + std::string(30, '0') + "." + std::string(30, '0'));
  EXPECT_EQ(op('/', "0", "7"), "0.00000000000000000000");
  EXPECT_EQ(op('/', "1e-10", "3"), "0.0000000000333333333333333333");
  EXPECT_EQ(op('/', "12345678", "0.0001"), "123456780000.00000000");
  EXPECT_EQ(op('%', "7.5", "2"), "1.5");
  EXPECT_EQ(op('%', "-7.5", "2.25"), "-0.75");
  EXPECT_EQ(op('%', "5.0", "0.3"), "0.2");
  EXPECT_EQ(op('*', "1e-20", "1e-20"), "0." + std::string(39, '0') + "1");
  EXPECT_EQ(op('+', "Infinity", "-Infinity"), "NaN");
  EXPECT_EQ(op('*', "Infinity", "0"), "NaN");
  EXPECT_EQ(op('/', "1", "Infinity"), "0");
  EXPECT_EQ(op('%', "Infinity", "3"), "NaN");
  EXPECT_EQ(op('%', "3", "Infinity"), "3");
  EXPECT_EQ(op('/', "NaN", "0"), "NaN");
  EXPECT_EQ(err([] { op('/', "1", "0"); }), "22012: division by zero");
  EXPECT_EQ(err([] { op('/', "Infinity", "0"); }), "22012: division by zero");
  EXPECT_EQ(err([] { op('%', "1", "0.00"); }), "22012: division by zero");
}

TEST(pg_numeric, long_division_matches_multiplication) {
  std::mt19937_64 rng(36);
  auto digits = [&](int k) {
    std::string s = std::to_string(1 + rng() % 9);
    for (int i = 1; i < k; ++i)
      s.push_back(static_cast<char>('0' + rng() % 10));
    return s;
  };
  for (int i = 0; i < 300; ++i) {
    auto a = n::parse(digits(1 + static_cast<int>(rng() % 80)));
    auto b = n::parse(digits(1 + static_cast<int>(rng() % 40)));
    // (a*b)/b at scale 0 is a exactly; (a*b + r) % b is r
    auto p = n::mul(a, b);
    EXPECT_EQ(n::to_string(n::div_scale(p, b, 0)), n::to_string(a));
    auto r = n::mod(a, b);
    EXPECT_EQ(n::to_string(n::mod(n::add(p, r), b)), n::to_string(r));
    EXPECT_LT(n::cmp(r, b), 0);
  }
}

TEST(pg_numeric, rounding) {
  auto r = [](const char* x, int s) {
    return n::to_string(n::round(n::parse(x), s));
  };
  auto t = [](const char* x, int s) {
    return n::to_string(n::trunc(n::parse(x), s));
  };
  EXPECT_EQ(r("2.5", 0), "3");
  EXPECT_EQ(r("-2.5", 0), "-3");
  EXPECT_EQ(r("-2.55", 1), "-2.6");
  EXPECT_EQ(r("1234.5", -2), "1200");
  EXPECT_EQ(r("1.5", 3), "1.500");
  EXPECT_EQ(r("0.004", 2), "0.00");
  EXPECT_EQ(t("-2.59", 1), "-2.5");
  EXPECT_EQ(n::to_string(n::ceil(n::parse("-1.5"))), "-1");
  EXPECT_EQ(n::to_string(n::floor(n::parse("-1.5"))), "-2");
  EXPECT_EQ(n::to_string(n::ceil(n::parse("1.01"))), "2");
  EXPECT_EQ(n::to_string(n::sign(n::parse("-3.50"))), "-1");
  EXPECT_EQ(n::to_string(n::abs(n::parse("-1.50"))), "1.50");
  EXPECT_EQ(n::to_int(n::parse("-2.5"), "integer"), -3);
  EXPECT_EQ(n::to_int(n::parse("-9223372036854775808")), INT64_MIN);
  EXPECT_EQ(err([] { n::to_int(n::parse("2147483647.5"), "integer"); }),
            "22003: integer out of range");
  EXPECT_EQ(err([] { n::to_int(n::parse("1e30")); }),
            "22003: bigint out of range");
  EXPECT_EQ(err([] { n::to_int(n::parse("NaN"), "integer"); }),
            "0A000: cannot convert NaN to integer");
}

TEST(pg_numeric, typmod) {
  auto tm = n::make_typmod(12, 2);
  EXPECT_EQ(tm, 786438);
  EXPECT_EQ(n::typmod_text(tm), "(12,2)");
  EXPECT_EQ(
    n::to_string(n::apply_typmod(n::parse("12.345"), n::make_typmod(4, 2))),
    "12.35");
  EXPECT_EQ(
    n::to_string(n::apply_typmod(n::parse("2.5"), n::make_typmod(5, 0))), "3");
  EXPECT_EQ(
    err([] { n::apply_typmod(n::parse("99.995"), n::make_typmod(4, 2)); }),
    "22003: numeric field overflow\x1e"
    "DA field with precision 4, scale 2 must round to an absolute "
    "value less than 10^2.");
  EXPECT_EQ(
    err([] { n::apply_typmod(n::parse("inf"), n::make_typmod(5, 2)); }),
    "22003: numeric field overflow\x1e"
    "DA field with precision 5, scale 2 cannot hold an infinite value.");
  EXPECT_EQ(n::to_string(n::apply_typmod(n::parse("NaN"), tm)), "NaN");
}

TEST(pg_numeric, order) {
  std::vector<std::string> v = {"-Infinity", "-1e10",    "-1.5",      "0",
                                "0.001",     "1",        "1.0000001", "99",
                                "1e20",      "Infinity", "NaN"};
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = 0; j < v.size(); ++j)
      EXPECT_EQ(n::cmp(n::parse(v[i]), n::parse(v[j])), i < j   ? -1
                                                        : i > j ? 1
                                                                : 0)
        << v[i] << " " << v[j];
  EXPECT_EQ(n::cmp(n::parse("1.0"), n::parse("1.00")), 0);
}

TEST(pg_numeric, binary_round_trip) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string s = rng() % 2 ? "-" : "";
    int ip = static_cast<int>(rng() % 75), fp = static_cast<int>(rng() % 41);
    for (int k = 0; k < ip; ++k)
      s.push_back(static_cast<char>('0' + rng() % 10));
    if (ip == 0)
      s += "0";
    if (fp) {
      s += ".";
      for (int k = 0; k < fp; ++k)
        s.push_back(static_cast<char>('0' + rng() % 10));
    }
    auto x = n::parse(s);
    auto back = n::from_binary(n::to_binary(x));
    EXPECT_EQ(n::to_string(back), n::to_string(x)) << s;
  }
  for (auto s : {"NaN", "Infinity", "-Infinity", "0", "0.000", "10000",
                 "0.0001", "-12.50"})
    EXPECT_EQ(n::to_string(n::from_binary(n::to_binary(n::parse(s)))), s);
}

TEST(pg_numeric, malformed_binary) {
  auto st = [](std::string b) {
    try {
      n::from_binary(b);
    } catch (const sql_error& e) {
      return e.sqlstate() + ": " + e.what();
    }
    return std::string();
  };
  using namespace std::string_literals;
  EXPECT_EQ(st("\0\0\0"s), "22P03: insufficient data left in message");
  EXPECT_EQ(st("\0\0\0\0\x12\0\0\0"s),
            "22P03: invalid sign in external \"numeric\" value");
  EXPECT_EQ(st("\0\x01\0\0\0\0\0\0\x27\x10"s),
            "22P03: invalid digit in external \"numeric\" value");
  EXPECT_EQ(st("\0\0\0\0\0\0\x40\0"s),
            "22P03: invalid scale in external \"numeric\" value");
  EXPECT_EQ(st("\x0b\xb9\0\0\0\0\0\0"s),
            "22P03: invalid length in external \"numeric\" value");
  EXPECT_EQ(st("\0\x01\0\0\0\0\0\0"s),
            "22P03: insufficient data left in message");
  // digits beyond dscale are cut: 1.2345 with dscale 2 → 1.23
  EXPECT_EQ(n::to_string(n::from_binary("\0\x02\0\0\0\0\0\x02\0\x01\x09\x29"s)),
            "1.23");
  std::mt19937_64 rng(3);
  for (int i = 0; i < 5000; ++i) { // random bytes: an error or a value
    std::string b(8 + rng() % 12, '\0');
    for (auto& ch : b)
      ch = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 3);
    try {
      n::from_binary(b);
    } catch (const sql_error& e) {
      EXPECT_EQ(e.sqlstate(), "22P03");
    }
  }
}

TEST(pg_numeric, hostile_sizes_are_bounded) {
  auto t0 = std::chrono::steady_clock::now();
  auto x = n::parse(std::string(60000, '9'));
  auto y = n::mul(x, x); // 120000 digits: still within the limit
  EXPECT_EQ(err([&] { n::mul(y, y); }),
            "22003: value overflows numeric format");
  auto z = n::div(y, n::parse(std::string(30000, '7')));
  EXPECT_FALSE(z.mag.empty());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - t0)
              .count();
  EXPECT_LT(ms, 5000); // generous for sanitizer builds; ~100 ms in release
}
