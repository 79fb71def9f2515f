#include "handlers/streaming_rows.hpp"

#include "handlers/streaming_query.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

std::string text_of(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A CSV cell: strings as they are, null and missing empty, the rest as
/// JSON text.
std::string cell(const json* v) {
  if (!v || v->is_null())
    return {};
  if (v->is_string())
    return csv_field(v->get_ref<const std::string&>());
  return csv_field(text_of(*v));
}

} // namespace

const char* content_type_of(stream_format fmt) {
  switch (fmt) {
    case stream_format::ndjson:
      return "application/x-ndjson";
    case stream_format::csv:
      return "text/csv; charset=utf-8";
    default:
      return "application/json";
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos &&
      (s.empty() || s[0] != '#'))
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string row_encoder::head() const {
  return fmt_ == stream_format::json_array ? "{\"result\":[" : "";
}

void row_encoder::add(const json& row, std::string& out) {
  switch (fmt_) {
    case stream_format::ndjson:
      out += text_of(row);
      out += '\n';
      break;
    case stream_format::json_array:
      if (!first_)
        out += ',';
      out += text_of(row);
      break;
    case stream_format::csv:
      if (first_) {
        object_rows_ = row.is_object();
        if (object_rows_)
          for (auto& [k, v] : row.items())
            columns_.push_back(k);
        else
          columns_.push_back("value");
        for (size_t i = 0; i < columns_.size(); ++i)
          out += (i ? "," : "") + csv_field(columns_[i]);
        out += "\r\n";
      }
      if (object_rows_) {
        for (size_t i = 0; i < columns_.size(); ++i) {
          auto it = row.is_object() ? row.find(columns_[i]) : row.end();
          out += (i ? "," : "") +
                 cell(row.is_object() && it != row.end() ? &*it : nullptr);
        }
      } else {
        out += cell(&row);
      }
      out += "\r\n";
      break;
  }
  first_ = false;
}

std::string row_encoder::tail(uint64_t count) const {
  if (fmt_ == stream_format::json_array)
    return "],\"hasMore\":false,\"count\":" + std::to_string(count) + "}";
  return {};
}

std::string error_tail(stream_format fmt, int status, const std::string& msg,
                       const std::string& kind, bool started) {
  json e = {{"error", true},
            {"message", msg},
            {"status_code", status},
            {"error_kind", kind}};
  switch (fmt) {
    case stream_format::ndjson:
      return text_of(e) + "\n";
    case stream_format::csv:
      return "#error," + std::to_string(status) + "," + csv_field(kind) + "," +
             csv_field(msg) + "\r\n";
    default: {
      auto fields = text_of(e);
      // {"error":…} → ],"error":…} after the streamed array
      return (started ? "]," : "{\"result\":[],") + fields.substr(1);
    }
  }
}

} // namespace themis
