#include "actors/ws_stream_tunnels.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/mqtt_connection.hpp"
#include "actors/pg_connection.hpp"

namespace themis {

namespace {

/// RFC 9113 / RFC 9000 codes, the same numbers on HTTP/2 and our HTTP/3
/// mapping (h3 maps CANCEL to H3_REQUEST_CANCELLED).
constexpr uint32_t rst_cancel = 0x8;

/// The wire actor's transport: runs the WebSocket session on the wire
/// actor's thread and hands its frames to the connection actor.
class stream_wire_transport final : public wire_transport,
                                    private ws::ws_callbacks {
public:
  stream_wire_transport(caf::actor conn, uint64_t id, ws::ws_options opts,
                        std::shared_ptr<wire_tunnel_counters> counters,
                        std::string remote, std::string subject) :
    conn_(std::move(conn)),
    id_(id), counters_(std::move(counters)), remote_(std::move(remote)),
    subject_(std::move(subject)), ws_(std::move(opts), *this) {}

  void start(caf::actor) override {} // the connection actor relays
  std::string on_input(std::string bytes) override {
    app_.clear();
    ws_.on_data(bytes);
    return std::move(app_);
  }
  void write(std::string bytes) override {
    if (!closed_)
      ws_.send_binary(bytes);
  }
  size_t queued_writes() const override {
    return counters_->in_transit.load(std::memory_order_relaxed) +
           counters_->unframed.load(std::memory_order_relaxed);
  }
  void close_after_writes() override {
    ws_.close(1000, "");
    close_transport();
  }
  void abort() override {
    // (thread-safe: a message; the connection ignores a finished stream)
    caf::anon_send(conn_, wire_abort_atom::value, id_);
  }
  const std::string& remote_address() const override { return remote_; }
  const std::string& client_subject() const override { return subject_; }
  const char* kind() const override { return "websocket"; }

private:
  void on_text(std::string) override {} // (refused: accept_text = false)
  void on_binary(std::string message) override { app_ += message; }
  void send(std::string bytes) override {
    counters_->in_transit.fetch_add(1, std::memory_order_relaxed);
    caf::anon_send(conn_, wire_out_atom::value, id_, std::move(bytes));
  }
  void close_transport() override {
    if (closed_)
      return;
    closed_ = true;
    caf::anon_send(conn_, wire_end_atom::value, id_);
  }

  caf::actor conn_;
  uint64_t id_;
  std::shared_ptr<wire_tunnel_counters> counters_;
  std::string remote_, subject_;
  ws::ws_session ws_;
  std::string app_; ///< protocol bytes gathered during one on_input
  bool closed_ = false;
};

} // namespace

std::shared_ptr<wire_transport>
make_stream_wire_transport(caf::actor conn_actor, uint64_t id,
                           ws::ws_options opts,
                           std::shared_ptr<wire_tunnel_counters> counters,
                           std::string remote, std::string subject) {
  return std::make_shared<stream_wire_transport>(
    std::move(conn_actor), id, std::move(opts), std::move(counters),
    std::move(remote), std::move(subject));
}

ws_stream_tunnels::~ws_stream_tunnels() {
  // the connection is gone: every wire actor sees its socket close
  for (auto& [id, t] : tunnels_)
    close_actor(t);
}

void ws_stream_tunnels::close_actor(tunnel& t) {
  if (t.actor)
    caf::anon_send(t.actor, closed_atom::value);
  t.actor = nullptr;
}

void ws_stream_tunnels::open(uint64_t id, wire_kind kind, ws::ws_options opts,
                             caf::actor conn_actor,
                             const std::shared_ptr<server_context>& ctx,
                             const std::string& remote,
                             const std::string& subject) {
  auto counters = std::make_shared<wire_tunnel_counters>();
  auto transport = make_stream_wire_transport(
    conn_actor, id, std::move(opts), counters,
    remote + " (stream " + std::to_string(id) + ")", subject);
  auto& sys = conn_actor->home_system();
  tunnel t;
  t.counters = std::move(counters);
  t.actor = kind == wire_kind::mqtt ? spawn_mqtt_connection(sys, transport, ctx)
                                    : spawn_pg_over_ws(sys, transport, ctx);
  tunnels_.insert_or_assign(id, std::move(t));
}

void ws_stream_tunnels::on_data(uint64_t id, std::string_view bytes, bool end) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end() || !it->second.actor)
    return;
  if (end) {
    // the client ended its side: the WebSocket is over (after a close
    // handshake, normally); ours ends too, the stream closes and
    // on_stream_closed tells the wire actor
    if (!it->second.ended) {
      it->second.ended = true;
      front_()->stream_end(id);
    }
    return;
  }
  if (!bytes.empty())
    caf::anon_send(it->second.actor, data_atom::value, std::string(bytes));
}

bool ws_stream_tunnels::on_stream_closed(uint64_t id) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end())
    return false;
  close_actor(it->second);
  tunnels_.erase(it);
  return true;
}

void ws_stream_tunnels::on_out(uint64_t id, std::string bytes) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end())
    return; // (the stream ended while these were on their way)
  auto& t = it->second;
  t.counters->in_transit.fetch_sub(1, std::memory_order_relaxed);
  if (t.ended)
    return;
  t.pieces.push_back(bytes.size());
  t.piece_bytes += bytes.size();
  front_()->stream_data(id, bytes);
  settle();
}

bool ws_stream_tunnels::on_end(uint64_t id) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end() || it->second.ended)
    return false;
  it->second.ended = true;
  front_()->stream_end(id);
  return tunnels_.count(id) != 0; // (ending may have closed the stream)
}

void ws_stream_tunnels::on_abort(uint64_t id) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end())
    return;
  it->second.actor = nullptr; // (it is the one aborting)
  tunnels_.erase(it);
  reset_(id, rst_cancel);
}

void ws_stream_tunnels::on_linger(uint64_t id) {
  auto it = tunnels_.find(id);
  if (it == tunnels_.end() || !it->second.ended)
    return;
  // our close frame and END_STREAM went out long ago: stop waiting
  close_actor(it->second);
  tunnels_.erase(it);
  reset_(id, rst_cancel);
}

void ws_stream_tunnels::settle() {
  auto* f = front_();
  for (auto& [id, t] : tunnels_) {
    // the newest pieces are the unframed ones
    auto backlog = f->stream_backlog(id);
    while (!t.pieces.empty() && t.piece_bytes - t.pieces.front() >= backlog &&
           t.piece_bytes > backlog) {
      t.piece_bytes -= t.pieces.front();
      t.pieces.pop_front();
    }
    if (backlog == 0) {
      t.pieces.clear();
      t.piece_bytes = 0;
    }
    t.counters->unframed.store(t.pieces.size(), std::memory_order_relaxed);
  }
}

void ws_stream_tunnels::drain() {
  for (auto& [id, t] : tunnels_)
    if (t.actor)
      caf::anon_send(t.actor, drain_atom::value);
}

} // namespace themis
