#include "protocols/grpc/grpc_status.hpp"

namespace themis::grpc {

std::string_view code_name(code c) {
  static constexpr std::string_view names[] = {"OK",
                                               "CANCELLED",
                                               "UNKNOWN",
                                               "INVALID_ARGUMENT",
                                               "DEADLINE_EXCEEDED",
                                               "NOT_FOUND",
                                               "ALREADY_EXISTS",
                                               "PERMISSION_DENIED",
                                               "RESOURCE_EXHAUSTED",
                                               "FAILED_PRECONDITION",
                                               "ABORTED",
                                               "OUT_OF_RANGE",
                                               "UNIMPLEMENTED",
                                               "INTERNAL",
                                               "UNAVAILABLE",
                                               "DATA_LOSS",
                                               "UNAUTHENTICATED"};
  auto i = static_cast<int>(c);
  return i >= 0 && i <= 16 ? names[i] : "UNKNOWN";
}

code from_http(int status) {
  if (status >= 200 && status < 300)
    return code::ok;
  switch (status) {
    case 304:
      return code::ok;
    case 400:
    case 413:
    case 414:
    case 422:
      return code::invalid_argument;
    case 401:
      return code::unauthenticated;
    case 403:
      return code::permission_denied;
    case 404:
    case 410:
      return code::not_found;
    case 405:
    case 501:
      return code::unimplemented;
    case 408:
    case 504:
      return code::deadline_exceeded;
    case 409:
      return code::already_exists;
    case 412:
    case 428:
      return code::failed_precondition;
    case 429:
    case 507:
      return code::resource_exhausted;
    case 499:
      return code::cancelled;
    case 502:
    case 503:
      return code::unavailable;
    default:
      return status >= 500 ? code::internal : code::unknown;
  }
}

std::string percent_encode(std::string_view msg, size_t max) {
  static constexpr char hex[] = "0123456789ABCDEF";
  if (msg.size() > max)
    msg = msg.substr(0, max);
  std::string out;
  out.reserve(msg.size());
  for (char ch : msg) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view msg) {
  std::string out;
  out.reserve(msg.size());
  for (size_t i = 0; i < msg.size(); ++i) {
    if (msg[i] == '%' && i + 2 < msg.size()) {
      int h = hex_value(msg[i + 1]), l = hex_value(msg[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += msg[i];
  }
  return out;
}

std::optional<uint64_t> parse_timeout_ms(std::string_view v) {
  if (v.size() < 2 || v.size() > 9)
    return std::nullopt;
  uint64_t n = 0;
  for (size_t i = 0; i + 1 < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9')
      return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(v[i] - '0');
  }
  uint64_t ms = 0;
  switch (v.back()) {
    case 'H':
      ms = n * 3600000;
      break;
    case 'M':
      ms = n * 60000;
      break;
    case 'S':
      ms = n * 1000;
      break;
    case 'm':
      ms = n;
      break;
    case 'u':
      ms = (n + 999) / 1000;
      break;
    case 'n':
      ms = (n + 999999) / 1000000;
      break;
    default:
      return std::nullopt;
  }
  constexpr uint64_t cap = uint64_t{1} << 31;
  return ms > cap ? cap : ms;
}

} // namespace themis::grpc
