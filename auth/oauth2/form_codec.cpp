#include "auth/oauth2/form_codec.hpp"

#include "themis/hex.hpp"

namespace themis::auth::oauth2 {

namespace {

/// Decodes one component; false on a broken %XX or a NUL.
bool decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size())
        return false;
      int hi = hex_digit(in[i + 1]), lo = hex_digit(in[i + 2]);
      if (hi < 0 || lo < 0)
        return false;
      char d = static_cast<char>(hi * 16 + lo);
      if (d == '\0')
        return false;
      out.push_back(d);
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return true;
}

} // namespace

form_result parse_form(std::string_view text, const form_limits& lim) {
  form_result r;
  if (text.size() > lim.max_bytes) {
    r.error = "the request is too large";
    return r;
  }
  size_t count = 0;
  while (!text.empty()) {
    auto amp = text.find('&');
    auto pair = text.substr(0, amp);
    text =
      amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty())
      continue;
    if (++count > lim.max_params) {
      r.error = "too many parameters";
      return r;
    }
    auto eq = pair.find('=');
    std::string name, value;
    if (!decode(pair.substr(0, eq), name) ||
        (eq != std::string_view::npos && !decode(pair.substr(eq + 1), value))) {
      r.error = "malformed percent-encoding";
      return r;
    }
    if (value.size() > lim.max_value_bytes || name.size() > 256) {
      r.error = "a parameter is too long";
      return r;
    }
    if (name.empty() || value.empty())
      continue; // RFC 6749 §3.1: empty values are treated as omitted
    if (!r.params.emplace(std::move(name), std::move(value)).second) {
      r.error = "a parameter is repeated";
      return r;
    }
  }
  r.ok = true;
  return r;
}

std::string url_encode(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                      c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::string
append_query(const std::string& uri,
             const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out = uri;
  // a registered redirect URI may carry a query of its own (§3.1.2)
  char sep = uri.find('?') == std::string::npos ? '?' : '&';
  for (auto& [k, v] : params) {
    out.push_back(sep);
    out += url_encode(k);
    out.push_back('=');
    out += url_encode(v);
    sep = '&';
  }
  return out;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

} // namespace themis::auth::oauth2
