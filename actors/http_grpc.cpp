/// gRPC calls on an HTTP/2 connection (issue 20): framing, compression,
/// deadlines, trailers and cancellation for the services of
/// handlers/grpc_*.cpp (see actors/http_grpc.hpp, docs/grpc.md).

#include "actors/http_grpc.hpp"

#include "actors/http_connection_state.hpp"
#include "handlers/request_deadline.hpp"
#include "protocols/grpc/grpc_frame.hpp"
#include "protocols/grpc/grpc_status.hpp"

namespace themis {
namespace detail {

bool is_grpc_request(const api_request& req) {
  auto ct = req.header("content-type");
  if (!ct || ct->size() < 16 || !iequals(ct->substr(0, 16), "application/grpc"))
    return false;
  if (ct->size() == 16)
    return true;
  char next = (*ct)[16];
  return next == '+' || next == ';'; // not application/grpc-web
}

void grpc_out::send(const std::string& message, bool compress) {
  if (!ended_)
    st_.grpc_send(id_, message, compress);
}

void grpc_out::more(uint32_t delay_ms) {
  if (!ended_)
    st_.grpc_schedule_pump(id_, gen_, delay_ms);
}

void grpc_out::finish(grpc_status s) {
  if (ended_)
    return;
  st_.grpc_finish(id_, std::move(s));
}

bool grpc_out::draining() const {
  return st_.ctx->metrics.draining.load();
}

namespace {

header_list status_fields(const grpc_status& s) {
  header_list h;
  h.emplace_back("grpc-status", std::to_string(s.code));
  if (!s.message.empty())
    h.emplace_back("grpc-message", grpc::percent_encode(s.message));
  for (auto& [k, v] : s.trailers)
    h.emplace_back(k, v);
  return h;
}

/// A Trailers-Only answer (PROTOCOL-HTTP2.md): one HEADERS frame that ends
/// the stream, its status in it (and the service's initial metadata, which
/// clients read from the same frame).
api_response trailers_only(const grpc_status& s, const header_list& meta = {}) {
  api_response r;
  r.status = 200;
  r.headers.emplace_back("content-type", "application/grpc");
  for (auto& h : meta)
    r.headers.push_back(h);
  for (auto& h : status_fields(s))
    r.headers.push_back(std::move(h));
  return r;
}

grpc_status status(grpc::code c, std::string msg) {
  return grpc_status{static_cast<int>(c), std::move(msg), {}};
}

} // namespace

grpc_request http_connection_state::grpc_request_of(grpc_call& c,
                                                    std::string message) {
  rest_call rest = [this](api_request r, responder done) {
    try {
      ctx->router->handle(std::move(r),
                          request_ports{*this, *this, *this, *this, *this},
                          std::move(done));
    } catch (const actor_crash&) {
      throw;
    } catch (const std::exception& e) {
      ++ctx->metrics.handler_crashes;
      spdlog::error("grpc {}: handler exception: {}", conn->remote_address(),
                    e.what());
      done(error_response(500, "internal error"));
    }
  };
  grpc_request r{c.req, std::move(message), std::move(rest),
                 ctx->metrics.draining.load()};
  r.reply = c.reply;
  return r;
}

void grpc_settle_coding(grpc_call& c) {
  if (!c.reply->compress.value_or(false) ||
      c.resp_coding != grpc::message_coding::identity ||
      (c.web && c.web->wire == grpc::web_wire::connect_unary))
    return;
  bool connect = c.web && c.web->wire == grpc::web_wire::connect_stream;
  if (auto a = c.req.header(connect ? "connect-accept-encoding"
                                    : "grpc-accept-encoding"))
    c.resp_coding = grpc::response_coding(grpc::message_coding::gzip, *a);
}

void http_connection_state::grpc_start(uint64_t id, api_request req) {
  if (!session->multiplexed()) {
    // gRPC needs HTTP/2 (trailers); gRPC-web is the HTTP/1.1 form
    auto r = error_response(415, "gRPC needs HTTP/2 (h2 or h2c)");
    session->respond(id, std::move(r));
    want_read();
    return;
  }
  auto* m = find_grpc_method(req.path);
  grpc_status refused;
  bool refuse = false;
  std::optional<grpc::message_coding> coding;
  std::optional<uint64_t> timeout_ms;
  if (req.method != "POST") {
    refused = status(grpc::code::unimplemented, "gRPC calls are POSTs");
    refuse = true;
  } else if (!m) {
    refused = status(grpc::code::unimplemented, "unknown method " + req.path);
    refuse = true;
  } else if (auto e = req.header("grpc-encoding");
             e && !(coding = grpc::parse_message_coding(*e))) {
    refused =
      status(grpc::code::unimplemented, "grpc-encoding " + *e + " unsupported");
    refused.trailers.emplace_back("grpc-accept-encoding",
                                  std::string(grpc::accept_encoding_value()));
    refuse = true;
  } else if (auto t = req.header("grpc-timeout");
             t && !(timeout_ms = grpc::parse_timeout_ms(*t))) {
    refused = status(grpc::code::invalid_argument, "malformed grpc-timeout");
    refuse = true;
  }
  if (refuse) {
    session->respond(id, trailers_only(refused));
    want_read();
    return;
  }
  auto& c = grpc_calls[id];
  c = grpc_call{};
  c.gen = ++grpc_gen;
  c.method = m;
  c.req_coding = coding;
  auto accept = req.header("grpc-accept-encoding");
  c.resp_coding =
    grpc::response_coding(coding, accept ? std::string_view(*accept) : "");
  req.client_cert = conn->client_subject();
  if (timeout_ms) // the engine stops the call's work there too
    stamp_deadline(req, *timeout_ms);
  c.req = std::move(req);
  if (timeout_ms)
    self->delayed_send(self, std::chrono::milliseconds(*timeout_ms),
                       grpc_deadline_atom::value, id, c.gen);
}

void http_connection_state::grpc_run_guarded(uint64_t id) {
  // (we are inside nghttp2's callback: nothing may unwind through it)
  try {
    grpc_run(id);
  } catch (const actor_crash&) {
    throw;
  } catch (const std::exception& e) {
    ++ctx->metrics.handler_crashes;
    spdlog::error("grpc {}: handler exception: {}", conn->remote_address(),
                  e.what());
    if (auto s = grpc_calls.count(id) ? grpc_calls[id].streamer : nullptr)
      s->cancel();
    grpc_finish(id, status(grpc::code::internal, "internal error"));
  }
}

void http_connection_state::grpc_run(uint64_t id) {
  auto& c = grpc_calls[id];
  c.started = true;
  auto gen = c.gen;
  auto r = grpc_request_of(c, std::move(c.messages.front()));
  r.compressed = c.msg_compressed;
  c.messages.clear();
  if (c.method->unary) {
    c.method->unary(r, [this, id, gen](grpc_status st, std::string reply) {
      grpc_reply(id, gen, std::move(st), reply);
    });
    return;
  }
  auto s = c.method->open(r);
  auto it = grpc_calls.find(id); // (open may have answered)
  if (it == grpc_calls.end() || it->second.gen != gen)
    return;
  it->second.streamer = s;
  it->second.out = std::make_shared<grpc_out>(*this, id, gen);
  auto out = it->second.out;
  s->pump(out);
}

void http_connection_state::grpc_reply(uint64_t id, uint64_t gen,
                                       grpc_status st,
                                       const std::string& reply) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end() || it->second.gen != gen)
    return; // cancelled or past its deadline meanwhile
  if (st.code != 0) {
    grpc_finish(id, std::move(st));
    return;
  }
  if (reply.size() > grpc_max_send) {
    grpc_finish(id, status(grpc::code::resource_exhausted,
                           "response message over the send limit"));
    return;
  }
  auto& c = it->second;
  if (c.web) {
    grpc_web_reply(id, c, reply); // (erases the call)
    return;
  }
  grpc_settle_coding(c);
  api_response r;
  r.headers.emplace_back("content-type", "application/grpc");
  r.headers.emplace_back("grpc-accept-encoding",
                         std::string(grpc::accept_encoding_value()));
  for (auto& h : c.reply->metadata)
    r.headers.push_back(h);
  std::string payload;
  bool compressed = c.reply->compress.value_or(true) &&
                    c.resp_coding != grpc::message_coding::identity &&
                    grpc::compress_message(c.resp_coding, reply, payload);
  if (compressed)
    r.headers.emplace_back("grpc-encoding",
                           std::string(grpc::coding_name(c.resp_coding)));
  r.body = grpc::encode_frame(compressed ? payload : reply, compressed);
  r.trailers = status_fields(st);
  grpc_calls.erase(it);
  session->respond(id, std::move(r));
  want_read();
}

void http_connection_state::grpc_send(uint64_t id, const std::string& msg,
                                      bool compress) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end())
    return;
  auto& c = it->second;
  if (!c.head_sent)
    grpc_settle_coding(c);
  if (c.web) {
    grpc_web_send(id, c, msg, compress);
    return;
  }
  if (!c.head_sent) {
    api_response head;
    for (auto& h : c.reply->metadata)
      head.headers.push_back(h);
    head.headers.emplace_back("content-type", "application/grpc");
    head.headers.emplace_back("grpc-accept-encoding",
                              std::string(grpc::accept_encoding_value()));
    if (c.resp_coding != grpc::message_coding::identity)
      head.headers.emplace_back("grpc-encoding",
                                std::string(grpc::coding_name(c.resp_coding)));
    head.stream = true;
    session->respond(id, std::move(head));
    c.head_sent = true;
  }
  std::string payload;
  bool compressed = compress &&
                    c.resp_coding != grpc::message_coding::identity &&
                    grpc::compress_message(c.resp_coding, msg, payload);
  session->stream_data(
    id, grpc::encode_frame(compressed ? payload : msg, compressed));
}

void http_connection_state::grpc_schedule_pump(uint64_t id, uint64_t gen,
                                               uint32_t delay_ms) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end() || it->second.gen != gen ||
      it->second.pump_scheduled)
    return;
  it->second.pump_scheduled = true;
  if (delay_ms == 0)
    self->send(self, grpc_pump_atom::value, id, gen);
  else
    self->delayed_send(self, std::chrono::milliseconds(delay_ms),
                       grpc_pump_atom::value, id, gen);
}

void http_connection_state::grpc_pump(uint64_t id, uint64_t gen) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end() || it->second.gen != gen || !it->second.streamer)
    return;
  // backpressure: the next batch only once the client read the last one
  // (HTTP/2 flow control keeps it in our queue until then)
  if (session->stream_backlog(id) > 0 || conn->queued_writes() > 2) {
    self->delayed_send(self, std::chrono::milliseconds(5),
                       grpc_pump_atom::value, id, gen);
    return;
  }
  it->second.pump_scheduled = false;
  if (it->second.inbound_paused) {
    grpc_duplex_feed(id); // the client caught up: take its messages again
    it = grpc_calls.find(id);
    if (it == grpc_calls.end() || it->second.gen != gen)
      return;
  }
  auto s = it->second.streamer;
  auto out = it->second.out;
  guarded([&] { s->pump(out); });
  want_read();
}

void http_connection_state::grpc_finish(uint64_t id, grpc_status st) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end())
    return;
  if (it->second.out)
    it->second.out->end();
  bool head_sent = it->second.head_sent;
  if (it->second.web) {
    auto call = std::move(it->second);
    grpc_calls.erase(it);
    grpc_web_finish(id, call, head_sent, st);
    want_read();
    return;
  }
  auto meta = std::move(it->second.reply->metadata);
  grpc_calls.erase(it);
  if (head_sent)
    session->stream_end_trailers(id, status_fields(st));
  else
    session->respond(id, trailers_only(st, meta));
  want_read();
}

void http_connection_state::grpc_deadline(uint64_t id, uint64_t gen) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end() || it->second.gen != gen)
    return;
  if (auto s = it->second.streamer)
    guarded([&] { s->cancel(); }); // e.g. the query's cursor goes
  grpc_finish(id, status(grpc::code::deadline_exceeded, "deadline exceeded"));
}

void http_connection_state::grpc_cancel(uint64_t id) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end())
    return;
  auto s = it->second.streamer;
  if (it->second.out)
    it->second.out->end();
  grpc_calls.erase(it);
  if (s)
    guarded([&] { s->cancel(); });
  want_read(); // (it may have paused reading: http_grpc_input.cpp)
}

void http_connection_state::grpc_drain() {
  std::vector<std::pair<uint64_t, uint64_t>> streams;
  for (auto& [id, c] : grpc_calls)
    if (c.streamer)
      streams.emplace_back(id, c.gen);
  for (auto& [id, gen] : streams) {
    auto it = grpc_calls.find(id);
    if (it == grpc_calls.end())
      continue;
    it->second.pump_scheduled = false;
    grpc_schedule_pump(id, gen, 0);
  }
}

} // namespace detail
} // namespace themis
