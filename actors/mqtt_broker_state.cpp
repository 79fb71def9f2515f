/// Saving and restoring the broker across a restart: persistent sessions
/// (their subscriptions and the QoS 1/2 messages waiting for them) and
/// the retained messages, as one JSON document in the store.

#include <chrono>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "actors/mqtt_broker.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

std::string b64_impl(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(in.data()),
                           static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string unb64_impl(const std::string& in) {
  std::string out(3 * in.size() / 4 + 3, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(in.data()),
                           static_cast<int>(in.size()));
  if (n < 0)
    return {};
  size_t pad = 0;
  if (!in.empty() && in.back() == '=')
    ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=')
    ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

json message_json(const mqtt::message& m) {
  json j{{"topic", m.topic},
         {"payload", base64_encode(m.payload)},
         {"qos", m.qos},
         {"retain", m.retain}};
  if (m.props.content_type)
    j["content_type"] = *m.props.content_type;
  if (m.props.payload_format)
    j["payload_format"] = *m.props.payload_format;
  return j;
}

mqtt::message message_of(const json& j) {
  mqtt::message m;
  m.topic = j.value("topic", "");
  m.payload = base64_decode(j.value("payload", ""));
  m.qos = j.value("qos", 0);
  m.retain = j.value("retain", false);
  if (j.contains("content_type"))
    m.props.content_type = j["content_type"].get<std::string>();
  if (j.contains("payload_format"))
    m.props.payload_format = j["payload_format"].get<uint8_t>();
  return m;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace

std::string base64_encode(const std::string& in) {
  return b64_impl(in);
}

std::string base64_decode(const std::string& in) {
  return unb64_impl(in);
}

std::string mqtt_broker::snapshot() const {
  std::lock_guard<std::mutex> g(mtx_);
  json j;
  j["retained"] = json::array();
  for (auto& [topic, m] : retained_)
    j["retained"].push_back(message_json(*m));
  j["sessions"] = json::array();
  auto now = now_ms();
  for (auto& [id, c] : clients_) {
    if (c.actor)
      continue; // still connected at shutdown: its connection has ended it
    json s{{"id", id},
           {"expires_in_ms", c.expires_ms ? c.expires_ms - now : -1}};
    s["subs"] = json::array();
    for (auto& [filter, sub] : c.subs)
      s["subs"].push_back({{"filter", filter},
                           {"qos", sub.opts.qos},
                           {"no_local", sub.opts.no_local},
                           {"rap", sub.opts.retain_as_published},
                           {"rh", sub.opts.retain_handling},
                           {"id", sub.id}});
    s["offline"] = json::array();
    for (auto& d : c.offline)
      s["offline"].push_back(
        {{"message", message_json(*d.msg)}, {"qos", d.qos}});
    j["sessions"].push_back(std::move(s));
  }
  return j.dump();
}

void mqtt_broker::restore(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return;
  std::lock_guard<std::mutex> g(mtx_);
  auto now = now_ms();
  for (auto& r : j.value("retained", json::array())) {
    auto m = message_of(r);
    auto topic = m.topic; // (the right side of = is evaluated first)
    retained_[topic] = std::make_shared<const mqtt::message>(std::move(m));
  }
  for (auto& s : j.value("sessions", json::array())) {
    auto left = s.value("expires_in_ms", int64_t{-1});
    if (left != -1 && left <= 0)
      continue; // expired while themisd was stopping
    auto& c = clients_[s.value("id", "")];
    c.expires_ms = left < 0 ? 0 : now + left;
    for (auto& x : s.value("subs", json::array())) {
      sub su;
      su.opts.filter = x.value("filter", "");
      su.opts.qos = x.value("qos", 0);
      su.opts.no_local = x.value("no_local", false);
      su.opts.retain_as_published = x.value("rap", false);
      su.opts.retain_handling = x.value("rh", 0);
      su.id = x.value("id", 0u);
      c.subs[su.opts.filter] = su;
    }
    for (auto& x : s.value("offline", json::array())) {
      mqtt_delivery d;
      d.msg = std::make_shared<const mqtt::message>(
        message_of(x.value("message", json::object())));
      d.qos = x.value("qos", 1);
      c.offline.push_back(std::move(d));
    }
  }
}

} // namespace themis
