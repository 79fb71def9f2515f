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

/// A will becomes an ordinary message when it is published; its expiry
/// starts then.
void stamp_expiry(mqtt::message& m) {
  if (m.props.message_expiry)
    m.expires_at_ms = static_cast<uint64_t>(steady_ms()) +
                      uint64_t{*m.props.message_expiry} * 1000;
}

} // namespace

void mqtt_broker::send_all(out_list& out) {
  for (auto& [a, d] : out)
    caf::anon_send(a, mqtt_deliver_atom::value, std::move(d));
}

bool mqtt_broker::admit(client& c, mqtt_delivery& d) {
  if (!c.inbox)
    return true;
  auto cost = d.msg->topic.size() + d.msg->payload.size();
  if (c.inbox_limit &&
      c.inbox->load(std::memory_order_relaxed) >= c.inbox_limit)
    return false;
  c.inbox->fetch_add(cost, std::memory_order_relaxed);
  d.counted = cost;
  return true;
}

void mqtt_broker::drop_session(std::map<std::string, client>::iterator it) {
  leave_shared(it->first, it->second);
  for (auto& [filter, s] : it->second.subs)
    tree_.remove(filter, it->first);
  clients_.erase(it);
  dirty_ = true;
}

void mqtt_broker::leave_shared(const std::string& id, client& c) {
  for (auto& key : c.shared) {
    auto g = shared_.find(key);
    if (g == shared_.end())
      continue;
    g->second.members.erase(id);
    if (g->second.members.empty()) {
      shared_tree_.remove(g->second.filter, key);
      shared_.erase(g);
    }
  }
  c.shared.clear();
}

void mqtt_broker::expire(int64_t now, std::vector<mqtt::message>& wills) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto& c = it->second;
    if (c.will && c.will_at_ms <= now) {
      wills.push_back(std::move(*c.will));
      c.will.reset();
    }
    if (!c.actor && c.expires_ms && c.expires_ms <= now) {
      if (c.will) // the session ends before the will delay: publish now
        wills.push_back(std::move(*c.will));
      auto next = std::next(it);
      drop_session(it);
      it = next;
    } else {
      ++it;
    }
  }
}

void mqtt_broker::publish_wills(std::vector<mqtt::message>& wills) {
  for (auto& w : wills) {
    stamp_expiry(w);
    publish(w, "");
  }
}

void mqtt_broker::tick() {
  std::vector<mqtt::message> wills;
  {
    std::lock_guard<std::mutex> g(mtx_);
    auto now = steady_ms();
    expire(now, wills);
    for (auto it = retained_.begin(); it != retained_.end();)
      if (it->second->expires_at_ms &&
          it->second->expires_at_ms <= static_cast<uint64_t>(now))
        it = retained_.erase(it); // expired retained messages go
      else
        ++it;
  }
  publish_wills(wills);
}

std::vector<mqtt::pending_message>
mqtt_broker::redispatch(const std::string& id,
                        std::vector<mqtt::pending_message> msgs,
                        out_list& out) {
  std::vector<mqtt::pending_message> keep;
  for (auto& pm : msgs) {
    // a released QoS 2 message reached its member (PUBREC): not again
    if (!pm.msg.shared_group.empty() && !pm.released &&
        dispatch_shared(pm.msg.shared_group, pm.msg, pm.qos, id, out))
      continue;
    keep.push_back(std::move(pm));
  }
  return keep;
}

mqtt_broker::connect_result mqtt_broker::connect(
  const std::string& id, caf::actor a, bool clean_start, uint32_t expiry_s,
  std::shared_ptr<const mqtt::acl_rules> rules, size_t max_sessions,
  mqtt_inbox inbox, size_t inbox_limit) {
  connect_result r;
  std::vector<mqtt::message> wills;
  {
    std::lock_guard<std::mutex> g(mtx_);
    auto it = clients_.find(id);
    if (it != clients_.end() && !it->second.actor && it->second.expires_ms &&
        it->second.expires_ms <= steady_ms()) {
      if (it->second.will) // expired (tick had not swept it yet)
        wills.push_back(std::move(*it->second.will));
      drop_session(it);
      it = clients_.end();
    }
    if (it == clients_.end() && max_sessions &&
        clients_.size() >= max_sessions) {
      r.refused = true;
      return r;
    }
    if (it != clients_.end()) {
      r.replaced = std::move(it->second.actor);
      if (clean_start) {
        // the old session ends: a will it still holds is due now
        if (it->second.will)
          wills.push_back(std::move(*it->second.will));
        drop_session(it);
      } else {
        auto& c = it->second;
        r.session_present = true;
        c.will.reset(); // back before the will delay passed: no will
        // what waited is checked against the ACL of whoever resumes it
        // (a restored session has no rules of its own)
        for (auto& pm : c.resend)
          if (!rules || rules->can_read(pm.msg.topic))
            r.resend.push_back(std::move(pm));
        r.awaiting_rel = std::move(c.awaiting_rel);
        for (auto& d : c.offline)
          if (!rules || rules->can_read(d.msg->topic)) {
            d.backlog = true;
            r.queued.push_back(std::move(d));
          }
        c.resend.clear();
        c.awaiting_rel.clear();
        c.offline.clear();
        c.offline_bytes = 0;
      }
    }
    auto& c = clients_[id];
    c.actor = std::move(a);
    c.inbox = std::move(inbox);
    c.inbox_limit = inbox_limit;
    c.expires_ms = 0;
    c.expiry_s = expiry_s;
    c.acl = std::move(rules);
    c.resumed = r.session_present;
    if (expiry_s)
      dirty_ = true;
  }
  publish_wills(wills);
  return r;
}

void mqtt_broker::disconnect(const std::string& id, const caf::actor& a,
                             mqtt_goodbye bye) {
  out_list out;
  std::vector<mqtt::message> wills;
  caf::actor successor;
  mqtt_handover handover;
  {
    std::lock_guard<std::mutex> g(mtx_);
    auto unacked = redispatch(id, std::move(bye.unacked), out);
    auto it = clients_.find(id);
    if (it == clients_.end() || it->second.actor != a) {
      // taken over: a connection that resumed the session gets what this
      // one had not finished; one that started clean ended the session,
      // and with it the will delay
      bool resumed = it != clients_.end() && it->second.resumed;
      if (bye.will && (bye.will_delay_s == 0 || !resumed))
        wills.push_back(std::move(*bye.will));
      if (resumed && it->second.actor) {
        successor = it->second.actor;
        handover.msgs = std::move(unacked);
        handover.awaiting_rel = std::move(bye.awaiting_rel);
      } else if (resumed) {
        auto& c = it->second; // it has left already as well
        for (auto& pm : unacked)
          c.resend.push_back(std::move(pm));
        c.awaiting_rel.insert(c.awaiting_rel.end(), bye.awaiting_rel.begin(),
                              bye.awaiting_rel.end());
        dirty_ = true;
      }
    } else if (bye.expiry_s == 0) {
      if (bye.will)
        wills.push_back(std::move(*bye.will));
      drop_session(it);
    } else {
      auto& c = it->second;
      c.actor = nullptr;
      c.expires_ms = bye.expiry_s == 0xFFFFFFFFu
                       ? 0
                       : steady_ms() + int64_t{bye.expiry_s} * 1000;
      c.expiry_s = bye.expiry_s;
      c.awaiting_rel = std::move(bye.awaiting_rel);
      for (auto& pm : unacked) {
        if (pm.packet_id) {
          c.resend.push_back(std::move(pm));
          continue;
        }
        mqtt_delivery d;
        d.qos = pm.qos;
        d.msg = std::make_shared<const mqtt::message>(std::move(pm.msg));
        enqueue_offline(c, std::move(d));
      }
      if (bye.will && bye.will_delay_s == 0) {
        wills.push_back(std::move(*bye.will));
      } else if (bye.will) {
        c.will = std::move(bye.will);
        c.will_at_ms = steady_ms() + int64_t{bye.will_delay_s} * 1000;
      }
      dirty_ = true;
    }
  }
  send_all(out);
  if (successor && (!handover.msgs.empty() || !handover.awaiting_rel.empty()))
    caf::anon_send(successor, mqtt_resume_atom::value, std::move(handover));
  publish_wills(wills);
}

void mqtt_broker::enqueue_offline(client& c, mqtt_delivery d) {
  auto cost = [](const mqtt_delivery& x) {
    return x.msg->topic.size() + x.msg->payload.size();
  };
  c.offline_bytes += cost(d);
  c.offline.push_back(std::move(d));
  while (c.offline.size() > max_offline ||
         (c.inbox_limit && c.offline.size() > 1 &&
          c.offline_bytes > c.inbox_limit)) {
    c.offline_bytes -= std::min(c.offline_bytes, cost(c.offline.front()));
    c.offline.pop_front(); // the oldest goes first
    ++dropped_;
  }
  dirty_ = true;
}

std::vector<uint8_t>
mqtt_broker::subscribe(const std::string& id, const mqtt::subscribe_packet& s,
                       uint8_t version, std::vector<mqtt_delivery>& retained) {
  namespace reason = mqtt::reason;
  std::vector<uint8_t> codes;
  std::lock_guard<std::mutex> g(mtx_);
  auto it = clients_.find(id);
  if (it == clients_.end())
    return std::vector<uint8_t>(s.topics.size(), reason::unspecified);
  auto& c = it->second;
  auto refuse = [&](uint8_t code5) {
    codes.push_back(version == 5 ? code5 : reason::unspecified);
  };
  uint32_t sub_id =
    s.props.subscription_ids.empty() ? 0 : s.props.subscription_ids[0];
  auto now = static_cast<uint64_t>(steady_ms());
  for (auto& t : s.topics) {
    std::string group, filter;
    bool is_shared = mqtt::split_shared(t.filter, group, filter);
    if (!is_shared)
      filter = t.filter;
    // "$share/g" or "$share//x" are malformed shared filters, not topics
    if ((!is_shared && t.filter.rfind("$share/", 0) == 0) ||
        !mqtt::valid_topic_filter(filter)) {
      refuse(reason::topic_filter_invalid);
      continue;
    }
    if (c.acl && !c.acl->can_subscribe(filter)) {
      refuse(reason::not_authorized);
      continue;
    }
    codes.push_back(t.qos);
    if (c.expiry_s)
      dirty_ = true;
    if (is_shared) {
      // no retained messages for a shared subscription (§4.8.2)
      auto& grp = shared_[t.filter];
      if (grp.members.empty())
        shared_tree_.add(filter, t.filter);
      grp.filter = filter;
      grp.members[id] = sub{t, sub_id};
      c.shared.insert(t.filter);
      continue;
    }
    bool existed = c.subs.count(t.filter) > 0;
    c.subs[t.filter] = sub{t, sub_id};
    if (!existed)
      tree_.add(t.filter, id);
    // retain handling: 0 always send retained, 1 only for a new
    // subscription, 2 never
    if (t.retain_handling == 2 || (t.retain_handling == 1 && existed))
      continue;
    for (auto& [topic, m] : retained_)
      if (mqtt::topic_matches(t.filter, topic) &&
          (!m->expires_at_ms || m->expires_at_ms > now) &&
          (!c.acl || c.acl->can_read(topic))) {
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
    bool had = false;
    if (it != clients_.end()) {
      had = it->second.subs.erase(f) > 0;
      if (had)
        tree_.remove(f, id);
      if (it->second.shared.erase(f)) {
        had = true;
        auto grp = shared_.find(f);
        if (grp != shared_.end()) {
          grp->second.members.erase(id);
          if (grp->second.members.empty()) {
            shared_tree_.remove(grp->second.filter, f);
            shared_.erase(grp);
          }
        }
      }
      if (had && it->second.expiry_s)
        dirty_ = true;
    }
    codes.push_back(had ? mqtt::reason::success
                        : mqtt::reason::no_subscription_existed);
  }
  return codes;
}

void mqtt_broker::forget(const std::string& id, const caf::actor_addr& addr) {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = clients_.find(id);
  if (it != clients_.end() && it->second.actor &&
      it->second.actor.address() == addr)
    drop_session(it);
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
