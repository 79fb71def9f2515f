#pragma once
/// One MQTT client connection as a state machine (3.1.1 and 5.0): CONNECT
/// and CONNACK, keep-alive (1.5× the interval), the QoS 1 and 2 flows in
/// both directions with packet identifiers and a receive-maximum window,
/// inbound topic aliases, SUBSCRIBE/UNSUBSCRIBE acknowledgements, and the
/// protocol errors of the codec turned into DISCONNECT (5.0) or a close
/// (3.1.1). Bytes in, bytes out through `session_callbacks`; routing,
/// retained messages and authentication belong to the broker behind them.

#include "protocols/small_fifo.hpp"
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "protocols/mqtt/mqtt_codec.hpp"

namespace themis::mqtt {

struct message {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
  properties props; ///< message properties only (expiry, content type …)
  /// Steady-clock ms after which the message is not delivered (5.0
  /// message expiry; 0: never). Delivery sends the remaining lifetime.
  uint64_t expires_at_ms = 0;
  /// Set when the message went to one member of a shared subscription
  /// (`group/filter`), so a member that leaves hands it to another.
  std::string shared_group;
};

/// An outbound QoS 1/2 message not yet acknowledged, kept across
/// reconnects: with a packet id it was sent and is sent again with DUP
/// (or, `released`, its PUBREL is), under the same id.
struct pending_message {
  message msg;
  uint8_t qos = 1;
  uint16_t packet_id = 0;
  bool released = false;
};

struct session_options {
  codec_limits limits;
  uint16_t receive_maximum = 64;     ///< inbound QoS 1/2 in flight (5.0)
  uint16_t topic_alias_maximum = 16; ///< inbound aliases we accept (5.0)
  uint32_t connect_timeout_ms = 10000;
  uint32_t max_queued = 1000; ///< outbound messages waiting for a window
  /// Bytes (topic + payload) of the outbound QoS 1/2 messages waiting for
  /// the window; one more beyond is dropped (mosquitto's max_queued_bytes;
  /// 0: no byte bound).
  size_t max_queued_bytes = 1u << 20;
  /// Largest keep alive granted (0: any); 5.0 clients asking for more,
  /// or for none, get this one in CONNACK (server keep alive).
  uint16_t max_keep_alive = 0;
  /// Outbound topic aliases we use at most (also capped by the client's
  /// topic alias maximum).
  uint16_t outbound_aliases = 64;
  /// Longest session expiry granted, seconds (0: any); a 5.0 client asking
  /// for more is told this one in CONNACK.
  uint32_t max_session_expiry = 0;
};

class session_callbacks {
public:
  virtual ~session_callbacks() = default;
  virtual void send(std::string bytes) = 0;
  /// Close after what was sent is written.
  virtual void close() = 0;
  virtual uint64_t now_ms() = 0;
  /// CONNECT arrived: 0 to accept, else the reason code (0x86 bad
  /// credentials, 0x87 not authorized, 0x85 client id …). The broker may
  /// set `assigned_id` for an empty client id.
  virtual uint8_t on_connect(const connect_packet& c, std::string& assigned_id,
                             bool& session_present) = 0;
  /// An inbound application message. QoS 1/2 are acknowledged when the
  /// broker calls session::acknowledge(id, code) (after an ingest commit).
  virtual void on_publish(message m, uint16_t packet_id) = 0;
  /// One reason code per topic filter.
  virtual std::vector<uint8_t> on_subscribe(const subscribe_packet& s) = 0;
  virtual std::vector<uint8_t> on_unsubscribe(const unsubscribe_packet& u) = 0;
  /// The CONNACK was sent: a resumed session's in-flight messages may go
  /// out now (session::resume).
  virtual void on_connected() {}
  /// The session ended; `publish_will` unless the client disconnected
  /// normally.
  virtual void on_closed(bool publish_will) = 0;
  /// Messages dropped because the outbound queue was full or they
  /// expired.
  virtual void on_dropped(const message&) {}
  /// Whether the connection's unsent output is below its bound (bytes
  /// handed to send() that the socket has not taken yet). While it is not,
  /// QoS 0 messages are dropped and queued QoS 1/2 ones wait: a client
  /// that does not read costs the server a bounded amount.
  virtual bool may_send() { return true; }
};

class session {
public:
  session(session_options opts, session_callbacks& cb);

  void on_data(std::string_view bytes);
  /// Keep-alive and connect deadlines; call periodically.
  void check_timeouts();
  /// Sends `m` to this client at `qos` (the broker took the minimum of the
  /// message's and the subscription's QoS). An expired message is dropped.
  /// `backlog`: kept for this client while it was away (within bounds
  /// already), queued whatever max_queued / max_queued_bytes say.
  void deliver(const message& m, uint8_t qos,
               const std::vector<uint32_t>& subscription_ids = {},
               bool backlog = false);
  /// After CONNACK of a resumed session: sends the messages that were in
  /// flight again with DUP and their packet ids (PUBREL for released QoS 2
  /// ones), and remembers the inbound QoS 2 ids still awaiting PUBREL.
  void resume(std::vector<pending_message> inflight,
              const std::vector<uint16_t>& awaiting_rel);
  /// Sends queued QoS 1/2 messages the window and may_send() allow (call
  /// periodically: output that drained does not announce itself).
  void flush();
  /// Acknowledges an inbound QoS 1/2 PUBLISH (`code` 0 or a 5.0 reason).
  void acknowledge(uint16_t packet_id, uint8_t qos, uint8_t code,
                   const char* why = nullptr);
  /// Inbound QoS 1/2 messages not yet acknowledged (ingest writes pending).
  size_t pending_acks() const { return pending_ack_.size(); }
  /// The socket closed without DISCONNECT: the will is due.
  void connection_lost();
  /// Server-initiated end: DISCONNECT with `reason` (5.0), then close.
  void disconnect(uint8_t reason, const std::string& why = {});

  bool connected() const { return state_ == state::connected; }
  /// 5.0: the session expiry interval, from CONNECT or as DISCONNECT
  /// changed it.
  uint32_t session_expiry() const { return session_expiry_; }
  bool closed() const { return state_ == state::closed; }
  uint8_t version() const { return version_; }
  /// Why the session ended (for the access log): "client disconnect",
  /// "connection lost", "keep alive timeout", a protocol error, or the
  /// server's reason; "" while open.
  const std::string& end_reason() const { return end_reason_; }
  const std::string& client_id() const { return client_id_; }
  size_t inflight() const { return inflight_.size(); }
  /// QoS 1/2 messages sent but not acknowledged (with their packet ids),
  /// then those still queued: a persistent session hands them to the
  /// broker when it ends.
  std::vector<pending_message> unacknowledged() const;
  /// Inbound QoS 2 packet ids whose PUBREL has not come (kept with a
  /// persistent session so a resent PUBLISH is not delivered twice).
  std::vector<uint16_t> awaiting_release() const {
    return {awaiting_rel_.begin(), awaiting_rel_.end()};
  }
  size_t queued() const { return queue_.size(); }
  /// Topic and payload bytes of the queued messages.
  size_t queued_bytes() const { return queued_bytes_; }

private:
  enum class state { connecting, connected, closed };
  struct outbound {
    packet p;
    bool released = false; ///< QoS 2: PUBREC received, PUBREL sent
    uint64_t expires_at_ms = 0;
    std::string group;
  };

  void handle(packet& p);
  void fail(uint8_t code, const char* what);
  void send_packet(const packet& p);
  void send_ack(packet_type t, uint16_t id, uint8_t code,
                const char* why = nullptr);
  void pump(); ///< moves queued messages into the in-flight window
  /// Sends a PUBLISH, replacing its topic by an alias when the client
  /// allows them (5.0).
  void send_publish(packet& p);
  /// Over the client's maximum packet size (5.0).
  bool too_large(const packet& p) const;
  /// Sets the remaining message expiry; false if the message expired.
  bool refresh_expiry(packet& p, uint64_t expires_at_ms);
  uint16_t next_id();

  session_options opts_;
  session_callbacks& cb_;
  state state_ = state::connecting;
  uint8_t version_ = 0;
  std::string in_;
  std::string client_id_;
  uint16_t keep_alive_ = 0;
  uint64_t last_rx_ms_ = 0;
  uint64_t started_ms_ = 0;
  /// Our own cap on unacknowledged outbound QoS 1/2 messages, whatever
  /// receive maximum the client announces (3.1.1 announces none).
  static constexpr uint16_t max_inflight = 100;
  uint16_t send_quota_ = max_inflight; ///< min(client's maximum, our cap)
  uint32_t client_max_packet_ = 0;     ///< 0: no limit
  std::set<uint16_t> awaiting_rel_;    ///< inbound QoS 2 ids until PUBREL
  std::set<uint16_t> pending_ack_;     ///< inbound QoS 1/2 not yet acked
  std::map<uint16_t, std::string> aliases_;
  std::map<uint16_t, outbound> inflight_;
  small_fifo<outbound> queue_; ///< nothing allocated while empty
  size_t queued_bytes_ = 0;    ///< sum of cost() over queue_
  static size_t cost(const outbound& o) {
    return o.p.publish.topic.size() + o.p.publish.payload.size();
  }
  uint16_t alias_max_ = 0;   ///< outbound aliases the client accepts
  bool problem_info_ = true; ///< reason strings allowed on acks
  uint32_t session_expiry_ = 0;
  std::map<std::string, uint16_t, std::less<>> out_aliases_;
  uint16_t last_id_ = 0;
  std::string end_reason_;
};

} // namespace themis::mqtt
