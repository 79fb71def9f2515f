#include "protocols/grpc/grpc_web.hpp"

#include <array>
#include <cctype>

namespace themis::grpc {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// The media type without parameters, trimmed and lower-cased.
std::string media_type(std::string_view ct) {
  auto semi = ct.find(';');
  if (semi != std::string_view::npos)
    ct = ct.substr(0, semi);
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t'))
    ct.remove_suffix(1);
  while (!ct.empty() && (ct.front() == ' ' || ct.front() == '\t'))
    ct.remove_prefix(1);
  std::string out(ct);
  for (auto& c : out)
    c = lower(c);
  return out;
}

constexpr std::string_view b64_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int8_t, 256> b64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t)
    v = -1;
  for (size_t i = 0; i < b64_alphabet.size(); ++i)
    t[static_cast<uint8_t>(b64_alphabet[i])] = static_cast<int8_t>(i);
  return t;
}

constexpr auto b64_values = b64_table();

bool token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
         c == '.' || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' ||
         c == '\'' || c == '*' || c == '+' || c == '^' || c == '`' ||
         c == '|' || c == '~';
}

} // namespace

std::optional<web_format> parse_web_content_type(std::string_view ct) {
  auto t = media_type(ct);
  if (t == "application/grpc-web" || t == "application/grpc-web+proto")
    return web_format{web_wire::web, false};
  if (t == "application/grpc-web-text" ||
      t == "application/grpc-web-text+proto")
    return web_format{web_wire::web_text, false};
  if (t == "application/proto")
    return web_format{web_wire::connect_unary, false};
  if (t == "application/json")
    return web_format{web_wire::connect_unary, true};
  if (t == "application/connect+proto")
    return web_format{web_wire::connect_stream, false};
  if (t == "application/connect+json")
    return web_format{web_wire::connect_stream, true};
  return std::nullopt;
}

bool is_grpc_web_type(std::string_view ct) {
  return media_type(ct).rfind("application/grpc-web", 0) == 0;
}

std::string_view web_content_type(web_format f) {
  switch (f.wire) {
    case web_wire::web:
      return "application/grpc-web+proto";
    case web_wire::web_text:
      return "application/grpc-web-text+proto";
    case web_wire::connect_unary:
      return f.json ? "application/json" : "application/proto";
    case web_wire::connect_stream:
      return f.json ? "application/connect+json" : "application/connect+proto";
  }
  return "application/grpc-web+proto";
}

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                 (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += b64_alphabet[(v >> 18) & 63];
    out += b64_alphabet[(v >> 12) & 63];
    out += b64_alphabet[(v >> 6) & 63];
    out += b64_alphabet[v & 63];
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2)
      v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += b64_alphabet[(v >> 18) & 63];
    out += b64_alphabet[(v >> 12) & 63];
    out += rest == 2 ? b64_alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode_chunks(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0)
    return false;
  out.reserve(out.size() + in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + k];
      if (c == '=') {
        // padding only as the quartet's last one or two characters
        if (k < 2)
          return false;
        ++pad;
        v[k] = 0;
        continue;
      }
      if (pad > 0)
        return false; // "a=b" inside a quartet
      v[k] = b64_values[static_cast<uint8_t>(c)];
      if (v[k] < 0)
        return false;
    }
    uint32_t n = (static_cast<uint32_t>(v[0]) << 18) |
                 (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) |
                 static_cast<uint32_t>(v[3]);
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2)
      out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1)
      out += static_cast<char>(n & 0xff);
  }
  return true;
}

std::string encode_trailer_frame(
  const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string block;
  for (auto& [k, v] : fields) {
    for (char c : k)
      block += lower(c);
    block += ": ";
    block += v;
    block += "\r\n";
  }
  auto len = static_cast<uint32_t>(block.size());
  std::string out;
  out.reserve(block.size() + 5);
  out += static_cast<char>(0x80);
  out += static_cast<char>((len >> 24) & 0xff);
  out += static_cast<char>((len >> 16) & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  out += static_cast<char>(len & 0xff);
  out += block;
  return out;
}

std::optional<std::vector<std::pair<std::string, std::string>>>
parse_trailer_block(std::string_view payload) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!payload.empty()) {
    auto eol = payload.find("\r\n");
    auto line = payload.substr(0, eol);
    payload.remove_prefix(eol == std::string_view::npos ? payload.size()
                                                        : eol + 2);
    if (line.empty())
      continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      return std::nullopt;
    std::string name(line.substr(0, colon));
    for (auto& c : name)
      c = lower(c);
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    out.emplace_back(std::move(name), std::string(value));
  }
  return out;
}

bool origin_allowed(const std::vector<std::string>& allowed,
                    std::string_view origin) {
  if (origin.empty())
    return false;
  for (auto& o : allowed)
    if (o == "*" || o == origin)
      return true;
  return false;
}

std::optional<std::string> cors_request_headers(std::string_view value) {
  if (value.size() > 2048)
    return std::nullopt;
  for (char c : value)
    if (!token_char(c) && c != ',' && c != ' ' && c != '\t')
      return std::nullopt;
  return std::string(value);
}

std::string_view cors_expose_headers() {
  return "grpc-status, grpc-message, grpc-status-details-bin, "
         "grpc-encoding, grpc-accept-encoding, retry-after, "
         "www-authenticate, themis-resume-after";
}

} // namespace themis::grpc
