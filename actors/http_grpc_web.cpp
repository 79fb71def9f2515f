/// gRPC-web and Connect calls (issue 20) on HTTP/1.1 and HTTP/2: the
/// request body arrives whole; its messages go through the same call
/// machinery as gRPC (actors/http_grpc.cpp: deadlines, backpressured
/// server streams, cancellation) and the answers are written in the
/// call's format: gRPC-web frames with the trailers as a last 0x80 frame
/// (base64 for grpc-web-text), Connect's bare unary message or JSON error,
/// or Connect envelopes ending in the end-stream message. See docs/grpc.md.

#include "actors/http_connection_state.hpp"
#include "handlers/grpc_connect_json.hpp"
#include "handlers/request_deadline.hpp"
#include "protocols/grpc/connect_protocol.hpp"
#include "protocols/grpc/grpc_frame.hpp"
#include "protocols/grpc/grpc_status.hpp"

namespace themis {
namespace detail {

namespace {

using grpc::web_wire;

bool is_connect(const grpc_call& c) {
  return c.web->wire == web_wire::connect_unary ||
         c.web->wire == web_wire::connect_stream;
}

header_list status_fields(const grpc_status& s) {
  header_list h;
  h.emplace_back("grpc-status", std::to_string(s.code));
  if (!s.message.empty())
    h.emplace_back("grpc-message", grpc::percent_encode(s.message));
  for (auto& [k, v] : s.trailers)
    h.emplace_back(k, v);
  return h;
}

grpc_status status(grpc::code c, std::string msg) {
  return grpc_status{static_cast<int>(c), std::move(msg), {}};
}

/// Answers that are not the call's format: the preflight, 415s.
api_response plain(int code, header_list cors, std::string_view why) {
  auto r = error_response(code, std::string(why));
  for (auto& h : cors)
    r.headers.push_back(std::move(h));
  return r;
}

/// The CORS fields for a browser's call (nothing for a non-browser or an
/// origin not in grpc.web_cors_origins: the browser then hides the
/// answer, the same-origin case needs none).
header_list cors_fields(const server_config& cfg, const api_request& req) {
  header_list h;
  auto origin = req.header("origin");
  if (!origin || !grpc::origin_allowed(cfg.grpc.web_cors_origins, *origin))
    return h;
  h.emplace_back("access-control-allow-origin", *origin);
  h.emplace_back("vary", "Origin");
  h.emplace_back("access-control-expose-headers",
                 std::string(grpc::cors_expose_headers()));
  return h;
}

/// A Connect unary error: the spec's HTTP status and JSON body; the
/// status's extra metadata (retry-after, www-authenticate) as headers.
api_response connect_error(const header_list& cors, const grpc_status& st,
                           int http = 0) {
  api_response r;
  r.status = http ? http : grpc::connect_http_status(st.code);
  r.headers.emplace_back("content-type", "application/json");
  for (auto& [k, v] : st.trailers)
    r.headers.emplace_back(k, v);
  for (auto& h : cors)
    r.headers.push_back(h);
  r.body = grpc::connect_error_json(st.code, st.message);
  return r;
}

std::string end_stream(const grpc_status& st) {
  std::string out;
  grpc::append_envelope(
    out, grpc::connect_end_stream_flag,
    grpc::connect_end_stream_json(st.code, st.message, st.trailers));
  return out;
}

std::string web_trailers(const grpc_call& c, const grpc_status& st) {
  auto t = grpc::encode_trailer_frame(status_fields(st));
  return c.web->wire == web_wire::web_text ? grpc::base64_encode(t) : t;
}

} // namespace

bool is_grpc_web_call(const api_request& req) {
  if (req.method == "OPTIONS")
    return req.header("origin") && find_grpc_method(req.path);
  if (req.method == "GET") // Connect GET (actors/http_connect_unary.cpp)
    return find_grpc_method(req.path) != nullptr;
  auto ct = req.header("content-type");
  if (!ct)
    return false;
  if (grpc::is_grpc_web_type(*ct))
    return true;
  auto f = grpc::parse_web_content_type(*ct);
  if (!f)
    return false;
  // Connect's streaming types are ours on any path; its unary ones only
  // on a gRPC method's path (application/json is REST's elsewhere)
  return f->wire == web_wire::connect_stream || find_grpc_method(req.path);
}

void http_connection_state::grpc_web_start(uint64_t id, api_request req) {
  auto cors = cors_fields(ctx->config, req);
  if (req.method == "OPTIONS") {
    // CORS preflight: allowed origins get the methods and the headers
    // they asked for (checked to be header names)
    if (cors.empty()) {
      session->respond(id, plain(403, {}, "CORS origin not allowed"));
      want_read();
      return;
    }
    api_response r;
    r.status = 204;
    r.headers = cors;
    r.headers.emplace_back("access-control-allow-methods", "POST, OPTIONS");
    auto asked = req.header("access-control-request-headers");
    auto echo = grpc::cors_request_headers(asked ? *asked : "");
    r.headers.emplace_back(
      "access-control-allow-headers",
      echo && !echo->empty()
        ? *echo
        : "content-type, x-grpc-web, x-user-agent, grpc-timeout, "
          "connect-protocol-version, connect-timeout-ms, authorization");
    r.headers.emplace_back("access-control-max-age", "7200");
    session->respond(id, std::move(r));
    want_read();
    return;
  }
  if (req.method == "GET") {
    if (auto no = connect_get_as_post(req)) {
      auto r = connect_error(cors, {no->code, no->message, {}}, no->http);
      if (no->http == 405)
        r.headers.emplace_back("allow", "POST");
      session->respond(id, std::move(r));
      want_read();
      return;
    }
  }
  auto ct = req.header("content-type");
  auto fmt = grpc::parse_web_content_type(ct ? *ct : "");
  if (!fmt || (fmt->json && fmt->wire != web_wire::connect_unary &&
               fmt->wire != web_wire::connect_stream)) {
    session->respond(id, plain(415, std::move(cors),
                               "unsupported gRPC-web content-type (use "
                               "application/grpc-web+proto or "
                               "application/grpc-web-text)"));
    want_read();
    return;
  }
  auto* m = find_grpc_method(req.path);
  bool connect = fmt->wire == web_wire::connect_unary ||
                 fmt->wire == web_wire::connect_stream;
  // a method's shape must match the Connect flavour (unary types for
  // unary methods): otherwise 415, as the Connect spec has it
  bool unary_method = m && m->unary;
  if (m && connect && unary_method != (fmt->wire == web_wire::connect_unary)) {
    session->respond(id, plain(415, std::move(cors),
                               unary_method
                                 ? "a unary method: use application/proto "
                                   "or application/json"
                                 : "a streaming method: use "
                                   "application/connect+proto or +json"));
    want_read();
    return;
  }
  auto& c = grpc_calls[id];
  c = grpc_call{};
  c.gen = ++grpc_gen;
  c.method = m;
  c.web = fmt;
  c.cors = std::move(cors);
  std::string body = std::move(req.body);
  auto header = [&](const char* name) {
    auto v = req.header(name);
    return v ? std::optional<std::string>(*v) : std::nullopt;
  };
  auto enc = header(connect ? (fmt->wire == web_wire::connect_unary
                                 ? "content-encoding"
                                 : "connect-content-encoding")
                            : "grpc-encoding");
  bool unary = fmt->wire == web_wire::connect_unary;
  // Connect unary negotiates like plain HTTP (Accept-Encoding)
  auto accept = header(unary     ? "accept-encoding"
                       : connect ? "connect-accept-encoding"
                                 : "grpc-accept-encoding");
  auto timeout = header(connect ? "connect-timeout-ms" : "grpc-timeout");
  auto version = header("connect-protocol-version");
  std::optional<grpc::message_coding> coding;
  std::optional<uint64_t> timeout_ms;
  grpc_status refused;
  if (req.method != "POST")
    refused = status(grpc::code::unimplemented, "gRPC-web calls are POSTs");
  else if (!m)
    refused = status(grpc::code::unimplemented, "unknown method " + req.path);
  else if (enc && !(coding = grpc::parse_message_coding(*enc)))
    refused = status(grpc::code::unimplemented,
                     "message encoding " + *enc + " unsupported");
  else if (timeout &&
           !(timeout_ms = connect ? grpc::parse_connect_timeout_ms(*timeout)
                                  : grpc::parse_timeout_ms(*timeout)))
    refused = status(grpc::code::invalid_argument, "malformed timeout");
  else if (connect && version && *version != "1")
    refused = status(grpc::code::invalid_argument,
                     "connect-protocol-version must be 1");
  if (refused.code != 0) {
    grpc_finish(id, std::move(refused));
    return;
  }
  c.req_coding = coding;
  // the request's coding when the client accepts it; Connect unary also
  // takes another one it lists (a GET has no request coding)
  c.resp_coding = grpc::response_coding(coding, accept ? *accept : "");
  for (auto alt : {grpc::message_coding::gzip, grpc::message_coding::zstd,
                   grpc::message_coding::deflate})
    if (unary && c.resp_coding == grpc::message_coding::identity)
      c.resp_coding = grpc::response_coding(alt, accept ? *accept : "");
  req.client_cert = conn->client_subject();
  if (timeout_ms) // the engine stops the call's work there too
    stamp_deadline(req, *timeout_ms);
  c.req = std::move(req);
  if (timeout_ms)
    self->delayed_send(self, std::chrono::milliseconds(*timeout_ms),
                       grpc_deadline_atom::value, id, c.gen);
  if (fmt->wire == web_wire::web_text) {
    std::string raw;
    if (!grpc::base64_decode_chunks(body, raw)) {
      grpc_finish(id, status(grpc::code::internal,
                             "invalid base64 in a grpc-web-text body"));
      return;
    }
    body = std::move(raw);
  }
  if (fmt->wire != web_wire::connect_unary) {
    on_request_body(id, body, true); // the framing gRPC has
    return;
  }
  grpc_connect_unary_body(id, std::move(body)); // http_connect_unary.cpp
}

namespace {

/// A response message in the call's encoding: JSON for the JSON flavours,
/// compressed when the call answers in a coding (and `compress` allows).
bool encode_message(const grpc_call& c, const std::string& msg,
                    std::string& out, bool& compressed, bool compress = true) {
  const std::string* m = &msg;
  std::string json;
  if (c.web->json) {
    if (!grpc_response_to_json(c.req.path, msg, json))
      return false;
    m = &json;
  }
  compressed = compress && c.resp_coding != grpc::message_coding::identity &&
               grpc::compress_message(c.resp_coding, *m, out);
  if (!compressed)
    out = *m;
  return true;
}

} // namespace

void http_connection_state::grpc_web_send(uint64_t id, grpc_call& c,
                                          const std::string& msg,
                                          bool compress) {
  std::string payload;
  bool compressed = false;
  if (!encode_message(c, msg, payload, compressed, compress)) {
    grpc_finish(id, status(grpc::code::internal,
                           "response message not representable as JSON"));
    return;
  }
  if (!c.head_sent) {
    api_response head;
    head.headers.emplace_back("content-type",
                              std::string(grpc::web_content_type(*c.web)));
    bool connect = is_connect(c);
    head.headers.emplace_back(connect ? "connect-accept-encoding"
                                      : "grpc-accept-encoding",
                              std::string(grpc::accept_encoding_value()));
    if (c.resp_coding != grpc::message_coding::identity)
      head.headers.emplace_back(connect ? "connect-content-encoding"
                                        : "grpc-encoding",
                                std::string(grpc::coding_name(c.resp_coding)));
    for (auto& h : c.cors)
      head.headers.push_back(h);
    for (auto& h : c.reply->metadata)
      head.headers.push_back(h);
    head.stream = true;
    session->respond(id, std::move(head));
    c.head_sent = true;
  }
  std::string frame;
  grpc::append_envelope(frame, compressed ? 1 : 0, payload);
  if (c.web->wire == web_wire::web_text)
    frame = grpc::base64_encode(frame);
  session->stream_data(id, frame);
}

void http_connection_state::grpc_web_reply(uint64_t id, grpc_call& c,
                                           const std::string& reply) {
  grpc_settle_coding(c);
  std::string payload;
  bool compressed = false;
  if (!encode_message(c, reply, payload, compressed,
                      c.reply->compress.value_or(true))) {
    grpc_finish(id, status(grpc::code::internal,
                           "response message not representable as JSON"));
    return;
  }
  api_response r;
  r.headers.emplace_back("content-type",
                         std::string(grpc::web_content_type(*c.web)));
  for (auto& h : c.cors)
    r.headers.push_back(h);
  for (auto& h : c.reply->metadata)
    r.headers.push_back(h);
  if (c.web->wire == web_wire::connect_unary) {
    if (compressed)
      r.headers.emplace_back("content-encoding",
                             std::string(grpc::coding_name(c.resp_coding)));
    r.headers.emplace_back("vary", "Accept-Encoding");
    r.body = std::move(payload); // bare message, HTTP 200
  } else {
    r.headers.emplace_back("grpc-accept-encoding",
                           std::string(grpc::accept_encoding_value()));
    if (compressed)
      r.headers.emplace_back("grpc-encoding",
                             std::string(grpc::coding_name(c.resp_coding)));
    std::string frame = grpc::encode_frame(payload, compressed);
    if (c.web->wire == web_wire::web_text)
      frame = grpc::base64_encode(frame);
    r.body = std::move(frame);
    r.body += web_trailers(c, grpc_status{});
  }
  grpc_calls.erase(id); // (c dies here)
  session->respond(id, std::move(r));
  want_read();
}

void http_connection_state::grpc_web_finish(uint64_t id, const grpc_call& c,
                                            bool head_sent,
                                            const grpc_status& st) {
  switch (c.web->wire) {
    case web_wire::web:
    case web_wire::web_text:
      if (head_sent) {
        session->stream_data(id, web_trailers(c, st));
        session->stream_end(id);
        return;
      }
      {
        // Trailers-Only (PROTOCOL-WEB.md): the status in the headers,
        // no body
        api_response r;
        r.headers.emplace_back("content-type",
                               std::string(grpc::web_content_type(*c.web)));
        for (auto& h : status_fields(st))
          r.headers.push_back(std::move(h));
        for (auto& h : c.cors)
          r.headers.push_back(h);
        session->respond(id, std::move(r));
      }
      return;
    case web_wire::connect_unary:
      if (st.code == 0) {
        api_response r; // (not reached: unary calls answer grpc_web_reply)
        r.headers = c.cors;
        session->respond(id, std::move(r));
        return;
      }
      session->respond(id, connect_error(c.cors, st));
      return;
    case web_wire::connect_stream:
      if (head_sent) {
        session->stream_data(id, end_stream(st));
        session->stream_end(id);
        return;
      }
      {
        api_response r; // streams always answer 200, the error at the end
        r.headers.emplace_back("content-type",
                               std::string(grpc::web_content_type(*c.web)));
        for (auto& h : c.cors)
          r.headers.push_back(h);
        r.body = end_stream(st);
        session->respond(id, std::move(r));
      }
      return;
  }
}

} // namespace detail
} // namespace themis
