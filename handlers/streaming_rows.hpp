#pragma once
/// How streamed rows are written (issue 22): NDJSON (one JSON value per
/// line), CSV (RFC 4180; the columns are the first row's attributes) or
/// a JSON object whose `result` array is streamed; and how an error after
/// the first byte is told in each (docs/rest-api.md "Streaming"). Pure.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace themis {

enum class stream_format;

const char* content_type_of(stream_format fmt);

class row_encoder {
public:
  explicit row_encoder(stream_format fmt) : fmt_(fmt) {}
  /// What comes before the first row.
  std::string head() const;
  /// Appends one row to `out`.
  void add(const nlohmann::json& row, std::string& out);
  /// What ends a complete result of `count` rows.
  std::string tail(uint64_t count) const;
  /// Whether head() has been handed out (always, once rows flow).
  bool started() const { return true; }

private:
  stream_format fmt_;
  bool first_ = true;
  bool object_rows_ = false;
  std::vector<std::string> columns_;
};

/// The last piece of a stream that failed after its head: NDJSON a final
/// record {"error":true,"message","status_code","error_kind"}; JSON the
/// array closed and those fields after it; CSV a last line
/// `#error,<status_code>,<error_kind>,<message>`.
std::string error_tail(stream_format fmt, int status, const std::string& msg,
                       const std::string& kind, bool started);

/// One CSV field (RFC 4180 quoting where needed).
std::string csv_field(const std::string& s);

} // namespace themis
