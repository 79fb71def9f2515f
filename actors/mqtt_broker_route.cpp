/// Routing a PUBLISH: retained store, plain subscriptions (once per client
/// at the highest QoS), shared subscription groups (one member each), and
/// the $SYS statistics.

#include <algorithm>
#include <caf/send.hpp>

#include "actors/messages.hpp"
#include "actors/mqtt_broker.hpp"

namespace themis {

bool mqtt_broker::dispatch_shared(const std::string& key,
                                  const mqtt::message& m, uint8_t qos,
                                  const std::string& except, out_list& out) {
  auto g = shared_.find(key);
  if (g == shared_.end() || g->second.members.empty())
    return false;
  auto& grp = g->second;
  auto n = grp.members.size();
  auto start = grp.next % n;
  auto pick = [&](bool online) -> bool {
    auto it = std::next(grp.members.begin(), static_cast<long>(start));
    for (size_t i = 0; i < n; ++i, ++it) {
      if (it == grp.members.end())
        it = grp.members.begin();
      auto& [cid, s] = *it;
      auto c = clients_.find(cid);
      if (cid == except || c == clients_.end() ||
          (c->second.acl && !c->second.acl->can_read(m.topic)))
        continue;
      uint8_t q = std::min(qos, s.opts.qos);
      if (online != static_cast<bool>(c->second.actor) || (!online && q == 0))
        continue;
      auto copy = std::make_shared<mqtt::message>(m);
      copy->shared_group = key;
      if (!s.opts.retain_as_published)
        copy->retain = false;
      mqtt_delivery d;
      d.qos = q;
      d.msg = std::move(copy);
      if (s.id)
        d.subscription_ids.push_back(s.id);
      if (online && !admit(c->second, d))
        continue; // this member is behind: another one, if any
      grp.next = (start + i + 1) % n;
      if (online)
        out.emplace_back(c->second.actor, std::move(d));
      else
        enqueue_offline(c->second, std::move(d));
      return true;
    }
    return false;
  };
  // a connected member first; an offline persistent one keeps QoS 1/2
  return pick(true) || pick(false);
}

void mqtt_broker::route(const mqtt::message& m, const std::string& from,
                        out_list& out) {
  auto shared = std::make_shared<const mqtt::message>(m);
  std::shared_ptr<const mqtt::message> unretained;
  // the clients with a matching filter, each once
  std::vector<const std::string*> matched;
  tree_.match(m.topic, [&](const std::string& c) { matched.push_back(&c); });
  std::sort(matched.begin(), matched.end(),
            [](auto* a, auto* b) { return *a < *b; });
  matched.erase(std::unique(matched.begin(), matched.end(),
                            [](auto* a, auto* b) { return *a == *b; }),
                matched.end());
  for (auto* id : matched) {
    auto found = clients_.find(*id);
    if (found == clients_.end())
      continue;
    auto& cid = found->first;
    auto& c = found->second;
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
    if (!match || (c.acl && !c.acl->can_read(m.topic)))
      continue;
    if (!c.actor && qos == 0)
      continue; // an offline session keeps QoS 1 and 2 only
    mqtt_delivery d;
    d.qos = qos;
    d.subscription_ids = std::move(ids);
    if (m.retain && !rap) {
      // delivered live: RETAIN is cleared unless retain-as-published
      if (!unretained) {
        auto copy = std::make_shared<mqtt::message>(m);
        copy->retain = false;
        unretained = std::move(copy);
      }
      d.msg = unretained;
    } else {
      d.msg = shared;
    }
    if (!c.actor) {
      enqueue_offline(c, std::move(d));
      continue;
    }
    if (!admit(c, d)) { // its connection is behind by a whole bound
      ++dropped_;
      continue;
    }
    out.emplace_back(c.actor, std::move(d));
  }
  std::vector<std::string> groups;
  shared_tree_.match(m.topic,
                     [&](const std::string& key) { groups.push_back(key); });
  for (auto& key : groups)
    dispatch_shared(key, m, m.qos, "", out);
}

size_t mqtt_broker::publish(const mqtt::message& m, const std::string& from) {
  out_list out;
  {
    std::lock_guard<std::mutex> g(mtx_);
    if (m.retain) {
      if (m.payload.empty())
        retained_.erase(m.topic); // an empty retained message clears it
      else
        retained_[m.topic] = std::make_shared<const mqtt::message>(m);
      if (m.topic.rfind("$SYS/", 0) != 0)
        dirty_ = true; // (the statistics are made again after a restart)
    }
    route(m, from, out);
  }
  auto n = out.size();
  send_all(out);
  return n;
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
  sys("ingest/refused", std::to_string(ingest_refused.load()));
  sys("ingest/rejected", std::to_string(ingest_rejected.load()));
  sys("bytes/received", std::to_string(bytes_received.load()));
  sys("bytes/sent", std::to_string(bytes_sent.load()));
  sys("retained messages/count", std::to_string(retained_count()));
}

} // namespace themis
