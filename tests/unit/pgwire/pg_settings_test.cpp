// Settings as PostgreSQL reads and prints them (issue 36):
// actors/pg_settings.cpp.

#include <gtest/gtest.h>

#include "actors/pg_settings.hpp"
#include "engine/sql/translator.hpp"

using namespace themis;

namespace {

std::string state_of(const std::string& name, const std::string& value) {
  try {
    pg_settings::normalize(name, value);
  } catch (const sql::sql_error& e) {
    return e.sqlstate();
  }
  return "";
}

} // namespace

TEST(pg_settings, timeouts_print_in_the_largest_unit) {
  auto n = [](const char* v) {
    return pg_settings::normalize("statement_timeout", v);
  };
  EXPECT_EQ(n("0"), "0");
  EXPECT_EQ(n("100"), "100ms");
  EXPECT_EQ(n("3000"), "3s");
  EXPECT_EQ(n("300000"), "5min");
  EXPECT_EQ(n("7200000"), "2h");
  EXPECT_EQ(n("86400000"), "1d");
  EXPECT_EQ(n("1500"), "1500ms");
  EXPECT_EQ(n("3s"), "3s");
  EXPECT_EQ(n("2 s"), "2s");
  EXPECT_EQ(n("100ms"), "100ms");
  EXPECT_EQ(n("1min"), "1min");
  EXPECT_EQ(n("1.5s"), "1500ms");
  EXPECT_EQ(n("90min"), "90min");
  EXPECT_EQ(n("5000us"), "5ms");
  EXPECT_EQ(pg_settings::timeout_ms("5min"), 300000);
  EXPECT_EQ(pg_settings::timeout_ms("3s"), 3000);
  EXPECT_EQ(pg_settings::timeout_ms("100ms"), 100);
  EXPECT_EQ(pg_settings::timeout_ms("0"), 0);
  EXPECT_EQ(state_of("lock_timeout", "soon"), "22023");
  EXPECT_EQ(state_of("lock_timeout", "3 weeks"), "22023");
  EXPECT_EQ(state_of("lock_timeout", "-1"), "22023");
  EXPECT_EQ(state_of("lock_timeout", "99999999999"), "22023");
  EXPECT_EQ(state_of("lock_timeout", ""), "22023");
}

TEST(pg_settings, other_values) {
  using pg_settings::normalize;
  EXPECT_EQ(normalize("DateStyle", "SQL, DMY"), "SQL, DMY");
  EXPECT_EQ(normalize("datestyle", "iso", "SQL, DMY"), "ISO, DMY");
  EXPECT_EQ(normalize("datestyle", "German", "ISO, MDY"), "German, DMY");
  EXPECT_EQ(normalize("standard_conforming_strings", "true"), "on");
  EXPECT_EQ(normalize("default_transaction_isolation", "REPEATABLE READ"),
            "repeatable read");
  EXPECT_EQ(normalize("extra_float_digits", "3"), "3");
  EXPECT_EQ(normalize("TimeZone", "utc"), "UTC");
  EXPECT_EQ(state_of("extra_float_digits", "4"), "22023");
  EXPECT_EQ(state_of("extra_float_digits", "x"), "22023");
  EXPECT_EQ(state_of("DateStyle", "Klingon"), "22023");
  EXPECT_EQ(state_of("IntervalStyle", "roman"), "22023");
  EXPECT_EQ(state_of("transaction_isolation", "sometimes"), "22023");
  EXPECT_EQ(state_of("standard_conforming_strings", "maybe"), "22023");
}

TEST(pg_settings, options_are_split_as_the_postmaster_splits_them) {
  using kv = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(pg_settings::parse_options(""), kv{});
  EXPECT_EQ(
    pg_settings::parse_options("-c statement_timeout=100  --lock-timeout=1s "
                               "-csearch_path=a\\ b,public\t-c x.y=\\\\"),
    (kv{{"statement_timeout", "100"},
        {"lock_timeout", "1s"},
        {"search_path", "a b,public"},
        {"x.y", "\\"}}));
  for (auto bad : {"statement_timeout=1", "-c", "-c =1", "--x", "-d 1"})
    EXPECT_THROW(pg_settings::parse_options(bad), sql::sql_error) << bad;
}
