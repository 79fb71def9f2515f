#include "handlers/access_log.hpp"

#include <charconv>
#include <spdlog/spdlog.h>

namespace themis::access_log {

namespace {

std::atomic<spdlog::logger*> access_logger{nullptr};
std::atomic<format> access_format{format::json};

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80             ? 0
               : (c & 0xE0) == 0xC0 ? 1
               : (c & 0xF0) == 0xE0 ? 2
               : (c & 0xF8) == 0xF0 ? 3
                                    : 4;
    if (n == 4 || i + n >= s.size())
      return false;
    for (size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
        return false;
    i += n + 1;
  }
  return true;
}

/// JSON string contents: quotes, backslashes and control characters
/// escaped; bytes of invalid UTF-8 as \u00XX so the line stays JSON.
void json_escape(std::string& out, std::string_view v) {
  static constexpr char hex[] = "0123456789abcdef";
  bool utf8 = valid_utf8(v);
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
      out += "\\u00";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
}

/// logfmt value: bare when it is a plain token, else quoted and escaped.
void text_value(std::string& out, std::string_view v) {
  bool plain = !v.empty();
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c == 0x7f)
      plain = false;
  }
  if (plain) {
    out += v;
    return;
  }
  out += '"';
  json_escape(out, v);
  out += '"';
}

void number(std::string& out, const field& f) {
  char buf[32];
  std::to_chars_result r;
  if (f.type == field::kind::real)
    r = std::to_chars(buf, buf + sizeof buf, f.d, std::chars_format::fixed, 3);
  else
    r = std::to_chars(buf, buf + sizeof buf, f.i);
  out.append(buf, r.ptr);
}

void value(std::string& out, format fm, const field& f) {
  switch (f.type) {
    case field::kind::str:
      if (fm == format::json) {
        out += '"';
        json_escape(out, f.s);
        out += '"';
      } else {
        text_value(out, f.s);
      }
      return;
    case field::kind::boolean:
      out += f.i ? "true" : "false";
      return;
    default:
      number(out, f);
  }
}

} // namespace

void detail::configure(spdlog::logger* access, format f) {
  access_logger.store(access, std::memory_order_release);
  access_format.store(f, std::memory_order_relaxed);
}

void format_line(std::string& out, format fm, std::string_view proto,
                 std::string_view event, std::initializer_list<field> fields) {
  auto one = [&](const field& f, bool first) {
    if (fm == format::json) {
      if (!first)
        out += ',';
      out += '"';
      out += f.key;
      out += "\":";
    } else {
      if (!first)
        out += ' ';
      out += f.key;
      out += '=';
    }
    value(out, fm, f);
  };
  one(field("proto", proto), true);
  one(field("event", event), false);
  for (auto& f : fields)
    one(f, false);
}

void write(std::string_view proto, std::string_view event,
           std::initializer_list<field> fields) {
  int route = detail::route.load(std::memory_order_relaxed);
  if (route == 0)
    return;
  thread_local std::string line;
  line.clear();
  if (route == 1) {
    auto* l = access_logger.load(std::memory_order_acquire);
    if (!l)
      return;
    format_line(line, access_format.load(std::memory_order_relaxed), proto,
                event, fields);
    l->log(spdlog::level::info,
           spdlog::string_view_t(line.data(), line.size()));
    return;
  }
  // the access log is off: the server log shows the record at debug level
  line = "access ";
  format_line(line, format::text, proto, event, fields);
  spdlog::debug("{}", line);
}

} // namespace themis::access_log
