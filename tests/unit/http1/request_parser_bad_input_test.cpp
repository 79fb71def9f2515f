/// Malformed and hostile inputs: each must end in a protocol error with the
/// right status, never a crash or a hang.

#include "protocols/http1/request_parser.hpp"

#include <gtest/gtest.h>

using namespace themis::http1;

namespace {

struct bad_case {
  const char* name;
  std::string bytes;
  int status;
};

int parse_error_status(const std::string& bytes, parser_limits lim = {}) {
  request_parser p(lim);
  size_t off = 0;
  while (off < bytes.size()) {
    auto r = p.feed(std::string_view(bytes).substr(off));
    off += r.consumed;
    if (r.status == parse_status::error)
      return p.error_status();
    if (r.status == parse_status::complete)
      return 0;
    if (r.consumed == 0)
      return -1;
  }
  return -1; // need more
}

} // namespace

TEST(request_parser_bad_input, table) {
  std::vector<bad_case> cases = {
    {"garbage", "\x16\x03\x01\x02\x01 nonsense\r\n\r\n", 400},
    {"tls client hello, no CRLF", "\x16\x03\x01\x02\x01", 400},
    {"no version", "GET /\r\nHost: a\r\n\r\n", 400},
    {"two spaces", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400},
    {"http2 version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
    {"http09 version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505},
    {"bad method char", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"control in target", "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
    {"missing host", "GET / HTTP/1.1\r\n\r\n", 400},
    {"duplicate host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
    {"no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400},
    {"obs fold", "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 400},
    {"nul in value",
     std::string("GET / HTTP/1.1\r\nHost: a") + '\0' + "b\r\n\r\n", 400},
    {"bare LF in header", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400},
    {"bad content-length",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400},
    {"negative content-length",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
    {"conflicting content-length",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: "
     "2\r\n\r\n",
     400},
    {"huge content-length",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
     "99999999999999999999\r\n\r\n",
     400},
    {"te and cl (smuggling)",
     "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     400},
    {"unknown transfer coding",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
    {"chunked not last",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
     "chunked\r\n\r\n",
     400},
    {"bad chunk size",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
     400},
    {"chunk size overflow",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "ffffffffffffffffff\r\n",
     400},
    {"chunk without CRLF",
     "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
     "3\r\nabcXY",
     400},
    {"unsupported expectation",
     "GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", 417},
    {"te in http/1.0",
     "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
  };
  for (auto& c : cases)
    EXPECT_EQ(parse_error_status(c.bytes), c.status) << c.name;
}

TEST(request_parser_bad_input, header_block_over_limit_is_431) {
  parser_limits lim;
  lim.max_header_bytes = 100;
  std::string big =
    "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse_error_status(big, lim), 431);
  // also when it never ends (slow drip of header bytes)
  std::string endless = "GET / HTTP/1.1\r\nHost: a\r\n" + std::string(500, 'x');
  EXPECT_EQ(parse_error_status(endless, lim), 431);
}

TEST(request_parser_bad_input, long_request_line_is_414) {
  parser_limits lim;
  lim.max_header_bytes = 100;
  EXPECT_EQ(parse_error_status("GET /" + std::string(300, 'a'), lim), 414);
}

TEST(request_parser_bad_input, too_many_headers_is_431) {
  parser_limits lim;
  lim.max_headers = 3;
  std::string m = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  EXPECT_EQ(parse_error_status(m, lim), 431);
}

TEST(request_parser_bad_input, body_over_limit_is_413) {
  parser_limits lim;
  lim.max_body_bytes = 10;
  EXPECT_EQ(parse_error_status("POST / HTTP/1.1\r\nHost: a\r\n"
                               "Content-Length: 11\r\n\r\n",
                               lim),
            413);
  EXPECT_EQ(parse_error_status("POST / HTTP/1.1\r\nHost: a\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n"
                               "8\r\n12345678\r\n8\r\n",
                               lim),
            413);
}

TEST(request_parser_bad_input, oversized_trailers_are_431) {
  parser_limits lim;
  lim.max_header_bytes = 100;
  std::string m = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
                  "\r\n\r\n0\r\n" +
                  std::string(200, 'x');
  EXPECT_EQ(parse_error_status(m, lim), 431);
}

TEST(request_parser_bad_input, failed_parser_stays_failed) {
  request_parser p;
  EXPECT_EQ(p.feed("BAD\r\n\r\n").status, parse_status::error);
  EXPECT_EQ(p.feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n").status,
            parse_status::error);
}

TEST(request_parser_bad_input, random_bytes_never_crash) {
  // A tiny deterministic fuzz loop: random bytes in random pieces.
  uint64_t x = 88172645463325252ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const std::string alphabet = "GET POST/ HTTP/1.1\r\n:Host a0123456789"
                               "abcdefChunkedTransfer-Encoding;Content-Length";
  for (int round = 0; round < 2000; ++round) {
    parser_limits lim;
    lim.max_header_bytes = 64 + next() % 256;
    lim.max_body_bytes = next() % 64;
    request_parser p(lim);
    std::string input;
    auto len = next() % 300;
    for (size_t i = 0; i < len; ++i)
      input.push_back(next() % 4 == 0 ? static_cast<char>(next() & 0xff)
                                      : alphabet[next() % alphabet.size()]);
    size_t off = 0;
    while (off < input.size()) {
      auto piece = 1 + next() % 40;
      auto r = p.feed(std::string_view(input).substr(off, piece));
      ASSERT_LE(r.consumed, piece);
      off += r.consumed;
      if (r.status == parse_status::error)
        break;
      if (r.status == parse_status::complete)
        p.release();
      else if (r.consumed == 0)
        break;
    }
  }
}
