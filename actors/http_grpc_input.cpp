/// The request side of gRPC calls (and of gRPC-web/Connect bodies, which
/// arrive whole): length-prefixed messages out of the body, decompressed
/// and JSON-mapped; unary and server-streaming calls collect their one
/// message, reflection answers each at once.
///
/// Client-streaming and bidirectional calls (grpc_method::duplex, e.g.
/// grpc.testing.TestService/FullDuplexCall): each request message goes to
/// the service as soon as it is decoded, while its answers stream back on
/// the same HTTP/2 stream. Flow control both ways: when the call's answers
/// pile up unread (over grpc_duplex_backlog in the session's queue), its
/// undecoded bytes wait in `inbuf` and are not given back to the stream's
/// HTTP/2 window (h2_session::consumed), so the client's sends stop at the
/// window (64 KiB) instead of filling our memory; the pump resumes once
/// the client has read. Other streams of the connection go on. gRPC-web and
/// Connect bodies arrive whole and run through the same path (half-duplex).

#include "actors/http_connection_state.hpp"
#include "handlers/grpc_connect_json.hpp"
#include "protocols/grpc/grpc_frame.hpp"
#include "protocols/grpc/grpc_status.hpp"

namespace themis {
namespace detail {

namespace {

grpc_status status(grpc::code c, std::string msg) {
  return grpc_status{static_cast<int>(c), std::move(msg), {}};
}

} // namespace

int http_connection_state::grpc_next_message(uint64_t id, grpc_call& c,
                                             std::string& msg,
                                             bool& compressed) {
  auto f = grpc::decode_frame(c.inbuf, grpc_max_recv);
  if (f.status == grpc::frame_status::need_more)
    return 0;
  if (f.status == grpc::frame_status::too_large) {
    grpc_finish(id, status(grpc::code::resource_exhausted,
                           "request message of " + std::to_string(f.length) +
                             " bytes; the limit is " +
                             std::to_string(grpc_max_recv)));
    return -1;
  }
  if (f.status == grpc::frame_status::bad_flag) {
    grpc_finish(id, status(grpc::code::internal,
                           "invalid compressed flag in a message prefix"));
    return -1;
  }
  compressed = f.compressed;
  if (f.compressed) {
    if (!c.req_coding || *c.req_coding == grpc::message_coding::identity) {
      grpc_finish(id, status(grpc::code::internal,
                             "compressed message without grpc-encoding"));
      return -1;
    }
    auto rc =
      grpc::decompress_message(*c.req_coding, f.message, grpc_max_recv, msg);
    if (rc != compression::inflate_status::ok) {
      grpc_finish(
        id, rc == compression::inflate_status::too_large
              ? status(grpc::code::resource_exhausted,
                       "decompressed message over the limit")
              : status(grpc::code::internal, "message does not decompress"));
      return -1;
    }
  } else {
    msg.assign(f.message);
  }
  c.inbuf.erase(0, f.consumed); // (f.message pointed into it)
  if (c.web && c.web->json) {
    // Connect's JSON messages: the services read binary ones
    std::string bin, why;
    if (!grpc_request_from_json(c.req.path, msg, bin, why)) {
      grpc_finish(
        id, status(grpc::code::invalid_argument, "request message: " + why));
      return -1;
    }
    msg = std::move(bin);
  }
  return 1;
}

void http_connection_state::on_request_body(uint64_t id, std::string_view bytes,
                                            bool end) {
  auto it = grpc_calls.find(id);
  if (it != grpc_calls.end() && it->second.method->duplex) {
    grpc_duplex_body(id, bytes, end); // (gives the window back itself)
    return;
  }
  session->consumed(id, bytes.size()); // taken at once (collected below)
  if (it == grpc_calls.end())
    return; // refused at its head, or ended
  if (it->second.started)
    return;
  auto& c = it->second;
  c.inbuf.append(bytes);
  while (true) {
    std::string msg;
    bool compressed = false;
    int got = grpc_next_message(id, c, msg, compressed);
    if (got < 0)
      return;
    if (got == 0)
      break;
    if (c.method->each) {
      // bidirectional (reflection): one answer per request message
      auto r = grpc_request_of(c, std::move(msg));
      grpc_status st;
      std::string reply;
      try {
        reply = c.method->each(r, st);
      } catch (const std::exception& e) {
        ++ctx->metrics.handler_crashes;
        st = status(grpc::code::internal, "internal error");
      }
      if (st.code != 0) {
        grpc_finish(id, std::move(st));
        return;
      }
      grpc_send(id, reply);
      continue;
    }
    if (!c.messages.empty()) {
      grpc_finish(id,
                  status(grpc::code::unimplemented,
                         "more than one request message for " + c.req.path));
      return;
    }
    c.messages.push_back(std::move(msg));
    c.msg_compressed = compressed;
  }
  if (!end)
    return;
  if (!c.inbuf.empty()) {
    grpc_finish(
      id, status(grpc::code::internal, "the request ended inside a message"));
    return;
  }
  if (c.method->each) {
    grpc_finish(id, status(grpc::code::ok, {}));
    return;
  }
  if (c.messages.empty()) {
    grpc_finish(id, status(grpc::code::unimplemented, "no request message"));
    return;
  }
  grpc_run_guarded(id);
}

void http_connection_state::grpc_duplex_body(uint64_t id,
                                             std::string_view bytes, bool end) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end())
    return;
  auto& c = it->second;
  c.inbuf.append(bytes);
  c.unconsumed += bytes.size();
  if (end)
    c.request_ended = true;
  if (!c.started) {
    // the call starts with its first bytes: no need to wait for a
    // message, the service may answer (or fail) at once
    c.started = true;
    auto gen = c.gen;
    auto r = grpc_request_of(c, {});
    std::shared_ptr<grpc_duplex> d;
    try {
      d = c.method->duplex(r);
    } catch (const std::exception& e) {
      ++ctx->metrics.handler_crashes;
      spdlog::error("grpc {}: handler exception: {}", conn->remote_address(),
                    e.what());
      grpc_finish(id, status(grpc::code::internal, "internal error"));
      return;
    }
    it = grpc_calls.find(id);
    if (it == grpc_calls.end() || it->second.gen != gen)
      return;
    it->second.duplex = d;
    it->second.streamer = d;
    it->second.out = std::make_shared<grpc_out>(*this, id, gen);
  }
  if (!it->second.inbound_paused)
    grpc_duplex_feed(id);
}

void http_connection_state::grpc_duplex_feed(uint64_t id) {
  auto it = grpc_calls.find(id);
  if (it == grpc_calls.end())
    return;
  auto gen = it->second.gen;
  auto d = it->second.duplex;
  auto out = it->second.out;
  it->second.inbound_paused = false;
  while (true) {
    auto& c = it->second;
    if (session->stream_backlog(id) > grpc_duplex_backlog) {
      // the client does not read our answers: stop taking its messages
      // (and giving its window back) until it does
      c.inbound_paused = true;
      grpc_schedule_pump(id, gen, 5);
      return;
    }
    std::string msg;
    bool compressed = false;
    int got = grpc_next_message(id, c, msg, compressed);
    if (got < 0)
      return; // answered with the error
    if (got == 0)
      break;
    guarded([&] { d->message(std::move(msg), compressed, out); });
    it = grpc_calls.find(id);
    if (it == grpc_calls.end() || it->second.gen != gen)
      return; // the service ended the call
  }
  auto& c = it->second;
  // taken (or a part of a message that needs the rest): the client may
  // send more
  session->consumed(id, c.unconsumed);
  c.unconsumed = 0;
  if (c.request_ended && !c.end_delivered) {
    if (!c.inbuf.empty()) {
      grpc_finish(
        id, status(grpc::code::internal, "the request ended inside a message"));
      return;
    }
    c.end_delivered = true;
    guarded([&] { d->end(out); });
  }
  want_read();
}

} // namespace detail
} // namespace themis
