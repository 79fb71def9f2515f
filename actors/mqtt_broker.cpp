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

void mqtt_broker::drop_session(std::map<std::string, client>::iterator it) {
  leave_shared(it->first, it->second);
  clients_.erase(it);
  dirty_ = true;
}

void mqtt_broker::leave_shared(const std::string& id, client& c) {
  for (auto& key : c.shared) {
    auto g = shared_.find(key);
    if (g == shared_.end())
      continue;
    g->second.members.erase(id);
    if (g->second.members.empty())
      shared_.erase(g);
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

void mqtt_broker::tick() {
  std::vector<mqtt::message> wills;
  {
    std::lock_guard<std::mutex> g(mtx_);
    expire(steady_ms(), wills);
  }
  for (auto& w : wills)
    publish(w, "");
}

mqtt_broker::connect_result
mqtt_broker::connect(const std::string& id, caf::actor a, bool clean_start,
                     uint32_t expiry_s,
                     std::shared_ptr<const mqtt::acl_rules> rules) {
  connect_result r;
  std::vector<mqtt::message> wills;
  {
    std::lock_guard<std::mutex> g(mtx_);
    expire(steady_ms(), wills);
    auto it = clients_.find(id);
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
        r.resend = std::move(c.resend);
        r.awaiting_rel = std::move(c.awaiting_rel);
        r.queued.assign(std::make_move_iterator(c.offline.begin()),
                        std::make_move_iterator(c.offline.end()));
        c.resend.clear();
        c.awaiting_rel.clear();
        c.offline.clear();
      }
    }
    auto& c = clients_[id];
    c.actor = std::move(a);
    c.expires_ms = 0;
    c.expiry_s = expiry_s;
    c.acl = std::move(rules);
    c.resumed = r.session_present;
    if (expiry_s)
      dirty_ = true;
  }
  for (auto& w : wills)
    publish(w, "");
  return r;
}

void mqtt_broker::disconnect(const std::string& id, const caf::actor& a,
                             mqtt_goodbye bye) {
  out_list out;
  std::vector<mqtt::message> wills;
  if (bye.will)
    stamp_expiry(*bye.will);
  {
    std::lock_guard<std::mutex> g(mtx_);
    auto it = clients_.find(id);
    if (it == clients_.end() || it->second.actor != a) {
      // taken over: the session lives on in the new connection, unless
      // that one started clean (then it ended, and so is the will due)
      bool resumed = it != clients_.end() && it->second.resumed;
      if (bye.will && (bye.will_delay_s == 0 || !resumed))
        wills.push_back(std::move(*bye.will));
    } else {
      auto& c = it->second;
      // messages of shared subscriptions go to another member now
      std::vector<mqtt::pending_message> keep;
      for (auto& pm : bye.unacked) {
        if (!pm.msg.shared_group.empty() &&
            dispatch_shared(pm.msg.shared_group, pm.msg, pm.qos, id, out))
          continue;
        keep.push_back(std::move(pm));
      }
      if (bye.expiry_s == 0) {
        if (bye.will)
          wills.push_back(std::move(*bye.will));
        drop_session(it);
      } else {
        c.actor = nullptr;
        c.expires_ms = bye.expiry_s == 0xFFFFFFFFu
                         ? 0
                         : steady_ms() + int64_t{bye.expiry_s} * 1000;
        c.awaiting_rel = std::move(bye.awaiting_rel);
        for (auto& pm : keep) {
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
  }
  send_all(out);
  for (auto& w : wills)
    publish(w, "");
}

void mqtt_broker::enqueue_offline(client& c, mqtt_delivery d) {
  c.offline.push_back(std::move(d));
  if (c.offline.size() > max_offline) {
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
    if (!mqtt::valid_topic_filter(filter)) {
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
      grp.filter = filter;
      grp.members[id] = sub{t, sub_id};
      c.shared.insert(t.filter);
      continue;
    }
    bool existed = c.subs.count(t.filter) > 0;
    c.subs[t.filter] = sub{t, sub_id};
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
      if (it->second.shared.erase(f)) {
        had = true;
        auto grp = shared_.find(f);
        if (grp != shared_.end()) {
          grp->second.members.erase(id);
          if (grp->second.members.empty())
            shared_.erase(grp);
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

void mqtt_broker::requeue(const std::string& id,
                          std::vector<mqtt::pending_message> msgs) {
  out_list out;
  {
    std::lock_guard<std::mutex> g(mtx_);
    auto it = clients_.find(id);
    if (it == clients_.end() || !it->second.resumed)
      return;
    auto& c = it->second;
    for (auto& pm : msgs) {
      // the new connection numbers its own packets: these go as new
      // deliveries (at least once)
      mqtt_delivery d;
      d.qos = pm.qos;
      d.msg = std::make_shared<const mqtt::message>(std::move(pm.msg));
      if (c.actor)
        out.emplace_back(c.actor, std::move(d));
      else
        enqueue_offline(c, std::move(d));
    }
  }
  send_all(out);
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
