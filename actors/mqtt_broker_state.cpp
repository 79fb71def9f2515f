/// Saving and restoring the broker across a restart: persistent sessions
/// (their subscriptions and the QoS 1/2 messages waiting for them) and
/// the retained messages, as one JSON document in the store.

#include <chrono>
#include <nlohmann/json.hpp>

#include "actors/mqtt_broker.hpp"
#include "themis/input_limits.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// Message expiry is kept as the time left (steady clocks restart).
json message_json(const mqtt::message& m, int64_t now) {
  json j{{"topic", m.topic},
         {"payload", base64_encode(m.payload)},
         {"qos", m.qos},
         {"retain", m.retain}};
  auto& p = m.props;
  if (p.content_type)
    j["content_type"] = *p.content_type;
  if (p.payload_format)
    j["payload_format"] = *p.payload_format;
  if (p.response_topic)
    j["response_topic"] = *p.response_topic;
  if (p.correlation_data)
    j["correlation_data"] = base64_encode(*p.correlation_data);
  if (!p.user.empty())
    j["user"] = p.user;
  if (m.expires_at_ms)
    j["expires_in_ms"] = static_cast<int64_t>(m.expires_at_ms) - now;
  if (!m.shared_group.empty())
    j["shared_group"] = m.shared_group;
  return j;
}

mqtt::message message_of(const json& j, int64_t now) {
  mqtt::message m;
  m.topic = j.value("topic", "");
  m.payload = base64_decode(j.value("payload", "")).value_or("");
  m.qos = j.value("qos", 0);
  m.retain = j.value("retain", false);
  auto& p = m.props;
  if (j.contains("content_type"))
    p.content_type = j["content_type"].get<std::string>();
  if (j.contains("payload_format"))
    p.payload_format = j["payload_format"].get<uint8_t>();
  if (j.contains("response_topic"))
    p.response_topic = j["response_topic"].get<std::string>();
  if (j.contains("correlation_data"))
    p.correlation_data =
      base64_decode(j["correlation_data"].get<std::string>()).value_or("");
  if (j.contains("user"))
    p.user = j["user"].get<std::vector<std::pair<std::string, std::string>>>();
  if (j.contains("expires_in_ms")) {
    auto left = j["expires_in_ms"].get<int64_t>();
    m.expires_at_ms = static_cast<uint64_t>(now + std::max<int64_t>(left, 1));
    m.props.message_expiry = 1; // recomputed when sent
  }
  m.shared_group = j.value("shared_group", "");
  return m;
}

} // namespace

static json sub_json(const std::string& filter, const mqtt::subscription& o,
                     uint32_t id) {
  return {{"filter", filter},        {"qos", o.qos},
          {"no_local", o.no_local},  {"rap", o.retain_as_published},
          {"rh", o.retain_handling}, {"id", id}};
}

std::vector<std::pair<std::string, mqtt_broker::sub>>
mqtt_broker::subscriptions_of(const std::string& id, const client& c) const {
  std::vector<std::pair<std::string, sub>> out(c.subs.begin(), c.subs.end());
  for (auto& key : c.shared) {
    auto grp = shared_.find(key);
    if (grp == shared_.end())
      continue;
    auto m = grp->second.members.find(id);
    if (m != grp->second.members.end())
      out.emplace_back(key, m->second);
  }
  return out;
}

std::string mqtt_broker::snapshot() const {
  // copied under the lock (shared pointers and small vectors), turned
  // into JSON after it: routing does not wait for the serialization
  struct saved {
    std::string id;
    int64_t left;
    uint32_t expiry_s;
    std::vector<std::pair<std::string, sub>> subs;
    std::vector<mqtt_delivery> offline;
    std::vector<mqtt::pending_message> resend;
    std::vector<uint16_t> awaiting_rel;
  };
  std::vector<saved> sessions;
  std::vector<std::shared_ptr<const mqtt::message>> retained;
  auto now = now_ms();
  {
    std::lock_guard<std::mutex> g(mtx_);
    for (auto& [topic, m] : retained_)
      if (topic.rfind("$SYS/", 0) != 0)
        retained.push_back(m);
    for (auto& [id, c] : clients_) {
      if (c.expiry_s == 0 && c.actor)
        continue; // ends with its connection
      // a connected session is saved as if it left now (for a crash)
      int64_t left =
        c.actor ? (c.expiry_s == 0xFFFFFFFFu ? -1 : int64_t{c.expiry_s} * 1000)
                : (c.expires_ms ? c.expires_ms - now : -1);
      saved s{id, left,     c.expiry_s,    subscriptions_of(id, c),
              {}, c.resend, c.awaiting_rel};
      s.offline.assign(c.offline.begin(), c.offline.end());
      sessions.push_back(std::move(s));
    }
  }
  json j;
  j["retained"] = json::array();
  for (auto& m : retained)
    j["retained"].push_back(message_json(*m, now));
  j["sessions"] = json::array();
  for (auto& s : sessions) {
    json o{{"id", s.id}, {"expires_in_ms", s.left}, {"expiry_s", s.expiry_s}};
    o["subs"] = json::array();
    for (auto& [filter, su] : s.subs)
      o["subs"].push_back(sub_json(filter, su.opts, su.id));
    o["offline"] = json::array();
    for (auto& d : s.offline)
      o["offline"].push_back(
        {{"message", message_json(*d.msg, now)}, {"qos", d.qos}});
    o["resend"] = json::array();
    for (auto& pm : s.resend)
      o["resend"].push_back({{"message", message_json(pm.msg, now)},
                             {"qos", pm.qos},
                             {"packet_id", pm.packet_id},
                             {"released", pm.released}});
    o["awaiting_rel"] = s.awaiting_rel;
    j["sessions"].push_back(std::move(o));
  }
  return j.dump();
}

void mqtt_broker::restore(const std::string& text) {
  // our own output (trusted), nesting about 6 deep; a damaged or forged
  // blob must still not recurse deeper than that before it is judged
  constexpr size_t max_state_depth = 32;
  if (json_depth(text, max_state_depth) > max_state_depth)
    throw std::runtime_error("the saved MQTT state nests too deep");
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error("the saved MQTT state is not a JSON object");
  // built aside and swapped in whole: a bad entry is skipped (and said),
  // never half-applied
  std::map<std::string, client> clients;
  std::map<std::string, shared_group> shared;
  std::map<std::string, std::shared_ptr<const mqtt::message>> retained;
  mqtt::sub_tree tree, shared_tree;
  size_t skipped = 0;
  auto now = now_ms();
  for (auto& r : j.value("retained", json::array())) {
    try {
      auto m = message_of(r, now);
      auto topic = m.topic; // (the right side of = is evaluated first)
      retained[topic] = std::make_shared<const mqtt::message>(std::move(m));
    } catch (const json::exception&) {
      ++skipped;
    }
  }
  for (auto& s : j.value("sessions", json::array())) {
    try {
      auto left = s.value("expires_in_ms", int64_t{-1});
      if (left != -1 && left <= 0)
        continue; // expired while themisd was stopping
      auto id = s.value("id", "");
      client c;
      c.expires_ms = left < 0 ? 0 : now + left;
      c.expiry_s = s.value("expiry_s", 0xFFFFFFFFu);
      std::vector<std::pair<std::string, sub>> shared_subs;
      for (auto& x : s.value("subs", json::array())) {
        sub su;
        su.opts.filter = x.value("filter", "");
        su.opts.qos = x.value("qos", 0);
        su.opts.no_local = x.value("no_local", false);
        su.opts.retain_as_published = x.value("rap", false);
        su.opts.retain_handling = x.value("rh", 0);
        su.id = x.value("id", 0u);
        std::string group, filter;
        if (mqtt::split_shared(su.opts.filter, group, filter)) {
          shared_subs.emplace_back(filter, su);
          c.shared.insert(su.opts.filter);
        } else {
          c.subs[su.opts.filter] = su;
        }
      }
      for (auto& x : s.value("offline", json::array())) {
        mqtt_delivery d;
        d.msg = std::make_shared<const mqtt::message>(
          message_of(x.value("message", json::object()), now));
        d.qos = x.value("qos", 1);
        c.offline_bytes += d.msg->topic.size() + d.msg->payload.size();
        c.offline.push_back(std::move(d));
      }
      for (auto& x : s.value("resend", json::array())) {
        mqtt::pending_message pm;
        pm.msg = message_of(x.value("message", json::object()), now);
        pm.qos = x.value("qos", 1);
        pm.packet_id = x.value("packet_id", 0);
        pm.released = x.value("released", false);
        c.resend.push_back(std::move(pm));
      }
      c.awaiting_rel = s.value("awaiting_rel", std::vector<uint16_t>{});
      for (auto& [filter, su] : shared_subs) {
        auto& grp = shared[su.opts.filter];
        if (grp.members.empty())
          shared_tree.add(filter, su.opts.filter);
        grp.filter = filter;
        grp.members[id] = su;
      }
      for (auto& [filter, su] : c.subs)
        tree.add(filter, id);
      clients[id] = std::move(c);
    } catch (const json::exception&) {
      ++skipped;
    }
  }
  std::lock_guard<std::mutex> g(mtx_);
  clients_ = std::move(clients);
  shared_ = std::move(shared);
  retained_ = std::move(retained);
  tree_ = std::move(tree);
  shared_tree_ = std::move(shared_tree);
  if (skipped)
    throw std::runtime_error(std::to_string(skipped) +
                             " malformed entries in the saved MQTT state "
                             "were skipped");
}

} // namespace themis
