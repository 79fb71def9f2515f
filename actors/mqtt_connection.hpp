#pragma once
/// One MQTT client: an event-based actor owning the socket's byte stream
/// (tcp_connection) and an mqtt::session; it routes through the broker
/// core, and stores PUBLISHes on ingest topics through the store writer,
/// acknowledging QoS 1/2 only after the commit.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;
class tcp_connection;
class wire_transport;

/// The broker's clock: $SYS/broker/… every mqtt.sys_interval_s, session
/// expiry, delayed wills, and saving the broker state (mqtt_services.cpp).
caf::actor spawn_mqtt_sys(caf::actor_system& sys,
                          std::shared_ptr<server_context> ctx);

/// Publishes committed changes on `{mqtt.changes_prefix}{collection}`.
caf::actor spawn_mqtt_changes(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx);

caf::actor spawn_mqtt_connection(caf::actor_system& sys,
                                 std::shared_ptr<tcp_connection> conn,
                                 std::shared_ptr<server_context> ctx);

/// The same session over another byte transport (MQTT over WebSocket).
caf::actor spawn_mqtt_connection(caf::actor_system& sys,
                                 std::shared_ptr<wire_transport> transport,
                                 std::shared_ptr<server_context> ctx);

} // namespace themis
