#pragma once
/// The MQTT broker core: who is connected under which client id, their
/// subscriptions (plain and shared), pending wills and the retained
/// messages. Connection actors call it; it routes a PUBLISH by sending
/// each matching subscriber's actor one delivery (overlapping
/// subscriptions of one client are delivered once, at the highest granted
/// QoS; a shared subscription group gets one copy, round robin over its
/// connected members). A mutex guards it: routing is a short critical
/// section; the deliveries themselves go through mailboxes.

#include <array>
#include <atomic>
#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocols/heap_optional.hpp"
#include "protocols/mqtt/mqtt_acl.hpp"
#include "protocols/mqtt/mqtt_session.hpp"
#include "protocols/mqtt/mqtt_sub_tree.hpp"
#include "protocols/small_fifo.hpp"
#include "themis/base64.hpp"

namespace themis {

class prometheus_text;

struct mqtt_delivery {
  std::shared_ptr<const mqtt::message> msg;
  uint8_t qos = 0;
  std::vector<uint32_t> subscription_ids;
  bool retained = false; ///< sent because of a new subscription
  /// Bytes counted in the receiver's inbox (mqtt_broker::inbox); the
  /// connection subtracts them when it takes the delivery.
  size_t counted = 0;
  /// Kept for the client while it was away: already within the offline
  /// bounds, so the session queues it whatever its own byte bound says.
  bool backlog = false;
};

/// Bytes (topic + payload) of deliveries sent to a connection's mailbox and
/// not yet taken by it: a connection that falls behind its publishers
/// (mailbox growing faster than it drains) is bounded here, before its own
/// output bound applies.
using mqtt_inbox = std::shared_ptr<std::atomic<size_t>>;

/// A taken-over connection's unfinished QoS 1/2 exchanges, for the
/// connection that resumed its session (session::resume).
struct mqtt_handover {
  std::vector<mqtt::pending_message> msgs;
  std::vector<uint16_t> awaiting_rel;
};

/// What a connection hands the broker when it ends.
struct mqtt_goodbye {
  uint32_t expiry_s = 0; ///< session expiry; 0 ends the session now
  std::vector<mqtt::pending_message> unacked;
  std::vector<uint16_t> awaiting_rel;
  /// The will, when due; published after `will_delay_s` unless the client
  /// returns first (or at once when the session ends sooner).
  std::optional<mqtt::message> will;
  uint32_t will_delay_s = 0;
};

/// What the admin view shows of a connection (set after its CONNACK).
struct mqtt_client_facts {
  std::string user; ///< the principal (or how it was proven)
  std::string remote;
  std::string transport; ///< tcp, tls, ws …
  uint8_t version = 4;
  int64_t since_ms = 0; ///< Unix ms of the CONNECT
};

class mqtt_broker {
public:
  struct connect_result {
    caf::actor replaced; ///< a connection taken over (or null)
    bool session_present = false;
    bool refused = false; ///< a new session beyond `max_sessions`
    std::vector<mqtt::pending_message> resend; ///< in flight when it left
    std::vector<uint16_t> awaiting_rel;
    std::vector<mqtt_delivery> queued; ///< kept while the client was away
  };
  /// Registers `a` as `client_id`. With `clean_start` an earlier session
  /// is discarded; otherwise its subscriptions and queued messages resume.
  /// `acl` is the client's topic rules (empty allows everything). A new
  /// client id when `max_sessions` sessions (connected or kept) exist is
  /// refused.
  /// `inbox` counts the bytes routed to `a` and not yet taken; beyond
  /// `inbox_limit` (0: none) new deliveries are dropped and counted.
  connect_result connect(const std::string& client_id, caf::actor a,
                         bool clean_start, uint32_t expiry_s,
                         std::shared_ptr<const mqtt::acl_rules> acl,
                         size_t max_sessions = 0, mqtt_inbox inbox = {},
                         size_t inbox_limit = 0);
  /// The connection `a` ended. A session with `expiry_s` > 0 stays (its
  /// subscriptions collect QoS 1/2 messages) until it expires or the
  /// client returns; its unacknowledged messages are sent again then,
  /// except those of shared subscriptions, which go to another member.
  /// If another connection took the session over meanwhile, they go to
  /// that one (mqtt_handover).
  void disconnect(const std::string& client_id, const caf::actor& a,
                  mqtt_goodbye bye);
  /// Grants (or refuses) each filter; returns the reason codes and the
  /// retained messages the new subscriptions must receive.
  std::vector<uint8_t> subscribe(const std::string& client_id,
                                 const mqtt::subscribe_packet& s,
                                 uint8_t version,
                                 std::vector<mqtt_delivery>& retained);
  std::vector<uint8_t> unsubscribe(const std::string& client_id,
                                   const mqtt::unsubscribe_packet& u);
  /// Routes `m` from `from_client`; stores or clears it when retained.
  /// Returns the number of deliveries.
  size_t publish(const mqtt::message& m, const std::string& from_client);
  /// Expires sessions and publishes the wills that are due; call about
  /// once a second.
  void tick();

  /// The persistent sessions (subscriptions, waiting and in-flight
  /// messages, expiry) and the retained messages as JSON, for a restart;
  /// and back.
  std::string snapshot() const;
  void restore(const std::string& json);
  /// Whether anything a snapshot holds changed since the last one.
  bool dirty() const { return dirty_; }
  void mark_saved() { dirty_ = false; }
  void mark_dirty() { dirty_ = true; }

  size_t clients() const;
  size_t retained_count() const;
  /// Records `f` for `client_id` if `a` still owns it.
  void describe(const std::string& client_id, const caf::actor& a,
                mqtt_client_facts f);
  /// The sessions (connected or kept) with their subscriptions and queues,
  /// and the retained messages, as JSON (GET /api/v1/mqtt, issue 29):
  /// those under `root` ("$tenants/acme/") shown without it; with `all`
  /// every namespace under the broker's names; else (root "") the global
  /// namespace only. At most `max_items` of each.
  std::string overview(const std::string& root, bool all,
                       size_t max_items) const;
  uint64_t dropped() const { return dropped_; }
  void note_dropped() { ++dropped_; }
  /// Drops the client if the actor at `addr` still owns it (an actor that
  /// ended abnormally).
  void forget(const std::string& client_id, const caf::actor_addr& addr);
  /// Ingest messages refused while the database was overloaded (5.0:
  /// 0x97; 3.1.1: the connection closes and the client resends).
  std::atomic<uint64_t> ingest_refused{0};
  /// Ingest messages that can never be stored (bad collection name, JSON
  /// too deep, refused by the store): acknowledged (5.0: with a reason
  /// code) and dropped.
  std::atomic<uint64_t> ingest_rejected{0};

  /// Traffic counters ($SYS topics, /metrics).
  std::atomic<uint64_t> messages_received{0}, messages_sent{0},
    bytes_received{0}, bytes_sent{0};
  /// The same messages by QoS (index 0–2), and the QoS 1/2 messages sent
  /// and not yet acknowledged (connections report theirs once a second).
  std::array<std::atomic<uint64_t>, 3> received_by_qos{}, sent_by_qos{};
  std::atomic<int64_t> inflight{0};
  std::atomic<uint64_t> connects{0}; ///< CONNACKs that accepted
  /// The themis_mqtt_* families for /metrics.
  void render_metrics(prometheus_text& out) const;
  /// Publishes the $SYS/broker/… statistics as retained messages.
  void publish_sys(const std::string& version, int64_t uptime_s);

  /// Offline QoS 1/2 messages kept per session (oldest dropped beyond, and
  /// beyond the session's max_queued_bytes).
  static constexpr size_t max_offline = 1000;

private:
  struct sub {
    mqtt::subscription opts;
    uint32_t id = 0;
  };
  struct client {
    caf::actor actor; ///< null while a persistent session is offline
    mqtt_inbox inbox; ///< of the connected actor (may be null)
    /// Its connection's mqtt.max_queued_bytes: bounds the inbox and the
    /// offline queue (0 until a connection set it, after a restore).
    size_t inbox_limit = 0;
    size_t offline_bytes = 0; ///< topic + payload bytes of `offline`
    std::map<std::string, sub> subs;
    std::set<std::string> shared;      ///< keys of shared_ it is a member of
    small_fifo<mqtt_delivery> offline; ///< nothing allocated while empty
    std::vector<mqtt::pending_message> resend;
    std::vector<uint16_t> awaiting_rel;
    std::shared_ptr<const mqtt::acl_rules> acl;
    uint32_t expiry_s = 0;
    int64_t expires_ms = 0; ///< steady ms; 0: never
    bool resumed = false;   ///< the current connection resumed a session
    heap_optional<mqtt::message> will; ///< rare: not inline
    int64_t will_at_ms = 0;
    mqtt_client_facts facts; ///< of the current (or last) connection
  };
  /// `$share/{group}/{filter}`: its members and whose turn it is.
  struct shared_group {
    std::string filter;
    std::map<std::string, sub> members; ///< client id → options
    size_t next = 0;
  };
  using out_list = std::vector<std::pair<caf::actor, mqtt_delivery>>;
  /// A session's plain and shared subscriptions (under mtx_).
  std::vector<std::pair<std::string, sub>>
  subscriptions_of(const std::string& id, const client& c) const;

  void expire(int64_t now_ms, std::vector<mqtt::message>& wills);
  void drop_session(std::map<std::string, client>::iterator it);
  void enqueue_offline(client& c, mqtt_delivery d);
  void route(const mqtt::message& m, const std::string& from, out_list& out);
  /// Gives `m` to one member of `key` (not `except`): a connected one
  /// first, else a persistent offline one. False if there is none.
  bool dispatch_shared(const std::string& key, const mqtt::message& m,
                       uint8_t qos, const std::string& except, out_list& out);
  void leave_shared(const std::string& client_id, client& c);
  /// Gives unacknowledged shared-subscription messages to another member;
  /// returns the rest.
  std::vector<mqtt::pending_message>
  redispatch(const std::string& client_id,
             std::vector<mqtt::pending_message> msgs, out_list& out);
  /// Publishes wills (their message expiry starts now).
  void publish_wills(std::vector<mqtt::message>& wills);
  static void send_all(out_list& out);
  /// Counts `d` in the connected client's inbox; false (drop it) when the
  /// inbox is at its bound.
  static bool admit(client& c, mqtt_delivery& d);

  mutable std::mutex mtx_;
  std::map<std::string, client> clients_;
  std::map<std::string, shared_group> shared_;
  /// Filters → client ids, and shared filters → group keys: routing
  /// visits only what can match.
  mqtt::sub_tree tree_;
  mqtt::sub_tree shared_tree_;
  std::map<std::string, std::shared_ptr<const mqtt::message>> retained_;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<bool> dirty_{false};
};

} // namespace themis

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::mqtt_delivery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::mqtt_handover)
