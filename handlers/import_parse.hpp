#pragma once
/// Reading an import body one document at a time (issue 22): NDJSON lines,
/// the elements of a JSON array, or CSV records (RFC 4180, the first
/// record names the attributes). Pure; hostile input gives per-item
/// errors, never an exception.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace themis {

enum class import_format { ndjson, json_array, csv };

struct import_item {
  size_t line = 0;    ///< 1-based line (NDJSON, CSV) or element (JSON)
  std::string doc;    ///< the document as JSON object text
  std::string error;  ///< why this item is not a document
  bool empty = false; ///< a blank line: skipped and counted
};

/// Columns a CSV import may have.
constexpr size_t max_csv_columns = 1000;

class import_reader {
public:
  /// `body` must outlive the reader.
  import_reader(std::string_view body, import_format fmt);
  /// Why the body cannot be read at all ("" if it can): a JSON body that
  /// is not an array, a CSV header that is not one.
  const std::string& open_error() const { return open_error_; }
  /// The next item; false at the end.
  bool next(import_item& out);

  /// One CSV record from `pos` (advanced past its line end); false at the
  /// end of `text`. Exposed for tests.
  static bool csv_record(std::string_view text, size_t& pos,
                         std::vector<std::string>& fields, size_t& lines,
                         std::string& error);
  /// A CSV cell as a JSON value: "" absent (discarded), true/false/null,
  /// JSON numbers, else the string.
  static nlohmann::json csv_value(const std::string& s);

private:
  std::string_view body_;
  import_format fmt_;
  std::string open_error_;
  size_t pos_ = 0, line_ = 0;
  nlohmann::json array_;
  size_t index_ = 0;
  std::vector<std::string> columns_;
};

} // namespace themis
