#include "protocols/http1/request_parser.hpp"

#include <algorithm>
#include <charconv>

namespace themis::http1 {

namespace {

/// RFC 9110 tchar.
bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9')
    return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
    return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return is_tchar(static_cast<unsigned char>(c));
  });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Calls f(token) for each comma-separated, trimmed, non-empty element.
template <class F>
void for_each_element(std::string_view list, F f) {
  while (!list.empty()) {
    auto pos = list.find(',');
    auto elem = trim_ows(list.substr(0, pos));
    if (!elem.empty())
      f(elem);
    if (pos == std::string_view::npos)
      break;
    list.remove_prefix(pos + 1);
  }
}

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty() || s.size() > 19)
    return false;
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

} // namespace

request_parser::request_parser(parser_limits limits) : limits_(limits) {}

parse_result request_parser::fail(size_t consumed, int status,
                                  std::string reason) {
  state_ = state::failed;
  error_status_ = status;
  error_reason_ = std::move(reason);
  return {consumed, parse_status::error};
}

http_request request_parser::release() {
  http_request out = std::move(req_);
  req_ = http_request{};
  head_.clear();
  state_ = state::head;
  remaining_ = 0;
  trailer_bytes_ = 0;
  return out;
}

parse_result request_parser::feed(std::string_view data) {
  size_t pos = 0;
  auto n = data.size();
  while (pos < n || state_ == state::done) {
    switch (state_) {
      case state::failed:
        return {pos, parse_status::error};
      case state::done:
        return {pos, parse_status::complete};
      case state::head: {
        // RFC 9112 §2.2: ignore empty lines before the request-line.
        if (head_.empty())
          while (pos < n && (data[pos] == '\r' || data[pos] == '\n'))
            ++pos;
        if (pos == n)
          return {pos, parse_status::need_more};
        auto old = head_.size();
        auto take = std::min(n - pos, limits_.max_header_bytes + 4 - old);
        head_.append(data.data() + pos, take);
        // Fail fast on bytes that cannot start a request (a TLS
        // ClientHello, binary noise) instead of waiting for a CRLF.
        auto method_end = std::min(head_.find(' '), head_.size());
        for (size_t i = old; i < method_end && i < 32; ++i) {
          auto c = static_cast<unsigned char>(head_[i]);
          if (!is_tchar(c))
            return fail(pos + (i - old) + 1, 400, "malformed request line");
        }
        auto from = old >= 3 ? old - 3 : 0;
        auto end = head_.find("\r\n\r\n", from);
        if (end == std::string::npos) {
          pos += take;
          if (head_.size() > limits_.max_header_bytes) {
            if (head_.find("\r\n") == std::string::npos)
              return fail(pos, 414, "request line too long");
            return fail(pos, 431, "header block too large");
          }
          continue;
        }
        if (end + 4 > limits_.max_header_bytes)
          return fail(pos, 431, "header block too large");
        pos += take - (head_.size() - (end + 4));
        head_.resize(end + 4);
        if (!parse_head())
          return {pos, parse_status::error};
        head_.clear();
        break;
      }
      case state::body: {
        auto take =
          static_cast<size_t>(std::min<uint64_t>(remaining_, n - pos));
        req_.body.append(data.data() + pos, take);
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0)
          state_ = state::done;
        break;
      }
      case state::chunk_size: {
        auto nl = data.find('\n', pos);
        auto stop = nl == std::string_view::npos ? n : nl + 1;
        head_.append(data.data() + pos, stop - pos);
        pos = stop;
        if (head_.size() > limits_.max_chunk_line)
          return fail(pos, 400, "chunk size line too long");
        if (nl == std::string_view::npos)
          continue;
        if (head_.size() < 2 || head_[head_.size() - 2] != '\r')
          return fail(pos, 400, "bare LF in chunk size line");
        std::string_view line(head_.data(), head_.size() - 2);
        auto semi = line.find(';');
        auto hex = trim_ows(line.substr(0, semi));
        if (hex.empty() || hex.size() > 15)
          return fail(pos, 400, "invalid chunk size");
        uint64_t size = 0;
        auto [p, ec] =
          std::from_chars(hex.data(), hex.data() + hex.size(), size, 16);
        if (ec != std::errc{} || p != hex.data() + hex.size())
          return fail(pos, 400, "invalid chunk size");
        head_.clear();
        if (size == 0) {
          state_ = state::trailer;
        } else {
          if (size > limits_.max_body_bytes - req_.body.size())
            return fail(pos, 413, "request body too large");
          remaining_ = size;
          state_ = state::chunk_data;
        }
        break;
      }
      case state::chunk_data: {
        auto take =
          static_cast<size_t>(std::min<uint64_t>(remaining_, n - pos));
        req_.body.append(data.data() + pos, take);
        pos += take;
        remaining_ -= take;
        if (remaining_ == 0) {
          state_ = state::chunk_crlf;
          head_.clear();
        }
        break;
      }
      case state::chunk_crlf: {
        head_.push_back(data[pos++]);
        if (head_.size() == 2) {
          if (head_ != "\r\n")
            return fail(pos, 400, "chunk data not followed by CRLF");
          head_.clear();
          state_ = state::chunk_size;
        }
        break;
      }
      case state::trailer: {
        // Trailer fields are read and dropped; an empty line ends them.
        auto nl = data.find('\n', pos);
        auto stop = nl == std::string_view::npos ? n : nl + 1;
        head_.append(data.data() + pos, stop - pos);
        trailer_bytes_ += stop - pos;
        pos = stop;
        if (trailer_bytes_ > limits_.max_header_bytes)
          return fail(pos, 431, "trailer section too large");
        if (nl == std::string_view::npos)
          continue;
        if (head_.size() < 2 || head_[head_.size() - 2] != '\r')
          return fail(pos, 400, "bare LF in trailer");
        bool last = head_.size() == 2;
        head_.clear();
        if (last)
          state_ = state::done;
        break;
      }
    }
  }
  return {pos, parse_status::need_more};
}

bool request_parser::parse_head() {
  std::string_view block(head_.data(), head_.size() - 2); // keep last CRLF
  auto eol = block.find("\r\n");
  if (!parse_request_line(block.substr(0, eol)))
    return false;
  block.remove_prefix(eol + 2);
  while (!block.empty()) {
    eol = block.find("\r\n");
    auto line = block.substr(0, eol);
    if (!parse_header_line(line))
      return false;
    block.remove_prefix(eol + 2);
  }
  return finish_headers();
}

bool request_parser::parse_request_line(std::string_view line) {
  if (line.find('\n') != std::string_view::npos ||
      line.find('\r') != std::string_view::npos) {
    fail(0, 400, "bare CR or LF in request line");
    return false;
  }
  auto sp1 = line.find(' ');
  auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    fail(0, 400, "malformed request line");
    return false;
  }
  auto method = line.substr(0, sp1);
  auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  auto version = line.substr(sp2 + 1);
  if (!is_token(method)) {
    fail(0, 400, "invalid method");
    return false;
  }
  if (target.empty() || std::any_of(target.begin(), target.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
      })) {
    fail(0, 400, "invalid request target");
    return false;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" ||
      version[6] != '.' || version[5] < '0' || version[5] > '9' ||
      version[7] < '0' || version[7] > '9') {
    fail(0, 400, "invalid HTTP version");
    return false;
  }
  if (version[5] != '1') {
    fail(0, 505, "HTTP version not supported");
    return false;
  }
  req_.method = std::string(method);
  req_.target = std::string(target);
  req_.version_minor = version[7] - '0';
  if (req_.version_minor > 1)
    req_.version_minor = 1; // HTTP/1.x: answer as 1.1
  req_.keep_alive = req_.version_minor >= 1;
  return true;
}

bool request_parser::parse_header_line(std::string_view line) {
  if (line.empty() || line.front() == ' ' || line.front() == '\t') {
    fail(0, 400, "obsolete line folding");
    return false;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    fail(0, 400, "header line without colon");
    return false;
  }
  auto name = line.substr(0, colon);
  if (!is_token(name)) {
    fail(0, 400, "invalid header name");
    return false;
  }
  auto value = trim_ows(line.substr(colon + 1));
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) {
      fail(0, 400, "invalid character in header value");
      return false;
    }
  }
  if (req_.headers.size() >= limits_.max_headers) {
    fail(0, 431, "too many header fields");
    return false;
  }
  req_.headers.emplace_back(std::string(name), std::string(value));
  return true;
}

bool request_parser::finish_headers() {
  bool have_cl = false;
  bool have_te = false;
  int hosts = 0;
  for (auto& [name, value] : req_.headers) {
    if (iequals(name, "content-length")) {
      bool bad = false;
      for_each_element(value, [&](std::string_view v) {
        uint64_t len = 0;
        if (!parse_u64(v, len) || (have_cl && len != req_.content_length))
          bad = true;
        req_.content_length = len;
        have_cl = true;
      });
      if (bad || !have_cl) {
        fail(0, 400, "invalid Content-Length");
        return false;
      }
    } else if (iequals(name, "transfer-encoding")) {
      have_te = true;
      bool ok = true;
      for_each_element(value, [&](std::string_view v) {
        if (req_.chunked)
          ok = false; // chunked must be the final coding, applied once
        else if (iequals(v, "chunked"))
          req_.chunked = true;
        else {
          fail(0, 501, "unsupported transfer coding");
          ok = false;
        }
      });
      if (!ok) {
        if (state_ != state::failed)
          fail(0, 400, "chunked is not the final transfer coding");
        return false;
      }
    } else if (iequals(name, "host")) {
      ++hosts;
    } else if (iequals(name, "connection")) {
      for_each_element(value, [&](std::string_view v) {
        if (iequals(v, "close"))
          req_.keep_alive = false;
        else if (iequals(v, "keep-alive") && req_.version_minor == 0)
          req_.keep_alive = true;
      });
    } else if (iequals(name, "expect")) {
      if (!iequals(value, "100-continue")) {
        fail(0, 417, "unsupported expectation");
        return false;
      }
      req_.expect_continue = req_.version_minor >= 1;
    }
  }
  if (have_te && !req_.chunked) {
    fail(0, 400, "chunked is not the final transfer coding");
    return false;
  }
  if (have_te && have_cl) {
    // RFC 9112 §6.1: a message with both is a smuggling vector.
    fail(0, 400, "both Transfer-Encoding and Content-Length");
    return false;
  }
  if (have_te && req_.version_minor == 0) {
    fail(0, 400, "Transfer-Encoding in an HTTP/1.0 request");
    return false;
  }
  if (req_.version_minor >= 1 && hosts != 1) {
    fail(0, 400, hosts == 0 ? "missing Host header" : "duplicate Host header");
    return false;
  }
  if (req_.chunked) {
    state_ = state::chunk_size;
  } else if (req_.content_length > 0) {
    if (req_.content_length > limits_.max_body_bytes) {
      fail(0, 413, "request body too large");
      return false;
    }
    req_.body.reserve(static_cast<size_t>(req_.content_length));
    remaining_ = req_.content_length;
    state_ = state::body;
  } else {
    state_ = state::done;
  }
  return true;
}

} // namespace themis::http1
