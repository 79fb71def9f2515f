#include "protocols/mqtt/mqtt_session.hpp"

#include <algorithm>

namespace themis::mqtt {

session::session(session_options opts, session_callbacks& cb) :
  opts_(std::move(opts)), cb_(cb) {
  started_ms_ = last_rx_ms_ = cb_.now_ms();
}

void session::send_packet(const packet& p) {
  std::string out;
  encode(p, version_ == 5 ? 5 : 4, out);
  cb_.send(std::move(out));
}

void session::send_ack(packet_type t, uint16_t id, uint8_t code,
                       const char* why) {
  packet a;
  a.type = t;
  a.ack.type = t;
  a.ack.packet_id = id;
  a.ack.code = version_ == 5 ? code : 0;
  // a reason string only to a client that did not refuse problem
  // information (§3.1.2.11.7)
  if (why && *why && version_ == 5 && problem_info_)
    a.ack.props.reason_string = why;
  send_packet(a);
}

void session::fail(uint8_t code, const char* what) {
  if (state_ == state::closed)
    return;
  if (state_ == state::connecting && version_ == 5) {
    // before CONNACK a 5.0 client learns the reason from a CONNACK
    packet c;
    c.type = packet_type::connack;
    c.connack.code = code;
    c.connack.props.reason_string = what;
    send_packet(c);
  } else if (state_ == state::connected && version_ == 5) {
    packet d;
    d.type = packet_type::disconnect;
    d.disconnect.type = packet_type::disconnect;
    d.disconnect.code = code;
    d.disconnect.props.reason_string = what;
    send_packet(d);
  } else if (state_ == state::connecting &&
             code == reason::unsupported_protocol_version) {
    // 3.1.1: CONNACK return code 1, unacceptable protocol version
    packet c;
    c.type = packet_type::connack;
    c.connack.code = 1;
    std::string out;
    encode(c, 4, out);
    cb_.send(std::move(out));
  }
  bool was_connected = state_ == state::connected;
  state_ = state::closed;
  end_reason_ = what;
  cb_.close();
  if (was_connected)
    cb_.on_closed(true); // a protocol error is not a normal disconnect
}

void session::disconnect(uint8_t code, const std::string& why) {
  if (state_ != state::connected)
    return;
  if (version_ == 5) {
    packet d;
    d.type = packet_type::disconnect;
    d.disconnect.type = packet_type::disconnect;
    d.disconnect.code = code;
    if (!why.empty())
      d.disconnect.props.reason_string = why;
    send_packet(d);
  }
  state_ = state::closed;
  end_reason_ = why.empty() ? "server disconnect" : why;
  cb_.close();
  // a taken-over or shut-down session still publishes its will
  cb_.on_closed(code != reason::success);
}

std::vector<pending_message> session::unacknowledged() const {
  std::vector<pending_message> out;
  auto add = [&](const outbound& o, uint16_t id) {
    pending_message pm;
    auto& m = pm.msg;
    m.topic = o.p.publish.topic;
    m.payload = o.p.publish.payload;
    m.qos = o.p.publish.qos;
    m.retain = o.p.publish.retain;
    m.props = o.p.publish.props;
    m.props.message_expiry.reset(); // recomputed from expires_at_ms
    m.expires_at_ms = o.expires_at_ms;
    m.shared_group = o.group;
    pm.qos = o.p.publish.qos;
    pm.packet_id = id;
    pm.released = o.released;
    out.push_back(std::move(pm));
  };
  for (auto& [id, o] : inflight_)
    add(o, id);
  for (auto& o : queue_)
    add(o, 0);
  return out;
}

void session::resume(std::vector<pending_message> msgs,
                     const std::vector<uint16_t>& awaiting_rel) {
  if (state_ != state::connected)
    return;
  awaiting_rel_.insert(awaiting_rel.begin(), awaiting_rel.end());
  for (auto& pm : msgs) {
    if (!pm.packet_id || inflight_.count(pm.packet_id)) {
      deliver(pm.msg, pm.qos, {}, true); // never sent (or id taken): anew
      continue;
    }
    outbound o;
    auto& p = o.p;
    p.type = packet_type::publish;
    p.publish.topic = std::move(pm.msg.topic);
    p.publish.payload = std::move(pm.msg.payload);
    p.publish.qos = pm.qos;
    p.publish.retain = pm.msg.retain;
    p.publish.packet_id = pm.packet_id;
    // [MQTT-4.4.0-1]: resent with DUP and the original packet identifier
    p.publish.dup = true;
    if (version_ == 5)
      p.publish.props = std::move(pm.msg.props);
    o.released = pm.released;
    o.expires_at_ms = pm.msg.expires_at_ms;
    o.group = std::move(pm.msg.shared_group);
    if (!o.released && too_large(p))
      continue; // the new connection's maximum packet size forbids it
    // first in line, within the new connection's receive maximum (pump)
    queued_bytes_ += cost(o);
    queue_.push_back(std::move(o));
  }
  // the resent ones go before anything queued while they were handed over
  std::stable_partition(queue_.begin(), queue_.end(), [](const outbound& o) {
    return o.p.publish.packet_id != 0;
  });
  pump();
}

bool session::too_large(const packet& p) const {
  // an alias may be added when it is sent: 3 bytes
  return client_max_packet_ &&
         encoded_size(p, version_) + (alias_max_ ? 3 : 0) > client_max_packet_;
}

bool session::refresh_expiry(packet& p, uint64_t expires_at_ms) {
  if (!expires_at_ms)
    return true;
  auto now = cb_.now_ms();
  if (now >= expires_at_ms)
    return false;
  // [MQTT-3.3.2-6]: the interval sent is the time the message has left
  p.publish.props.message_expiry =
    static_cast<uint32_t>((expires_at_ms - now + 999) / 1000);
  return true;
}

void session::send_publish(packet& p) {
  if (version_ != 5 || alias_max_ == 0) {
    send_packet(p);
    return;
  }
  auto it = out_aliases_.find(p.publish.topic);
  if (it == out_aliases_.end() && out_aliases_.size() < alias_max_) {
    // the first use sends the topic with the new alias
    auto a = static_cast<uint16_t>(out_aliases_.size() + 1);
    out_aliases_.emplace(p.publish.topic, a);
    p.publish.props.topic_alias = a;
    send_packet(p);
    p.publish.props.topic_alias.reset();
    return;
  }
  if (it == out_aliases_.end()) {
    send_packet(p); // every alias is taken
    return;
  }
  // later ones an empty topic and the alias; the stored packet keeps its
  // topic for a retransmission on another connection
  auto topic = std::move(p.publish.topic);
  p.publish.topic.clear();
  p.publish.props.topic_alias = it->second;
  send_packet(p);
  p.publish.topic = std::move(topic);
  p.publish.props.topic_alias.reset();
}

void session::connection_lost() {
  bool was_connected = state_ == state::connected;
  if (state_ != state::closed)
    end_reason_ = "connection lost";
  state_ = state::closed;
  if (was_connected)
    cb_.on_closed(true);
}

void session::on_data(std::string_view bytes) {
  if (state_ == state::closed)
    return;
  in_.append(bytes);
  size_t pos = 0;
  while (state_ != state::closed && pos < in_.size()) {
    packet p;
    auto r =
      decode(std::string_view(in_).substr(pos),
             state_ == state::connecting ? 0 : version_, opts_.limits, p);
    if (r.status == decode_status::need_more)
      break;
    if (r.status == decode_status::error) {
      if (state_ == state::connecting && p.type == packet_type::connect)
        version_ = p.connect.version == 5 ? 5 : 4;
      fail(r.code, r.what);
      break;
    }
    pos += r.consumed;
    last_rx_ms_ = cb_.now_ms(); // a complete packet, not a trickle of bytes
    handle(p);
  }
  in_.erase(0, pos);
}

void session::check_timeouts() {
  if (state_ == state::closed)
    return;
  auto now = cb_.now_ms();
  if (state_ == state::connecting) {
    if (now - started_ms_ > opts_.connect_timeout_ms)
      fail(reason::protocol_error, "no CONNECT in time");
    return;
  }
  if (keep_alive_ && now - last_rx_ms_ > keep_alive_ * 1500u)
    fail(reason::keep_alive_timeout, "keep alive timeout");
}

uint16_t session::next_id() {
  for (int i = 0; i < 65536; ++i) {
    last_id_ = static_cast<uint16_t>(last_id_ + 1);
    if (last_id_ == 0)
      last_id_ = 1;
    if (!inflight_.count(last_id_))
      return last_id_;
  }
  return 0;
}

void session::deliver(const message& m, uint8_t qos,
                      const std::vector<uint32_t>& sub_ids, bool backlog) {
  if (state_ != state::connected)
    return;
  if (m.expires_at_ms && cb_.now_ms() >= m.expires_at_ms) {
    cb_.on_dropped(m); // expired on its way here
    return;
  }
  outbound o;
  auto& p = o.p;
  p.type = packet_type::publish;
  p.publish.topic = m.topic;
  p.publish.payload = m.payload;
  p.publish.qos = qos;
  p.publish.retain = m.retain;
  if (version_ == 5) {
    p.publish.props = m.props;
    p.publish.props.topic_alias.reset();
    p.publish.props.subscription_ids = sub_ids;
  }
  if (too_large(p))
    return; // 5.0 §3.1.2.11.4: too large for the client, discarded
  if (qos == 0) {
    if (!cb_.may_send()) { // a client that does not read: QoS 0 goes
      cb_.on_dropped(m);
      return;
    }
    refresh_expiry(p, m.expires_at_ms);
    send_publish(p);
    return;
  }
  // QoS 1/2 beyond the window wait, up to a count and a byte bound
  if (!backlog &&
      (queue_.size() >= opts_.max_queued ||
       (opts_.max_queued_bytes && queued_bytes_ >= opts_.max_queued_bytes))) {
    cb_.on_dropped(m);
    return;
  }
  o.expires_at_ms = m.expires_at_ms;
  o.group = m.shared_group;
  queued_bytes_ += cost(o);
  queue_.push_back(std::move(o));
  pump();
}

void session::flush() {
  if (state_ == state::connected)
    pump();
}

void session::pump() {
  while (!queue_.empty() && inflight_.size() < send_quota_ && cb_.may_send()) {
    auto o = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= std::min(queued_bytes_, cost(o));
    auto id = o.p.publish.packet_id; // set: a resend after a reconnect
    if (id && inflight_.count(id))
      id = 0;
    if (o.released && id) {
      send_ack(packet_type::pubrel, id, 0);
      inflight_[id] = std::move(o);
      continue;
    }
    // once sent, a message is not withdrawn: expiry is checked only for
    // first sends
    if (!o.p.publish.dup && !refresh_expiry(o.p, o.expires_at_ms)) {
      message gone; // expired while queued: never sent
      gone.topic = o.p.publish.topic;
      cb_.on_dropped(gone);
      continue;
    }
    if (o.p.publish.dup)
      refresh_expiry(o.p, o.expires_at_ms);
    if (!id) {
      id = next_id();
      if (!id)
        return;
      o.p.publish.dup = false;
    }
    o.p.publish.packet_id = id;
    last_id_ = std::max(last_id_, id);
    send_publish(o.p);
    inflight_[id] = std::move(o);
  }
}

void session::acknowledge(uint16_t id, uint8_t qos, uint8_t code,
                          const char* why) {
  if (state_ != state::connected || !pending_ack_.erase(id))
    return;
  if (qos == 1) {
    send_ack(packet_type::puback, id, code, why);
  } else {
    send_ack(packet_type::pubrec, id, code, why);
    if (code < 0x80)
      awaiting_rel_.insert(id);
  }
}

void session::handle(packet& p) {
  switch (p.type) {
    case packet_type::connect: {
      auto& c = p.connect;
      version_ = c.version == 5 ? 5 : 4;
      keep_alive_ = c.keep_alive;
      auto max_ka = opts_.max_keep_alive;
      if (max_ka && keep_alive_ > max_ka && version_ < 5) {
        // 3.1.1 cannot be told a shorter interval (mosquitto's answer:
        // identifier rejected)
        packet a;
        a.type = packet_type::connack;
        a.connack.code = 2;
        send_packet(a);
        state_ = state::closed;
        cb_.close();
        return;
      }
      bool override_ka =
        max_ka && version_ == 5 && (keep_alive_ == 0 || keep_alive_ > max_ka);
      if (override_ka)
        keep_alive_ = max_ka;
      if (c.client_id.empty() && !c.clean_start && version_ < 5) {
        packet a; // [MQTT-3.1.3-8]: return code 2, identifier rejected
        a.type = packet_type::connack;
        a.connack.code = 2;
        send_packet(a);
        state_ = state::closed;
        cb_.close();
        return;
      }
      std::string assigned;
      bool present = false;
      auto code = cb_.on_connect(c, assigned, present);
      packet a;
      a.type = packet_type::connack;
      a.connack.session_present = code == 0 && present;
      if (code) {
        // 3.1.1 return codes: 2 identifier rejected, 4 bad user name or
        // password, 5 not authorized, 3 server unavailable
        if (version_ < 5)
          code = code == reason::client_id_not_valid ? 2
                 : code == reason::bad_credentials   ? 4
                 : code == reason::not_authorized    ? 5
                                                     : 3;
        a.connack.code = code;
        send_packet(a);
        state_ = state::closed;
        cb_.close();
        return;
      }
      client_id_ = assigned.empty() ? c.client_id : assigned;
      if (version_ == 5) {
        send_quota_ = std::min<uint16_t>(
          c.props.receive_maximum.value_or(65535), max_inflight);
        client_max_packet_ = c.props.maximum_packet_size.value_or(0);
        problem_info_ = c.props.request_problem_info.value_or(1) != 0;
        session_expiry_ = c.props.session_expiry.value_or(0);
        if (opts_.max_session_expiry &&
            session_expiry_ > opts_.max_session_expiry) {
          session_expiry_ = opts_.max_session_expiry;
          a.connack.props.session_expiry = session_expiry_;
        }
        alias_max_ = std::min<uint16_t>(c.props.topic_alias_maximum.value_or(0),
                                        opts_.outbound_aliases);
        auto& pr = a.connack.props;
        if (override_ka)
          pr.server_keep_alive = keep_alive_;
        if (!assigned.empty())
          pr.assigned_client_id = assigned;
        pr.receive_maximum = opts_.receive_maximum;
        pr.topic_alias_maximum = opts_.topic_alias_maximum;
        pr.maximum_packet_size = opts_.limits.max_packet;
        pr.retain_available = 1;
        pr.wildcard_available = 1;
        pr.subscription_ids_available = 1;
        pr.shared_available = 1;
      }
      state_ = state::connected;
      send_packet(a);
      cb_.on_connected();
      return;
    }
    case packet_type::publish: {
      auto& m = p.publish;
      // a retransmission is answered before any quota is counted: its id
      // already holds a place (§4.3.3, §4.9)
      if (m.qos == 2 && awaiting_rel_.count(m.packet_id)) {
        send_ack(packet_type::pubrec, m.packet_id, 0);
        return;
      }
      if (m.qos > 0 && pending_ack_.count(m.packet_id))
        return; // still being processed
      if (m.qos > 0 && version_ == 5 &&
          pending_ack_.size() + awaiting_rel_.size() >= opts_.receive_maximum)
        return fail(reason::receive_maximum_exceeded,
                    "receive maximum exceeded");
      if (auto a = m.props.topic_alias) {
        if (*a > opts_.topic_alias_maximum)
          return fail(reason::topic_alias_invalid, "topic alias too large");
        if (!m.topic.empty()) {
          aliases_[*a] = m.topic;
        } else {
          auto it = aliases_.find(*a);
          if (it == aliases_.end())
            return fail(reason::protocol_error, "unknown topic alias");
          m.topic = it->second;
        }
      }
      message out;
      out.topic = std::move(m.topic);
      out.payload = std::move(m.payload);
      out.qos = m.qos;
      out.retain = m.retain;
      out.props = std::move(m.props);
      out.props.topic_alias.reset();
      out.props.subscription_ids.clear();
      if (out.props.message_expiry)
        out.expires_at_ms =
          cb_.now_ms() + uint64_t{*out.props.message_expiry} * 1000;
      if (m.qos > 0)
        pending_ack_.insert(m.packet_id);
      cb_.on_publish(std::move(out), m.packet_id);
      return;
    }
    case packet_type::pubrel: {
      bool known = awaiting_rel_.erase(p.ack.packet_id) > 0;
      send_ack(packet_type::pubcomp, p.ack.packet_id,
               known ? 0 : reason::packet_id_not_found);
      return;
    }
    case packet_type::puback:
    case packet_type::pubcomp: {
      auto it = inflight_.find(p.ack.packet_id);
      if (it != inflight_.end() &&
          (p.type == packet_type::puback) == (it->second.p.publish.qos == 1))
        inflight_.erase(it);
      pump();
      return;
    }
    case packet_type::pubrec: {
      auto it = inflight_.find(p.ack.packet_id);
      if (it == inflight_.end()) {
        send_ack(packet_type::pubrel, p.ack.packet_id,
                 reason::packet_id_not_found);
        return;
      }
      if (p.ack.code >= 0x80) { // the client refused it: done
        inflight_.erase(it);
        pump();
        return;
      }
      it->second.released = true;
      send_ack(packet_type::pubrel, p.ack.packet_id, 0);
      return;
    }
    case packet_type::subscribe: {
      packet a;
      a.type = packet_type::suback;
      a.sub_ack.type = packet_type::suback;
      a.sub_ack.packet_id = p.subscribe.packet_id;
      a.sub_ack.codes = cb_.on_subscribe(p.subscribe);
      send_packet(a);
      return;
    }
    case packet_type::unsubscribe: {
      packet a;
      a.type = packet_type::unsuback;
      a.sub_ack.type = packet_type::unsuback;
      a.sub_ack.packet_id = p.unsubscribe.packet_id;
      a.sub_ack.codes = cb_.on_unsubscribe(p.unsubscribe);
      send_packet(a);
      return;
    }
    case packet_type::pingreq: {
      packet a;
      a.type = packet_type::pingresp;
      send_packet(a);
      return;
    }
    case packet_type::disconnect: {
      // 5.0: DISCONNECT may change the session expiry, but not from 0
      // (§3.14.2.2.2)
      if (auto e = p.disconnect.props.session_expiry; e && version_ == 5) {
        if (*e && !session_expiry_)
          return fail(reason::protocol_error,
                      "session expiry set at DISCONNECT after 0 at CONNECT");
        session_expiry_ = opts_.max_session_expiry
                            ? std::min(*e, opts_.max_session_expiry)
                            : *e;
      }
      // 5.0: any reason but 0x00 (normal disconnection) publishes the will
      bool will = version_ == 5 && p.disconnect.code != reason::success;
      state_ = state::closed;
      end_reason_ = "client disconnect";
      if (p.disconnect.code != reason::success) {
        static constexpr char hex[] = "0123456789abcdef";
        end_reason_ += " 0x";
        end_reason_ += hex[p.disconnect.code >> 4];
        end_reason_ += hex[p.disconnect.code & 15];
      }
      cb_.close();
      cb_.on_closed(will);
      return;
    }
    case packet_type::auth:
      return fail(reason::protocol_error, "enhanced authentication is not "
                                          "supported");
    default:
      return fail(reason::protocol_error, "unexpected packet");
  }
}

} // namespace themis::mqtt
