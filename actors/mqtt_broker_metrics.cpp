#include "actors/mqtt_broker.hpp"
#include "handlers/prometheus_text.hpp"

namespace themis {

void mqtt_broker::render_metrics(prometheus_text& out) const {
  int64_t connected = 0, sessions = 0, subs = 0, offline = 0, retained = 0;
  {
    std::lock_guard<std::mutex> g(mtx_);
    sessions = static_cast<int64_t>(clients_.size());
    for (auto& [id, c] : clients_) {
      connected += c.actor ? 1 : 0;
      subs += static_cast<int64_t>(c.subs.size() + c.shared.size());
      offline += static_cast<int64_t>(c.offline.size());
    }
    retained = static_cast<int64_t>(retained_.size());
  }
  out.single("themis_mqtt_clients_connected", "gauge",
             "MQTT clients connected now.", connected);
  out.single("themis_mqtt_sessions", "gauge",
             "MQTT sessions, connected or kept for an absent client.",
             sessions);
  out.single("themis_mqtt_subscriptions", "gauge",
             "MQTT subscriptions (shared ones included) of all sessions.",
             subs);
  out.single("themis_mqtt_retained_messages", "gauge",
             "Retained MQTT messages stored.", retained);
  out.single("themis_mqtt_offline_messages", "gauge",
             "QoS 1/2 messages queued for absent clients.", offline);
  out.single("themis_mqtt_inflight_messages", "gauge",
             "QoS 1/2 messages sent and not yet acknowledged.",
             inflight.load());
  out.single("themis_mqtt_connects_total", "counter",
             "MQTT connections accepted (CONNACK success).", connects.load());
  static constexpr std::string_view qos[] = {"0", "1", "2"};
  out.family("themis_mqtt_messages_received_total", "counter",
             "PUBLISH packets received from clients, by QoS.");
  for (int i = 0; i < 3; ++i)
    out.sample("themis_mqtt_messages_received_total", received_by_qos[i].load(),
               {{"qos", qos[i]}});
  out.family("themis_mqtt_messages_sent_total", "counter",
             "Messages delivered to subscribers, by granted QoS.");
  for (int i = 0; i < 3; ++i)
    out.sample("themis_mqtt_messages_sent_total", sent_by_qos[i].load(),
               {{"qos", qos[i]}});
  out.single("themis_mqtt_messages_dropped_total", "counter",
             "Messages dropped: a subscriber's queue or inbox was full, or "
             "an offline queue overflowed.",
             dropped_.load());
  out.single("themis_mqtt_received_bytes_total", "counter",
             "Bytes received on MQTT connections.", bytes_received.load());
  out.single("themis_mqtt_sent_bytes_total", "counter",
             "Bytes sent on MQTT connections.", bytes_sent.load());
  out.single("themis_mqtt_ingest_refused_total", "counter",
             "Ingest messages refused while the database was overloaded.",
             ingest_refused.load());
  out.single("themis_mqtt_ingest_rejected_total", "counter",
             "Ingest messages that could not be stored (acked and dropped).",
             ingest_rejected.load());
}

} // namespace themis
