#include "handlers/import_parse.hpp"

#include "engine/json_bounded.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// A JSON number's grammar (RFC 8259), so "007" or "1e" stay strings.
bool json_number(const std::string& s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-')
    ++i;
  if (i >= n)
    return false;
  if (s[i] == '0')
    ++i;
  else if (s[i] >= '1' && s[i] <= '9')
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i;
  else
    return false;
  if (i < n && s[i] == '.') {
    ++i;
    size_t d = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i;
    if (i == d)
      return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-'))
      ++i;
    size_t d = i;
    while (i < n && std::isdigit(static_cast<unsigned char>(s[i])))
      ++i;
    if (i == d)
      return false;
  }
  return i == n && n <= 64;
}

} // namespace

import_reader::import_reader(std::string_view body, import_format fmt) :
  body_(body), fmt_(fmt) {
  if (fmt_ == import_format::json_array) {
    auto st = engine::parse_untrusted_json(body_, array_);
    if (st == engine::json_parse_status::too_deep)
      open_error_ = engine::json_too_deep_message();
    else if (st != engine::json_parse_status::ok || !array_.is_array())
      open_error_ = "the body must be a JSON array of objects";
  } else if (fmt_ == import_format::csv) {
    size_t lines = 0;
    std::string err;
    if (!csv_record(body_, pos_, columns_, lines, err) || !err.empty())
      open_error_ = err.empty() ? "the CSV body has no header line" : err;
    line_ = lines;
    for (auto& c : columns_)
      if (c.empty())
        open_error_ = "a CSV header column is empty";
  }
}

bool import_reader::csv_record(std::string_view t, size_t& pos,
                               std::vector<std::string>& fields, size_t& lines,
                               std::string& error) {
  fields.clear();
  if (pos >= t.size())
    return false;
  std::string cur;
  bool quoted = false, was_quoted = false;
  ++lines;
  while (pos < t.size()) {
    char c = t[pos++];
    if (quoted) {
      if (c == '"') {
        if (pos < t.size() && t[pos] == '"') {
          cur += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n')
          ++lines;
        cur += c;
      }
      continue;
    }
    if (c == '"' && cur.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(cur));
      cur.clear();
      was_quoted = false;
      if (fields.size() > max_csv_columns) {
        error = "more than " + std::to_string(max_csv_columns) + " columns";
        // skip the rest of the record's line
        while (pos < t.size() && t[pos] != '\n')
          ++pos;
        if (pos < t.size())
          ++pos;
        return true;
      }
    } else if (c == '\n') {
      break;
    } else if (c == '\r' && pos < t.size() && t[pos] == '\n') {
      continue;
    } else {
      cur += c;
    }
  }
  if (quoted)
    error = "unterminated quoted field";
  fields.push_back(std::move(cur));
  return true;
}

json import_reader::csv_value(const std::string& s) {
  if (s.empty())
    return json(json::value_t::discarded);
  if (s == "true" || s == "false")
    return s == "true";
  if (s == "null")
    return nullptr;
  if (json_number(s)) {
    auto v = json::parse(s, nullptr, false);
    if (!v.is_discarded())
      return v;
  }
  return s;
}

bool import_reader::next(import_item& out) {
  out = import_item{};
  if (!open_error_.empty())
    return false;
  switch (fmt_) {
    case import_format::json_array: {
      if (index_ >= array_.size())
        return false;
      auto& v = array_[index_++];
      out.line = index_;
      if (!v.is_object())
        out.error = "not a JSON object";
      else
        out.doc = v.dump(-1, ' ', false, json::error_handler_t::replace);
      v = nullptr; // its memory goes as the import proceeds
      return true;
    }
    case import_format::ndjson: {
      if (pos_ >= body_.size())
        return false;
      auto end = body_.find('\n', pos_);
      if (end == std::string_view::npos)
        end = body_.size();
      auto text = body_.substr(pos_, end - pos_);
      pos_ = end + 1;
      out.line = ++line_;
      while (!text.empty() &&
             (text.back() == '\r' || text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
      if (text.find_first_not_of(" \t") == std::string_view::npos) {
        out.empty = true;
        return true;
      }
      json v;
      auto st = engine::parse_untrusted_json(text, v);
      if (st == engine::json_parse_status::too_deep)
        out.error = engine::json_too_deep_message();
      else if (st != engine::json_parse_status::ok)
        out.error = "not valid JSON";
      else if (!v.is_object())
        out.error = "not a JSON object";
      else
        out.doc = std::string(text);
      return true;
    }
    case import_format::csv: {
      std::vector<std::string> fields;
      std::string err;
      size_t first = line_ + 1;
      if (!csv_record(body_, pos_, fields, line_, err))
        return false;
      out.line = first;
      if (!err.empty()) {
        out.error = err;
        return true;
      }
      if (fields.size() == 1 && fields[0].empty()) {
        out.empty = true;
        return true;
      }
      if (fields.size() != columns_.size()) {
        out.error = std::to_string(fields.size()) + " fields, the header has " +
                    std::to_string(columns_.size());
        return true;
      }
      json doc = json::object();
      for (size_t i = 0; i < fields.size(); ++i) {
        auto v = csv_value(fields[i]);
        if (!v.is_discarded())
          doc[columns_[i]] = std::move(v);
      }
      if (auto k = doc.find("_key"); k != doc.end() && !k->is_string())
        *k = k->dump(); // a numeric-looking key stays the key's text
      out.doc = doc.dump(-1, ' ', false, json::error_handler_t::replace);
      return true;
    }
  }
  return false;
}

} // namespace themis
