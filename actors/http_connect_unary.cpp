/// Connect unary calls: the body is the bare request message (its
/// Content-Encoding undone, JSON mapped to binary), then the same call
/// machinery as gRPC (actors/http_grpc.cpp); answers in a coding the
/// client's Accept-Encoding lists (actors/http_grpc_web.cpp).
///
/// Connect unary GET (connectrpc.com/docs/protocol/#unary-get-request):
/// `GET /pkg.Service/Method?connect=v1&encoding=proto|json&message=…
/// [&base64=1][&compression=gzip]` for methods marked `idempotency_level =
/// NO_SIDE_EFFECTS`, so browsers and CDNs can cache reads. The request is
/// rewritten into the Connect unary POST it stands for and served by the
/// same path (actors/http_grpc_web.cpp): limits, decompression, JSON
/// mapping, auth and answers are the POST's.

#include "actors/http_connection_state.hpp"
#include "handlers/grpc_connect_json.hpp"
#include "handlers/http_json.hpp"
#include "protocols/grpc/grpc_status.hpp"
#include "themis/base64.hpp"

namespace themis {
namespace detail {

namespace {

grpc_status status(grpc::code c, std::string msg) {
  return grpc_status{static_cast<int>(c), std::move(msg), {}};
}

std::optional<connect_get_refusal> refuse(int http, grpc::code c,
                                          std::string why) {
  return connect_get_refusal{http, static_cast<int>(c), std::move(why)};
}

void set_header(api_request& req, std::string_view name, std::string value) {
  std::erase_if(req.headers, [&](auto& h) { return iequals(h.first, name); });
  req.headers.emplace_back(std::string(name), std::move(value));
}

} // namespace

std::optional<connect_get_refusal> connect_get_as_post(api_request& req) {
  auto* m = find_grpc_method(req.path);
  if (!m || !m->unary || !grpc_method_no_side_effects(req.path))
    return refuse(405, grpc::code::unimplemented,
                  "GET is for methods without side effects; POST this one");
  auto q = [&](std::string_view name) { return query_param(req.query, name); };
  auto version = q("connect");
  if (version && *version != "v1")
    return refuse(400, grpc::code::invalid_argument, "connect must be v1");
  auto encoding = q("encoding");
  if (!encoding)
    return refuse(400, grpc::code::invalid_argument,
                  "encoding query parameter missing (proto or json)");
  if (*encoding != "proto" && *encoding != "json")
    return refuse(415, grpc::code::invalid_argument,
                  "encoding " + *encoding + " unsupported (proto or json)");
  auto message = q("message");
  if (!message)
    return refuse(400, grpc::code::invalid_argument,
                  "message query parameter missing");
  auto b64 = q("base64");
  if (b64 && *b64 != "1" && *b64 != "0")
    return refuse(400, grpc::code::invalid_argument, "base64 must be 1");
  std::string body;
  if (b64 && *b64 == "1") {
    // URL-safe alphabet, padding optional (the spec's base64url)
    if (!base64url_decode(*message, body, true))
      return refuse(400, grpc::code::invalid_argument,
                    "message is not valid base64url");
  } else {
    body = std::move(*message);
  }
  req.method = "POST";
  set_header(req, "content-type", "application/" + *encoding);
  if (auto c = q("compression"))
    set_header(req, "content-encoding", std::move(*c));
  req.body = std::move(body);
  return std::nullopt;
}

void http_connection_state::grpc_connect_unary_body(uint64_t id,
                                                    std::string body) {
  auto& c = grpc_calls[id];
  if (body.size() > grpc_max_recv) {
    grpc_finish(id, status(grpc::code::resource_exhausted,
                           "request message over the limit"));
    return;
  }
  if (c.req_coding && *c.req_coding != grpc::message_coding::identity) {
    std::string out;
    auto rc = grpc::decompress_message(*c.req_coding, body, grpc_max_recv, out);
    if (rc != compression::inflate_status::ok) {
      grpc_finish(id, rc == compression::inflate_status::too_large
                        ? status(grpc::code::resource_exhausted,
                                 "decompressed message over the limit")
                        : status(grpc::code::invalid_argument,
                                 "message does not decompress"));
      return;
    }
    body = std::move(out);
    c.msg_compressed = true;
  }
  if (c.web->json) {
    std::string bin, why;
    if (!grpc_request_from_json(c.req.path, body, bin, why)) {
      grpc_finish(
        id, status(grpc::code::invalid_argument, "request message: " + why));
      return;
    }
    body = std::move(bin);
  }
  c.messages.push_back(std::move(body));
  grpc_run_guarded(id);
}

} // namespace detail
} // namespace themis
