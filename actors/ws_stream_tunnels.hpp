#pragma once
/// Wire protocols (MQTT at /mqtt, PostgreSQL at /pg) over a WebSocket
/// that runs on one stream of a multiplexed connection: HTTP/2 extended
/// CONNECT (RFC 8441) or HTTP/3 (RFC 9220). The WebSocket session and the
/// protocol run in the wire actor (mqtt_connection, the pg bridge), as
/// after an HTTP/1.1 upgrade; the connection actor owns the HTTP session,
/// so the stream's bytes travel between the two as messages:
///   connection actor --data_atom/closed_atom/drain_atom--> wire actor
///   wire actor --wire_out_atom/wire_end_atom/wire_abort_atom--> connection
/// Other streams of the connection go on as before. Private to actors/.

#include <atomic>
#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "actors/wire_transport.hpp"
#include "protocols/http_front.hpp"
#include "protocols/websocket/ws_session.hpp"

namespace themis {

struct server_context;

/// WebSocket frames a wire actor wrote for stream `id` (uint64_t, string).
using wire_out_atom = caf::atom_constant<caf::atom("t_wireout")>;
/// The wire actor ended its side (close frame sent): END_STREAM (uint64_t).
using wire_end_atom = caf::atom_constant<caf::atom("t_wireend")>;
/// The wire actor is gone or aborts: RST_STREAM(CANCEL) (uint64_t).
using wire_abort_atom = caf::atom_constant<caf::atom("t_wireabt")>;
/// Our END_STREAM is out but the client never ended its side (uint64_t).
using wire_linger_atom = caf::atom_constant<caf::atom("t_wirelng")>;

enum class wire_kind { mqtt, pg };

/// Output of one tunnel not yet written: pieces on their way to the
/// connection actor plus pieces its session has not framed yet (what the
/// wire actor's output bound counts, like a socket's queued_writes).
struct wire_tunnel_counters {
  std::atomic<size_t> in_transit{0};
  std::atomic<size_t> unframed{0};
};

/// The connection actor's side: the tunnels of one connection, by stream.
class ws_stream_tunnels {
public:
  /// `front()`: the connection's session now; `reset(id, code)`: its
  /// RST_STREAM (HTTP/2) or stream reset (HTTP/3).
  ws_stream_tunnels(std::function<http_front*()> front,
                    std::function<void(uint64_t, uint32_t)> reset) :
    front_(std::move(front)),
    reset_(std::move(reset)) {}
  ~ws_stream_tunnels();

  /// A 101 for `id` was just sent: spawns the wire actor for `kind` with
  /// a WebSocket session of `opts` on the stream.
  void open(uint64_t id, wire_kind kind, ws::ws_options opts,
            caf::actor conn_actor, const std::shared_ptr<server_context>& ctx,
            const std::string& remote, const std::string& subject);
  bool owns(uint64_t id) const { return tunnels_.count(id) != 0; }
  /// Stream bytes from the client (`end`: it ended its side).
  void on_data(uint64_t id, std::string_view bytes, bool end);
  /// The stream closed or was reset: the wire actor sees its socket close.
  /// False if `id` is no wire tunnel.
  bool on_stream_closed(uint64_t id);
  void on_out(uint64_t id, std::string bytes);
  /// END_STREAM; true if the client should be given time to end its side
  /// (then wire_linger_atom comes back later).
  bool on_end(uint64_t id);
  /// The wire actor ended (its transport's abort, on any exit): a tunnel
  /// still open is reset.
  void on_abort(uint64_t id);
  void on_linger(uint64_t id);
  /// Recounts what the session has framed (after input, ticks, output).
  void settle();
  void drain();
  size_t size() const { return tunnels_.size(); }

private:
  struct tunnel {
    caf::actor actor;
    std::shared_ptr<wire_tunnel_counters> counters;
    std::deque<size_t> pieces; ///< sizes handed to the session, unframed
    size_t piece_bytes = 0;
    bool ended = false; ///< our END_STREAM is out
  };
  void close_actor(tunnel& t);

  std::function<http_front*()> front_;
  std::function<void(uint64_t, uint32_t)> reset_;
  std::map<uint64_t, tunnel> tunnels_;
};

/// The wire actor's side: the protocol's bytes in WebSocket binary
/// messages on stream `id` of `conn_actor`'s connection.
std::shared_ptr<wire_transport>
make_stream_wire_transport(caf::actor conn_actor, uint64_t id,
                           ws::ws_options opts,
                           std::shared_ptr<wire_tunnel_counters> counters,
                           std::string remote, std::string subject);

} // namespace themis
