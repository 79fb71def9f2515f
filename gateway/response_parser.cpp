#include "gateway/response_parser.hpp"

#include <charconv>

namespace themis::gateway {

namespace {

bool is_token_char(unsigned char c) {
  return c > 32 && c < 127 && c != '(' && c != ')' && c != ',' && c != '/' &&
         c != ':' && c != ';' && c != '<' && c != '=' && c != '>' && c != '?' &&
         c != '@' && c != '[' && c != '\\' && c != ']' && c != '{' &&
         c != '}' && c != '"';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token))
      return true;
    if (comma == std::string_view::npos)
      break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

} // namespace

response_parser::response_parser(bool head_request, response_limits lim) :
  head_(head_request), lim_(lim) {}

response_parser::result response_parser::fail(std::string why) {
  state_ = state::failed;
  error_ = std::move(why);
  resp_.keep_alive = false;
  return result::error;
}

response_parser::result response_parser::feed(std::string_view bytes) {
  if (state_ == state::failed)
    return result::error;
  if (state_ == state::done) {
    if (!bytes.empty())
      resp_.keep_alive = false;
    return result::done;
  }
  buf_.append(bytes);
  return step();
}

bool response_parser::move_body() {
  auto avail = buf_.size() - pos_;
  auto take = static_cast<size_t>(std::min<uint64_t>(avail, remaining_));
  resp_.body.append(buf_, pos_, take);
  body_seen_ += take;
  pos_ += take;
  remaining_ -= take;
  if (remaining_ == 0)
    return true;
  buf_.erase(0, pos_); // all of it was taken: keep the buffer small
  pos_ = 0;
  return false;
}

response_parser::result response_parser::step() {
  for (;;) {
    switch (state_) {
      case state::head: {
        auto r = parse_head();
        if (r != result::done)
          return r;
        break; // state_ moved on
      }
      case state::length:
        if (!move_body())
          return result::need_more;
        state_ = state::done;
        break;
      case state::chunk_size: {
        auto eol = buf_.find("\r\n", pos_);
        if (eol == std::string::npos) {
          if (buf_.size() - pos_ > 1024)
            return fail("chunk size line too long");
          return result::need_more;
        }
        std::string_view line(buf_.data() + pos_, eol - pos_);
        auto semi = line.find(';'); // chunk extensions are ignored
        auto hex = trim(line.substr(0, semi));
        uint64_t n = 0;
        auto [p, ec] =
          std::from_chars(hex.data(), hex.data() + hex.size(), n, 16);
        if (hex.empty() || ec != std::errc{} || p != hex.data() + hex.size())
          return fail("bad chunk size");
        if (n > lim_.max_body_bytes || body_seen_ + n > lim_.max_body_bytes)
          return fail("response body over the limit");
        pos_ = eol + 2;
        remaining_ = n;
        state_ = n == 0 ? state::trailers : state::chunk_data;
        break;
      }
      case state::chunk_data:
        if (!move_body())
          return result::need_more;
        state_ = state::chunk_crlf;
        break;
      case state::chunk_crlf:
        if (buf_.size() - pos_ < 2)
          return result::need_more;
        if (buf_.compare(pos_, 2, "\r\n") != 0)
          return fail("chunk not followed by CRLF");
        pos_ += 2;
        state_ = state::chunk_size;
        break;
      case state::trailers: {
        // trailer fields are dropped; an empty line ends the message
        auto eol = buf_.find("\r\n", pos_);
        if (eol == std::string::npos) {
          if (buf_.size() - pos_ > lim_.max_header_bytes)
            return fail("trailers too long");
          return result::need_more;
        }
        bool empty = eol == pos_;
        pos_ = eol + 2;
        if (empty)
          state_ = state::done;
        break;
      }
      case state::until_close: {
        resp_.body.append(buf_, pos_, std::string::npos);
        body_seen_ += buf_.size() - pos_;
        buf_.clear();
        pos_ = 0;
        if (body_seen_ > lim_.max_body_bytes)
          return fail("response body over the limit");
        return result::need_more;
      }
      case state::done:
        if (pos_ < buf_.size()) {
          resp_.keep_alive = false; // unasked-for bytes: do not reuse
          rest_.append(buf_, pos_, std::string::npos);
        }
        buf_.clear();
        pos_ = 0;
        return result::done;
      case state::failed:
        return result::error;
    }
  }
}

response_parser::result response_parser::parse_head() {
  auto end = buf_.find("\r\n\r\n", pos_);
  if (end == std::string::npos) {
    if (buf_.size() - pos_ > lim_.max_header_bytes)
      return fail("response header too large");
    return result::need_more;
  }
  if (end - pos_ > lim_.max_header_bytes)
    return fail("response header too large");
  std::string_view head(buf_.data() + pos_, end - pos_);
  auto eol = head.find("\r\n");
  auto status_line = head.substr(0, eol);
  // HTTP/1.x SP 3DIGIT SP reason
  if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0 ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ')
    return fail("bad status line");
  int status = 0;
  for (int k = 9; k < 12; ++k) {
    char c = status_line[k];
    if (c < '0' || c > '9')
      return fail("bad status code");
    status = status * 10 + (c - '0');
  }
  if (status < 100 || (status_line.size() > 12 && status_line[12] != ' '))
    return fail("bad status code");
  bool http10 = status_line[7] == '0';
  header_list headers;
  std::string_view rest =
    eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    auto e = rest.find("\r\n");
    auto line = rest.substr(0, e);
    rest =
      e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
    auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos)
      return fail("bad header line");
    for (size_t k = 0; k < colon; ++k)
      if (!is_token_char(static_cast<unsigned char>(line[k])))
        return fail("bad header name");
    auto value = trim(line.substr(colon + 1));
    for (unsigned char c : value)
      if ((c < 32 && c != '\t') || c == 127)
        return fail("bad header value");
    if (headers.size() >= lim_.max_headers)
      return fail("too many response headers");
    headers.emplace_back(std::string(line.substr(0, colon)),
                         std::string(value));
  }
  pos_ = end + 4;
  if (status >= 100 && status < 200 && status != 101) {
    // interim answer (100 Continue, 103 Early Hints): the real one follows
    buf_.erase(0, pos_);
    pos_ = 0;
    return result::done; // (still in state::head: step() parses again)
  }
  resp_.status = status;
  resp_.headers = std::move(headers);
  auto* conn = find_header(resp_.headers, "Connection");
  resp_.keep_alive = http10 ? (conn && has_token(*conn, "keep-alive"))
                            : !(conn && has_token(*conn, "close"));
  auto* te = find_header(resp_.headers, "Transfer-Encoding");
  auto* cl = find_header(resp_.headers, "Content-Length");
  if (head_ || status == 204 || status == 304 || status == 101) {
    state_ = state::done;
  } else if (te) {
    if (cl) // RFC 9112 §6.3: both is a smuggling signal; refuse
      return fail("both Transfer-Encoding and Content-Length");
    if (!iequals(trim(*te), "chunked"))
      return fail("unsupported Transfer-Encoding");
    state_ = state::chunk_size;
  } else if (cl) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (cl->empty() || ec != std::errc{} || p != cl->data() + cl->size())
      return fail("bad Content-Length");
    for (auto& [k, v] : resp_.headers) // repeated, they must agree
      if (iequals(k, "Content-Length") && v != *cl)
        return fail("conflicting Content-Length");
    if (n > lim_.max_body_bytes)
      return fail("response body over the limit");
    remaining_ = n;
    content_length_ = static_cast<int64_t>(n);
    state_ = n == 0 ? state::done : state::length;
  } else {
    state_ = state::until_close;
    resp_.keep_alive = false;
  }
  return result::done;
}

response_parser::result response_parser::on_eof() {
  if (state_ == state::done)
    return result::done;
  if (state_ == state::until_close) {
    state_ = state::done;
    resp_.keep_alive = false;
    return result::done;
  }
  if (state_ == state::failed)
    return result::error;
  return fail(state_ == state::head && buf_.empty()
                ? "upstream closed the connection without an answer"
                : "upstream closed the connection mid-response");
}

} // namespace themis::gateway
