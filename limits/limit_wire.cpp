#include "limits/limit_wire.hpp"

#include <charconv>
#include <string_view>

#include "themis/hex.hpp"

namespace themis::limits {

namespace {

constexpr char hexdig[] = "0123456789ABCDEF";

void escape(std::string_view in, std::string& out) {
  for (unsigned char c : in) {
    if (c > 0x20 && c < 0x7f && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hexdig[c >> 4]);
      out.push_back(hexdig[c & 15]);
    }
  }
}

/// Splits `line` at single spaces into exactly `n` fields.
bool fields(std::string_view line, std::string_view* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto sp = i + 1 < n ? line.find(' ') : std::string_view::npos;
    if (i + 1 < n && sp == std::string_view::npos)
      return false;
    out[i] = line.substr(0, sp);
    if (out[i].empty() || out[i].find(' ') != std::string_view::npos)
      return false;
    line =
      sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  }
  return true;
}

template <class T>
bool num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

/// Calls `f` per '\n'-terminated line; false if a line is unterminated.
template <class F>
bool each_line(std::string_view body, F f) {
  while (!body.empty()) {
    auto nl = body.find('\n');
    if (nl == std::string_view::npos || !f(body.substr(0, nl)))
      return false;
    body.remove_prefix(nl + 1);
  }
  return true;
}

} // namespace

bool percent_decode(std::string_view in, std::string& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size())
      return false;
    int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
    if (hi < 0 || lo < 0)
      return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::string encode_query(const std::vector<limit_item>& items) {
  std::string out;
  for (auto& it : items) {
    out += std::to_string(static_cast<int>(it.algo)) + ' ' +
           std::to_string(it.spec.limit) + ' ' +
           std::to_string(it.spec.window_ns) + ' ' +
           std::to_string(it.spec.burst) + ' ';
    escape(it.key, out);
    out.push_back('\n');
  }
  return out;
}

std::optional<std::vector<limit_item>> decode_query(const std::string& body) {
  std::vector<limit_item> items;
  if (body.size() > max_wire_items * (3 * max_wire_key + 80))
    return std::nullopt;
  bool ok = each_line(body, [&](std::string_view line) {
    std::string_view f[5];
    if (items.size() >= max_wire_items || !fields(line, f, 5))
      return false;
    limit_item it;
    int algo = 0;
    if (!num(f[0], algo) || algo < 0 || algo > 2 || !num(f[1], it.spec.limit) ||
        it.spec.limit == 0 || !num(f[2], it.spec.window_ns) ||
        it.spec.window_ns < 1'000'000 || !num(f[3], it.spec.burst) ||
        !percent_decode(f[4], it.key) || it.key.size() > max_wire_key)
      return false;
    it.algo = static_cast<algorithm>(algo);
    items.push_back(std::move(it));
    return true;
  });
  if (!ok || items.empty())
    return std::nullopt;
  return items;
}

std::string encode_answers(const std::vector<limit_answer>& answers) {
  std::string out;
  for (auto& a : answers)
    out +=
      std::string(a.d.allowed ? "1 " : "0 ") + std::to_string(a.d.limit) + ' ' +
      std::to_string(a.d.remaining) + ' ' + std::to_string(a.d.reset_ns) + ' ' +
      std::to_string(a.d.retry_after_ns) + (a.from_redis ? " r\n" : " l\n");
  return out;
}

std::optional<std::vector<limit_answer>> decode_answers(const std::string& body,
                                                        size_t expected) {
  std::vector<limit_answer> out;
  bool ok = each_line(body, [&](std::string_view line) {
    std::string_view f[6];
    if (out.size() >= expected || !fields(line, f, 6))
      return false;
    limit_answer a;
    if ((f[0] != "0" && f[0] != "1") || !num(f[1], a.d.limit) ||
        !num(f[2], a.d.remaining) || !num(f[3], a.d.reset_ns) ||
        !num(f[4], a.d.retry_after_ns) || a.d.reset_ns < 0 ||
        a.d.retry_after_ns < 0 || (f[5] != "r" && f[5] != "l"))
      return false;
    a.d.allowed = f[0] == "1";
    a.from_redis = f[5] == "r";
    out.push_back(a);
    return true;
  });
  if (!ok || out.size() != expected)
    return std::nullopt;
  return out;
}

} // namespace themis::limits
