#pragma once
/// The MQTT broker core: who is connected under which client id, their
/// subscriptions, and the retained messages. Connection actors call it;
/// it routes a PUBLISH by sending each matching subscriber's actor one
/// delivery (overlapping subscriptions of one client are delivered once,
/// at the highest granted QoS). A mutex guards it: routing is a short
/// critical section; the deliveries themselves go through mailboxes.

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
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

class mqtt_broker {
public:
  /// Registers `a` as `client_id`; returns the actor it replaces (the
  /// session is taken over), or a null handle.
  caf::actor connect(const std::string& client_id, caf::actor a);
  /// Forgets the client if `a` still owns the id.
  void disconnect(const std::string& client_id, const caf::actor& a);
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

  size_t clients() const;
  size_t retained_count() const;

private:
  struct sub {
    mqtt::subscription opts;
    uint32_t id = 0;
  };
  struct client {
    caf::actor actor;
    std::map<std::string, sub> subs;
  };
  mutable std::mutex mtx_;
  std::map<std::string, client> clients_;
  std::map<std::string, std::shared_ptr<const mqtt::message>> retained_;
};

} // namespace themis

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::mqtt_delivery)
