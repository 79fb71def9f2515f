#include "protocols/compression/http_coding.hpp"

namespace themis::compression {

namespace {

/// Whether this response's encoding can depend on Accept-Encoding.
bool negotiable(const api_response& resp, const http_options& o) {
  if (!o.enabled || resp.status < 200 || resp.status == 204 ||
      resp.status == 206 || resp.status == 304)
    return false;
  if (resp.header("Content-Encoding"))
    return false; // the handler encoded it already
  if (auto cc = resp.header("Cache-Control");
      cc && cc->find("no-transform") != std::string::npos)
    return false;
  auto ct = resp.header("Content-Type");
  return ct && compressible(*ct, o.extra_types);
}

void add_vary(api_response& resp) {
  if (auto v = resp.header("Vary")) {
    if (v->find("Accept-Encoding") == std::string::npos && *v != "*")
      resp.set_header("Vary", *v + ", Accept-Encoding");
  } else {
    resp.headers.emplace_back("Vary", "Accept-Encoding");
  }
}

void weaken_etag(api_response& resp) {
  // the encoded bytes differ from the identity ones (RFC 9110 §8.8.3)
  if (auto e = resp.header("ETag"); e && e->rfind("W/", 0) != 0)
    resp.set_header("ETag", "W/" + *e);
}

coding choose(const std::string* ae, const http_options& o) {
  return ae ? negotiate(*ae, o.offered) : coding::identity;
}

} // namespace

int decode_request(api_request& req, const http_options& o, std::string& why) {
  auto ce = req.header("Content-Encoding");
  if (!ce)
    return 0;
  std::vector<coding> applied;
  std::string_view list = *ce;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto token = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{}
                                           : list.substr(comma + 1);
    coding c;
    if (!parse_coding(token, c)) {
      why = "unsupported Content-Encoding '" + std::string(token) +
            "' (gzip, br, zstd are)";
      return 415;
    }
    if (c != coding::identity)
      applied.push_back(c);
  }
  for (auto it = applied.rbegin(); it != applied.rend(); ++it) {
    std::string out;
    switch (decompress(*it, req.body, o.max_request_bytes, out)) {
      case inflate_status::ok:
        req.body = std::move(out);
        break;
      case inflate_status::too_large:
        why = "decoded request body exceeds " +
              std::to_string(o.max_request_bytes) + " bytes";
        return 413;
      case inflate_status::corrupt:
        why = "request body is not valid " + std::string(name(*it));
        return 400;
    }
  }
  auto& hs = req.headers;
  for (auto i = hs.begin(); i != hs.end();)
    i = iequals(i->first, "Content-Encoding") ? hs.erase(i) : std::next(i);
  return 0;
}

void encode_response(const std::string* accept_encoding, api_response& resp,
                     const http_options& o) {
  if (resp.stream || !negotiable(resp, o))
    return;
  add_vary(resp);
  if (resp.body.size() < o.min_bytes)
    return;
  auto c = choose(accept_encoding, o);
  if (c == coding::identity)
    return;
  std::string out;
  if (!compress(c, resp.body, o.lv, out) || out.size() >= resp.body.size())
    return; // incompressible: identity is smaller
  resp.body = std::move(out);
  resp.headers.emplace_back("Content-Encoding", std::string(name(c)));
  weaken_etag(resp);
}

std::unique_ptr<stream_compressor>
encode_stream(const std::string* accept_encoding, api_response& resp,
              const http_options& o) {
  if (!resp.stream || !negotiable(resp, o))
    return nullptr;
  add_vary(resp);
  auto c = choose(accept_encoding, o);
  if (c == coding::identity)
    return nullptr;
  auto s = stream_compressor::create(c, o.lv);
  if (s)
    resp.headers.emplace_back("Content-Encoding", std::string(name(c)));
  return s;
}

} // namespace themis::compression
