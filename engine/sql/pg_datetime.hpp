#pragma once
/// Dates and timestamps as PostgreSQL writes them ("2024-05-01",
/// "2024-05-01 12:00:00.5", "…+00" for timestamptz, which is kept in UTC),
/// and their binary wire form (days / microseconds since 2000-01-01).

#include <cstdint>
#include <string>
#include <string_view>

namespace themis::sql {

/// Throws sql_error 22007 on bad input.
std::string normalize_date(std::string_view text);
/// `with_tz`: converts an offset to UTC and writes "+00".
std::string normalize_timestamp(std::string_view text, bool with_tz);
int32_t date_to_pg_days(std::string_view normalized);
std::string pg_days_to_date(int32_t days);
int64_t timestamp_to_pg_us(std::string_view normalized);
std::string pg_us_to_timestamp(int64_t us, bool with_tz);
/// The current time as timestamptz text.
std::string now_timestamptz();

} // namespace themis::sql
