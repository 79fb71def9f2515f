#include "protocols/http1/response_writer.hpp"

#include <charconv>
#include <ctime>

#include "protocols/declared_length.hpp"
#include "protocols/http1/request_parser.hpp"

namespace themis::http1 {

namespace {

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, p);
}

bool is_framing_header(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "connection") ||
         iequals(name, "transfer-encoding") || iequals(name, "date") ||
         iequals(name, "server") || iequals(name, "keep-alive");
}

} // namespace

void write_response(const api_response& resp, const response_options& opts,
                    std::string& out) {
  out.reserve(out.size() + 256 + resp.body.size());
  out.append(opts.version_minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out, static_cast<uint64_t>(resp.status));
  out.push_back(' ');
  out.append(reason_phrase(resp.status));
  out.append("\r\nDate: ");
  out.append(opts.date);
  out.append("\r\nServer: ");
  out.append(opts.server);
  out.append("\r\n");
  for (auto& [name, value] : resp.headers) {
    if (is_framing_header(name) || (!name.empty() && name[0] == ':'))
      continue; // (':content-length': see declared_length.hpp)
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  }
  bool no_body = status_forbids_body(resp.status);
  if (resp.status == 101) {
    out.append("Connection: Upgrade\r\n\r\n"); // Upgrade: from the handler
    return;
  }
  auto declared = declared_length(resp.headers);
  if (resp.stream) {
    // HTTP/1.1: chunked, or Content-Length when the length is known (a
    // relayed upstream's); HTTP/1.0: the body ends with the connection.
    if (declared && !no_body) {
      out.append("Content-Length: ");
      append_number(out, *declared);
      out.append("\r\n");
    } else if (opts.version_minor >= 1)
      out.append("Transfer-Encoding: chunked\r\n");
    if (!opts.keep_alive || opts.version_minor == 0)
      out.append("Connection: close\r\n");
    out.append("\r\n");
    return;
  }
  if (!no_body) {
    out.append("Content-Length: ");
    // a HEAD answer may declare the length its GET would have
    append_number(out,
                  opts.head_request && declared ? *declared : resp.body.size());
    out.append("\r\n");
  }
  if (!opts.keep_alive)
    out.append("Connection: close\r\n");
  else if (opts.version_minor == 0)
    out.append("Connection: keep-alive\r\n");
  out.append("\r\n");
  if (!no_body && !opts.head_request)
    out.append(resp.body);
}

void write_chunk(std::string_view data, int version_minor, std::string& out) {
  if (data.empty())
    return; // an empty chunk would end the body
  if (version_minor == 0) {
    out.append(data);
    return;
  }
  char buf[20];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), data.size(), 16);
  out.append(buf, p);
  out.append("\r\n");
  out.append(data);
  out.append("\r\n");
}

std::string http_date_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  auto n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

} // namespace themis::http1
