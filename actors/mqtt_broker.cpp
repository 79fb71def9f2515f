#include "actors/mqtt_broker.hpp"

#include <caf/send.hpp>
#include <chrono>

#include "actors/messages.hpp"

namespace themis {

namespace {

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace

void mqtt_broker::expire(int64_t now) {
  for (auto it = clients_.begin(); it != clients_.end();)
    if (!it->second.actor && it->second.expires_ms &&
        it->second.expires_ms <= now)
      it = clients_.erase(it);
    else
      ++it;
}

mqtt_broker::connect_result
mqtt_broker::connect(const std::string& id, caf::actor a, bool clean_start) {
  connect_result r;
  std::lock_guard<std::mutex> g(mtx_);
  expire(steady_ms());
  auto it = clients_.find(id);
  if (it != clients_.end()) {
    r.replaced = std::move(it->second.actor);
    if (clean_start) {
      clients_.erase(it);
    } else {
      r.session_present = true;
      r.queued.assign(std::make_move_iterator(it->second.offline.begin()),
                      std::make_move_iterator(it->second.offline.end()));
      it->second.offline.clear();
    }
  }
  auto& c = clients_[id];
  c.actor = std::move(a);
  c.expires_ms = 0;
  c.resumed = r.session_present;
  return r;
}

void mqtt_broker::disconnect(
  const std::string& id, const caf::actor& a, uint32_t expiry_s,
  std::vector<std::pair<mqtt::message, uint8_t>> unacked) {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = clients_.find(id);
  if (it == clients_.end() || it->second.actor != a)
    return; // taken over: the id belongs to another connection now
  if (expiry_s == 0) {
    clients_.erase(it);
    return;
  }
  auto& c = it->second;
  c.actor = nullptr;
  c.expires_ms =
    expiry_s == 0xFFFFFFFFu ? 0 : steady_ms() + int64_t{expiry_s} * 1000;
  for (auto& [m, qos] : unacked) {
    mqtt_delivery d;
    d.msg = std::make_shared<const mqtt::message>(std::move(m));
    d.qos = qos;
    c.offline.push_back(std::move(d));
  }
  while (c.offline.size() > max_offline) {
    c.offline.pop_front();
    ++dropped_;
  }
}

std::vector<uint8_t>
mqtt_broker::subscribe(const std::string& id, const mqtt::subscribe_packet& s,
                       uint8_t version, std::vector<mqtt_delivery>& retained) {
  std::vector<uint8_t> codes;
  std::lock_guard<std::mutex> g(mtx_);
  auto it = clients_.find(id);
  if (it == clients_.end())
    return std::vector<uint8_t>(s.topics.size(), mqtt::reason::unspecified);
  uint32_t sub_id =
    s.props.subscription_ids.empty() ? 0 : s.props.subscription_ids[0];
  for (auto& t : s.topics) {
    std::string group, filter;
    if (mqtt::split_shared(t.filter, group, filter)) {
      codes.push_back(version == 5
                        ? mqtt::reason::shared_subscriptions_not_supported
                        : mqtt::reason::unspecified);
      continue;
    }
    if (!mqtt::valid_topic_filter(t.filter)) {
      codes.push_back(version == 5 ? mqtt::reason::topic_filter_invalid
                                   : mqtt::reason::unspecified);
      continue;
    }
    bool existed = it->second.subs.count(t.filter) > 0;
    it->second.subs[t.filter] = sub{t, sub_id};
    codes.push_back(t.qos);
    // retain handling: 0 always send retained, 1 only for a new
    // subscription, 2 never
    if (t.retain_handling == 2 || (t.retain_handling == 1 && existed))
      continue;
    for (auto& [topic, m] : retained_)
      if (mqtt::topic_matches(t.filter, topic)) {
        mqtt_delivery d;
        d.msg = m;
        d.qos = std::min(t.qos, m->qos);
        if (sub_id)
          d.subscription_ids.push_back(sub_id);
        d.retained = true;
        retained.push_back(std::move(d));
      }
  }
  return codes;
}

std::vector<uint8_t>
mqtt_broker::unsubscribe(const std::string& id,
                         const mqtt::unsubscribe_packet& u) {
  std::vector<uint8_t> codes;
  std::lock_guard<std::mutex> g(mtx_);
  auto it = clients_.find(id);
  for (auto& f : u.filters) {
    bool had = it != clients_.end() && it->second.subs.erase(f) > 0;
    codes.push_back(had ? mqtt::reason::success
                        : mqtt::reason::no_subscription_existed);
  }
  return codes;
}

size_t mqtt_broker::publish(const mqtt::message& m, const std::string& from) {
  auto shared = std::make_shared<const mqtt::message>(m);
  std::vector<std::pair<caf::actor, mqtt_delivery>> out;
  {
    std::lock_guard<std::mutex> g(mtx_);
    if (m.retain) {
      if (m.payload.empty())
        retained_.erase(m.topic); // an empty retained message clears it
      else
        retained_[m.topic] = shared;
    }
    for (auto& [cid, c] : clients_) {
      bool match = false;
      uint8_t qos = 0;
      bool rap = false;
      std::vector<uint32_t> ids;
      for (auto& [filter, s] : c.subs) {
        if (!mqtt::topic_matches(filter, m.topic))
          continue;
        if (s.opts.no_local && cid == from)
          continue;
        match = true;
        qos = std::max(qos, std::min(s.opts.qos, m.qos));
        rap = rap || s.opts.retain_as_published;
        if (s.id)
          ids.push_back(s.id);
      }
      if (!match)
        continue;
      if (!c.actor && qos == 0)
        continue; // an offline session keeps QoS 1 and 2 only
      mqtt_delivery d;
      d.qos = qos;
      d.subscription_ids = std::move(ids);
      if (m.retain && !rap) {
        // delivered live: RETAIN is cleared unless retain-as-published
        auto copy = std::make_shared<mqtt::message>(m);
        copy->retain = false;
        d.msg = std::move(copy);
      } else {
        d.msg = shared;
      }
      if (!c.actor) {
        c.offline.push_back(std::move(d));
        if (c.offline.size() > max_offline) {
          c.offline.pop_front(); // the oldest goes first
          ++dropped_;
        }
        continue;
      }
      out.emplace_back(c.actor, std::move(d));
    }
  }
  for (auto& [a, d] : out)
    caf::anon_send(a, mqtt_deliver_atom::value, std::move(d));
  return out.size();
}

void mqtt_broker::publish_sys(const std::string& version, int64_t uptime_s) {
  size_t connected = 0, sessions = 0;
  {
    std::lock_guard<std::mutex> g(mtx_);
    sessions = clients_.size();
    for (auto& [id, c] : clients_)
      connected += c.actor ? 1 : 0;
  }
  auto sys = [&](const std::string& leaf, const std::string& value) {
    mqtt::message m;
    m.topic = "$SYS/broker/" + leaf;
    m.payload = value;
    m.retain = true;
    publish(m, "");
  };
  sys("version", "themisd " + version);
  sys("uptime", std::to_string(uptime_s) + " seconds");
  sys("clients/connected", std::to_string(connected));
  sys("clients/total", std::to_string(sessions));
  sys("messages/received", std::to_string(messages_received.load()));
  sys("messages/sent", std::to_string(messages_sent.load()));
  sys("messages/dropped", std::to_string(dropped_.load()));
  sys("bytes/received", std::to_string(bytes_received.load()));
  sys("bytes/sent", std::to_string(bytes_sent.load()));
  sys("retained messages/count", std::to_string(retained_count()));
}

void mqtt_broker::requeue(const std::string& id,
                          std::vector<std::pair<mqtt::message, uint8_t>> msgs) {
  caf::actor target;
  std::vector<mqtt_delivery> out;
  {
    std::lock_guard<std::mutex> g(mtx_);
    auto it = clients_.find(id);
    if (it == clients_.end() || !it->second.resumed)
      return;
    target = it->second.actor;
    for (auto& [m, qos] : msgs) {
      mqtt_delivery d;
      d.msg = std::make_shared<const mqtt::message>(std::move(m));
      d.qos = qos;
      if (target)
        out.push_back(std::move(d));
      else
        it->second.offline.push_back(std::move(d));
    }
  }
  for (auto& d : out)
    caf::anon_send(target, mqtt_deliver_atom::value, std::move(d));
}

void mqtt_broker::forget(const std::string& id, const caf::actor_addr& addr) {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = clients_.find(id);
  if (it != clients_.end() && it->second.actor &&
      it->second.actor.address() == addr)
    clients_.erase(it);
}

size_t mqtt_broker::clients() const {
  std::lock_guard<std::mutex> g(mtx_);
  return clients_.size();
}

size_t mqtt_broker::retained_count() const {
  std::lock_guard<std::mutex> g(mtx_);
  return retained_.size();
}

} // namespace themis
