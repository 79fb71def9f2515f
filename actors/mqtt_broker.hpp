#pragma once
/// The MQTT broker core: who is connected under which client id, their
/// subscriptions, and the retained messages. Connection actors call it;
/// it routes a PUBLISH by sending each matching subscriber's actor one
/// delivery (overlapping subscriptions of one client are delivered once,
/// at the highest granted QoS). A mutex guards it: routing is a short
/// critical section; the deliveries themselves go through mailboxes.

#include <atomic>
#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "protocols/mqtt/mqtt_session.hpp"

namespace themis {

struct mqtt_delivery {
  std::shared_ptr<const mqtt::message> msg;
  uint8_t qos = 0;
  std::vector<uint32_t> subscription_ids;
  bool retained = false; ///< sent because of a new subscription
};

/// Base64 (for binary payloads in JSON: ingest documents, saved state).
std::string base64_encode(const std::string& in);
std::string base64_decode(const std::string& in);

class mqtt_broker {
public:
  struct connect_result {
    caf::actor replaced; ///< a connection taken over (or null)
    bool session_present = false;
    std::vector<mqtt_delivery> queued; ///< kept while the client was away
  };
  /// Registers `a` as `client_id`. With `clean_start` an earlier session
  /// is discarded; otherwise its subscriptions and queued messages resume.
  connect_result connect(const std::string& client_id, caf::actor a,
                         bool clean_start);
  /// The connection `a` ended. A session with `expiry_s` > 0 stays (its
  /// subscriptions collect QoS 1/2 messages) until it expires or the
  /// client returns; `unacked` are delivered again then.
  void disconnect(const std::string& client_id, const caf::actor& a,
                  uint32_t expiry_s,
                  std::vector<std::pair<mqtt::message, uint8_t>> unacked = {});
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

  /// The persistent sessions (subscriptions, waiting messages, expiry)
  /// and the retained messages as JSON, for a restart; and back.
  std::string snapshot() const;
  void restore(const std::string& json);

  size_t clients() const;
  size_t retained_count() const;
  uint64_t dropped() const { return dropped_; }
  void note_dropped() { ++dropped_; }
  /// Drops the client if the actor at `addr` still owns it (an actor that
  /// ended abnormally).
  void forget(const std::string& client_id, const caf::actor_addr& addr);
  std::atomic<uint64_t> ingest_refused{0};
  /// Hands a taken-over connection's undelivered QoS 1/2 messages to the
  /// session that resumed the client id (dropped if it started clean).
  void requeue(const std::string& client_id,
               std::vector<std::pair<mqtt::message, uint8_t>> msgs);

  /// Traffic counters ($SYS topics, /metrics).
  std::atomic<uint64_t> messages_received{0}, messages_sent{0},
    bytes_received{0}, bytes_sent{0};
  /// Publishes the $SYS/broker/… statistics as retained messages.
  void publish_sys(const std::string& version, int64_t uptime_s);

  /// Offline QoS 1/2 messages kept per session (oldest dropped beyond).
  static constexpr size_t max_offline = 1000;

private:
  struct sub {
    mqtt::subscription opts;
    uint32_t id = 0;
  };
  struct client {
    caf::actor actor; ///< null while a persistent session is offline
    std::map<std::string, sub> subs;
    std::deque<mqtt_delivery> offline;
    int64_t expires_ms = 0; ///< steady ms; 0: never
    bool resumed = false;   ///< the current connection resumed a session
  };
  void expire(int64_t now_ms);
  mutable std::mutex mtx_;
  std::map<std::string, client> clients_;
  std::map<std::string, std::shared_ptr<const mqtt::message>> retained_;
  std::atomic<uint64_t> dropped_{0};
};

} // namespace themis

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::mqtt_delivery)
