#include "actors/mqtt_connection.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/mqtt_broker.hpp"
#include "actors/server_context.hpp"
#include "actors/wire_transport.hpp"
#include "auth/password.hpp"
#include "engine/collection_schema.hpp"
#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "engine/security/audit_log.hpp"
#include "handlers/access_log.hpp"
#include "protocols/heap_optional.hpp"
#include "protocols/mqtt/mqtt_namespace.hpp"
#include "protocols/small_fifo.hpp"
#include "themis/user_list.hpp"
#include "tracing/tracer.hpp"

namespace themis {

namespace {

using namespace themis::mqtt;

struct mqtt_state : session_callbacks {
  caf::event_based_actor* self = nullptr;
  /// The socket, or the WebSocket carrying the MQTT byte stream
  std::shared_ptr<wire_transport> conn;
  std::shared_ptr<server_context> ctx;
  std::unique_ptr<session> s;
  heap_optional<will_message> will; ///< rare and large: not inline
  uint8_t version = 4;
  bool registered = false;
  uint32_t expiry_s = 0; ///< session expiry at disconnect
  std::shared_ptr<const acl_rules> acl;
  /// Who connected (issue 9) and the broker's root of its tenant's topic
  /// tree ("" for the global namespace); `bid` is its client id as the
  /// broker knows it, unique across tenants.
  principal who;
  std::string root;
  std::string bid;
  std::string connect_id; ///< the client id of its CONNECT (audit)
  /// A resumed session's in-flight messages, sent after the CONNACK.
  std::vector<pending_message> resend;
  std::vector<uint16_t> awaiting_rel;
  /// (client id, registered) shared with the exit functor, which runs
  /// when the state may already be gone
  std::shared_ptr<std::pair<std::string, bool>> reg =
    std::make_shared<std::pair<std::string, bool>>();
  size_t ingest_pending = 0;
  /// The tenant's stored documents as last counted, and when (the
  /// `documents` quota; recounted at most once a second, writes since
  /// added, so an ingest burst cannot run far past it).
  int64_t tenant_docs = 0;
  int64_t tenant_docs_ms = 0;
  /// the tenant whose connection quota this connection holds (released by
  /// the exit functor, however the actor ends)
  std::shared_ptr<std::string> tenant_slot = std::make_shared<std::string>();
  static constexpr size_t max_ingest_pending = 256;
  /// The sizes of the pieces handed to the socket and not yet written
  /// (oldest first) and their sum. The socket counts its unwritten pieces
  /// (queued_writes, FIFO); the pieces beyond that count are written.
  small_fifo<size_t> unsent;
  size_t unsent_bytes = 0;
  size_t max_unsent_bytes = 1u << 20, max_unsent_msgs = 1000;
  /// Bytes the broker routed here that this actor has not taken yet.
  mqtt_inbox inbox = std::make_shared<std::atomic<size_t>>(0);
  /// Ingest messages refused since the last log line about them.
  uint64_t rejected_unlogged = 0, rejected_logged_ms = 0;
  /// For the access log and the broker's inflight gauge.
  std::chrono::steady_clock::time_point connected_at;
  uint64_t msgs_in = 0, msgs_out = 0;
  int64_t inflight_reported = 0;
  std::string last_denial; ///< detail of the last audit record

  /// Tells the broker how many QoS 1/2 messages this connection has in
  /// flight (0 once it closed).
  void report_inflight() {
    auto now = s && !s->closed() ? static_cast<int64_t>(s->inflight()) : 0;
    if (now != inflight_reported)
      ctx->mqtt->inflight += now - inflight_reported;
    inflight_reported = now;
  }
  void log_refused(const connect_packet& c, const char* event, uint8_t code) {
    if (!access_log::enabled())
      return;
    access_log::write("mqtt", event,
                      {{"client_id", c.client_id},
                       {"username", c.username ? *c.username : ""},
                       {"remote", conn->remote_address()},
                       {"reason_code", int{code}},
                       {"reason", last_denial}});
  }

  void send(std::string bytes) override {
    ctx->mqtt->bytes_sent += bytes.size();
    unsent.push_back(bytes.size());
    unsent_bytes += bytes.size();
    conn->write(std::move(bytes));
  }
  size_t unsent_now() {
    auto queued = conn->queued_writes();
    while (unsent.size() > queued) {
      unsent_bytes -= unsent.front();
      unsent.pop_front();
    }
    return unsent_bytes;
  }
  /// The output bound (mqtt.max_queued_bytes / max_queued_messages): the
  /// connection stops handing the socket bytes a client does not read.
  bool may_send() override {
    return unsent_now() < max_unsent_bytes && unsent.size() < max_unsent_msgs;
  }
  void on_dropped(const message&) override { ctx->mqtt->note_dropped(); }
  void close() override { conn->close_after_writes(); }
  uint64_t now_ms() override {
    return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
        .count());
  }

  uint8_t on_connect(const connect_packet& c, std::string& assigned,
                     bool& present) override {
    auto& cfg = ctx->config.mqtt;
    version = c.version == 5 ? 5 : 4;
    connect_id = c.client_id;
    if (auto refused = authenticate(c)) {
      ++ctx->metrics.mqtt_auth_failures;
      log_refused(c, "auth_failure", refused);
      return refused;
    }
    std::string id = c.client_id;
    if (id.empty()) {
      unsigned char r[8];
      RAND_bytes(r, sizeof r);
      static constexpr char hex[] = "0123456789abcdef";
      id = "themis-";
      for (auto b : r) {
        id.push_back(hex[b >> 4]);
        id.push_back(hex[b & 15]);
      }
      assigned = id;
    }
    if (!who.tenant.empty()) {
      if (!ctx->quotas->acquire_connection(who.tenant)) {
        audit("quota.connections", "denied",
              "tenant " + who.tenant + " is at its connection quota");
        log_refused(c, "connect_refused", reason::quota_exceeded);
        return reason::quota_exceeded;
      }
      *tenant_slot = who.tenant;
    }
    root = tenant_root(who.tenant);
    bid = root + id; // a tenant's "dev1" is not another tenant's "dev1"
    if (c.will)
      will = c.will;
    auto user = who.user.empty() ? c.username : std::optional(who.user);
    acl = ctx->live.get()->mqtt_acl.for_client(user, id); // SIGHUP's
    if (!root.empty()) {
      auto scoped = std::make_shared<acl_rules>(*acl);
      scoped->set_namespace(root);
      acl = std::move(scoped);
    }
    // 3.1.1: clean session 0 keeps the session for good; 5.0: the
    // session expiry interval says how long (0: it ends with the
    // connection)
    expiry_s = version == 5 ? c.props.session_expiry.value_or(0)
                            : (c.clean_start ? 0 : 0xFFFFFFFFu);
    if (cfg.max_session_expiry_s)
      expiry_s = std::min(expiry_s, cfg.max_session_expiry_s);
    auto r = ctx->mqtt->connect(bid, caf::actor_cast<caf::actor>(self),
                                c.clean_start, expiry_s, acl, cfg.max_sessions,
                                inbox, cfg.max_queued_bytes);
    if (r.refused) {
      will.reset();
      last_denial = "mqtt.max_sessions reached";
      log_refused(c, "connect_refused", reason::quota_exceeded);
      return reason::quota_exceeded; // 3.1.1: server unavailable
    }
    registered = true;
    *reg = {bid, true};
    ctx->mqtt->describe(bid, caf::actor_cast<caf::actor>(self),
                        {who.user.empty() ? who.via : who.user,
                         conn->remote_address(), conn->kind(), version,
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count()});
    present = r.session_present;
    ++ctx->mqtt->connects;
    connected_at = std::chrono::steady_clock::now();
    if (access_log::enabled())
      access_log::write("mqtt", "connect",
                        {{"client_id", id},
                         {"principal", who.user.empty() ? who.via : who.user},
                         {"tenant", who.tenant},
                         {"remote", conn->remote_address()},
                         {"transport", conn->kind()},
                         {"version", version == 5 ? "5.0" : "3.1.1"},
                         {"clean_start", c.clean_start},
                         {"keep_alive", int{c.keep_alive}},
                         {"session_present", r.session_present}});
    resend = std::move(r.resend);
    for (auto& p : resend)
      p.msg.topic = to_client_topic(root, p.msg.topic);
    awaiting_rel = std::move(r.awaiting_rel);
    if (r.replaced)
      caf::anon_send(r.replaced, mqtt_takeover_atom::value);
    // what waited for the client goes out after the CONNACK
    for (auto& d : r.queued)
      self->send(self, mqtt_deliver_atom::value, std::move(d));
    return 0;
  }

  void on_connected() override {
    if (!resend.empty() || !awaiting_rel.empty())
      s->resume(std::move(resend), awaiting_rel);
    resend.clear();
    awaiting_rel.clear();
  }

  /// Credentials → principal: a token (JWT or API key) in the password
  /// or, with no password, in the user name; else a verified client
  /// certificate; else `mqtt.users`; else anonymous where allowed. 0 or the
  /// CONNACK reason.
  uint8_t authenticate(const connect_packet& c) {
    auto live = ctx->live.get(); // users and anonymous access: SIGHUP's
    auto& cfg = live->config.mqtt;
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    std::optional<std::string> token;
    if (c.password && auth::authenticator::looks_like_token(*c.password))
      token = *c.password;
    else if (!c.password && c.username &&
             auth::authenticator::looks_like_token(*c.username))
      token = *c.username;
    if (token) {
      auto r = ctx->authn->from_token(*token, now_s);
      if (!r.ok) {
        audit("auth.failure", "denied", "token: " + r.error);
        return reason::bad_credentials;
      }
      who = std::move(r.who);
      return 0;
    }
    if (!c.password && !conn->client_subject().empty()) {
      // mTLS: the verified certificate is the identity (its CN the user,
      // as mosquitto's use_identity_as_username)
      who = ctx->authn->for_certificate(conn->client_subject());
      return 0;
    }
    if (c.username) {
      auto pw = find_user_secret(cfg.users, *c.username);
      if (!pw || !c.password || !auth::check_password(*pw, *c.password)) {
        audit("auth.failure", "denied",
              "bad user name or password for " + *c.username);
        return reason::bad_credentials;
      }
      who = ctx->authn->for_user(*c.username);
      return 0;
    }
    if (!cfg.allow_anonymous || ctx->authn->required()) {
      audit("auth.failure", "denied", "anonymous connection refused");
      return reason::not_authorized;
    }
    who = principal{{}, {}, {}, "anonymous", {}};
    return 0;
  }

  void audit(const char* action, const char* outcome, std::string detail) {
    if (!ctx->audit) {
      last_denial = std::move(detail);
      return;
    }
    engine::audit_event e;
    e.action = action;
    e.outcome = outcome;
    e.protocol = "mqtt";
    e.user = who.user;
    e.tenant = who.tenant;
    e.remote = conn->remote_address();
    e.request_id = connect_id; // the client id it asked for
    last_denial = detail;
    e.detail = std::move(detail);
    ctx->audit->append(std::move(e));
  }

  void route(message m) {
    m.topic = to_broker_topic(root, m.topic);
    ctx->mqtt->publish(m, bid);
  }

  /// `$` topics belong to the server ($SYS, $changes; §4.7.2); the rest
  /// as the ACL says.
  bool may_publish(const std::string& topic) const {
    return !topic.empty() && topic[0] != '$' && who.has_scope("data:write") &&
           (!acl || acl->can_publish(to_broker_topic(root, topic))) &&
           ranger_allows(topic, "publish", "PUBLISH");
  }

  /// issue 24: with Ranger policies, scopes and the ACL are not enough;
  /// the topic (or subscription filter, as written) is tenant/topic.
  bool ranger_allows(const std::string& topic, const char* access,
                     const char* action) const {
    if (!ctx->ranger)
      return true;
    auth::ranger::access_check c;
    c.resources = {{"tenant", who.tenant}, {"topic", topic}};
    c.access = access;
    c.res_type = "@topic";
    c.action = std::string(action) + " " + topic;
    c.client_ip = conn->remote_address();
    c.agent = "themisd-mqtt";
    return ctx->ranger->allows(who, c);
  }

  /// A span per PUBLISH, joined to the publisher's trace when a 5.0 user
  /// property `traceparent` carries one (OpenTelemetry's MQTT practice).
  std::shared_ptr<tracing::span> publish_span(const message& m) {
    auto& tracer = tracing::tracer::global();
    if (!tracer.enabled())
      return nullptr;
    std::optional<tracing::trace_context> parent;
    for (auto& [k, v] : m.props.user)
      if (k == "traceparent")
        parent = tracing::parse_traceparent(v);
    auto sp = std::make_shared<tracing::span>(
      tracer.start_span("mqtt publish", tracing::span_kind::consumer,
                        parent ? &*parent : nullptr, true));
    sp->set("messaging.system", std::string("mqtt"));
    sp->set("messaging.operation", std::string("publish"));
    sp->set("messaging.destination.name", m.topic);
    sp->set("messaging.mqtt.qos", int64_t{m.qos});
    sp->set("messaging.client_id", s->client_id());
    return sp;
  }

  void on_publish(message m, uint16_t id) override {
    auto sp = publish_span(m);
    ++ctx->mqtt->messages_received;
    ++ctx->mqtt->received_by_qos[m.qos < 3 ? m.qos : 0];
    ++msgs_in;
    if (!may_publish(m.topic)) {
      // not delivered; 5.0 says why, 3.1.1 has no negative acknowledgement
      // (mosquitto's behaviour: acknowledged and dropped)
      s->acknowledge(id, m.qos, reason::not_authorized,
                     "not authorized to publish to this topic");
      return;
    }
    auto& prefix = ctx->config.mqtt.ingest_prefix;
    if (prefix.empty() || m.topic.rfind(prefix, 0) != 0) {
      route(m);
      s->acknowledge(id, m.qos, 0);
      return;
    }
    ingest(std::move(m), id, std::move(sp));
  }

  /// The tenant `documents` quota (auth.tenant_quotas) on ingest, as REST
  /// and PostgreSQL writes check it.
  bool over_documents_quota() {
    if (who.tenant.empty() || !ctx->quotas)
      return false;
    auto quota = ctx->quotas->of(who.tenant).documents;
    if (!quota)
      return false;
    auto now = now_ms();
    if (!tenant_docs_ms || now - tenant_docs_ms >= 1000) {
      tenant_docs = ctx->reader->tenant_documents(who.tenant);
      tenant_docs_ms = now;
    }
    if (tenant_docs >= static_cast<int64_t>(quota))
      return true;
    ++tenant_docs; // this write, until the next count
    return false;
  }

  /// An ingest PUBLISH that can never be stored (bad collection name, JSON
  /// nested too deep): not stored, not routed, counted, logged (at most a
  /// line per 10 s per connection). 5.0 answers `code5`; 3.1.1 has no
  /// negative acknowledgement, so it is acknowledged and dropped — closing
  /// instead made a persistent session resend it forever.
  void reject_ingest(const message& m, uint16_t id, uint8_t code5,
                     const std::string& why) {
    ++ctx->mqtt->ingest_rejected;
    ++rejected_unlogged;
    auto now = now_ms();
    if (!rejected_logged_ms || now - rejected_logged_ms >= 10000) {
      spdlog::warn("mqtt {} ({}): ingest to '{}' dropped: {} ({} so dropped "
                   "since the last such line)",
                   s->client_id(), who.display(), m.topic.substr(0, 200), why,
                   rejected_unlogged);
      rejected_logged_ms = now;
      rejected_unlogged = 0;
    }
    if (m.qos == 0)
      return;
    if (version == 5)
      s->acknowledge(id, m.qos, code5, why.c_str());
    else
      s->acknowledge(id, m.qos, 0);
  }

  /// Stores the PUBLISH as a document of {collection}; routes and
  /// acknowledges after the commit (a failed write: 0x80 / no ack).
  void ingest(message m, uint16_t id,
              std::shared_ptr<tracing::span> sp = nullptr) {
    // the collection is a user-facing name, checked as REST checks it: a
    // dotted name would be another tenant's stored one ("beta.secret")
    auto collection =
      std::string(ingest_collection(ctx->config.mqtt.ingest_prefix, m.topic));
    if (!engine::valid_collection_name(collection))
      return reject_ingest(m, id, reason::topic_name_invalid,
                           "invalid collection name '" +
                             collection.substr(0, 80) + "'");
    nlohmann::json doc;
    doc["topic"] = m.topic;
    // JSON nested past limits.max_json_depth is refused before parsing
    // (the encoder and every reader after it recurse per level); other
    // non-JSON payloads are kept as bytes
    nlohmann::json parsed;
    auto st = engine::parse_untrusted_json(m.payload, parsed);
    if (st == engine::json_parse_status::too_deep)
      return reject_ingest(m, id, reason::payload_format_invalid,
                           engine::json_too_deep_message());
    if (st == engine::json_parse_status::ok && valid_utf8(m.payload)) {
      doc["payload"] = std::move(parsed);
    } else {
      doc["payload"] = base64_encode(m.payload);
      doc["payload_encoding"] = "base64";
      doc["content_type"] =
        m.props.content_type.value_or("application/octet-stream");
    }
    doc["client_id"] = s->client_id();
    doc["qos"] = m.qos;
    doc["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    engine::write_batch b;
    engine::write_op op;
    op.kind = engine::op_kind::insert;
    // a key from the payload (mqtt.ingest_key_field) replaces the
    // document of that key: the latest reading per device, say
    auto& key_field = ctx->config.mqtt.ingest_key_field;
    auto& payload = doc["payload"];
    auto kf = key_field.empty() || !payload.is_object()
                ? payload.end()
                : payload.find(key_field);
    if (kf != payload.end()) {
      auto key = kf->is_string()           ? kf->get<std::string>()
                 : kf->is_number_integer() ? kf->dump()
                                           : std::string();
      if (engine::valid_key(key)) {
        op.kind = engine::op_kind::put;
        op.key = std::move(key);
      }
    }
    if (over_documents_quota())
      return reject_ingest(m, id, reason::quota_exceeded,
                           "tenant " + who.tenant +
                             " is at its documents "
                             "quota");
    op.collection = tenant_collection(who.tenant, collection);
    op.create_collection = true;
    op.doc = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    b.ops.push_back(std::move(op));
    b.enqueued_ns = steady_ns();
    auto writer = registered_writer();
    auto now = steady_ns();
    if (!writer || !ctx->writer_admission.admit(now) ||
        ingest_pending >= max_ingest_pending) {
      // overloaded: 5.0 says so (quota exceeded); 3.1.1 has no negative
      // acknowledgement, so the connection closes and the client resends
      ++ctx->mqtt->ingest_refused;
      if (m.qos == 0)
        return;
      if (version == 5)
        s->acknowledge(id, m.qos, reason::quota_exceeded,
                       "the database is overloaded; retry later");
      else
        s->disconnect(reason::server_busy);
      return;
    }
    ++ingest_pending;
    auto qos = m.qos;
    std::shared_ptr<tracing::span> commit;
    if (sp && sp->recording()) {
      auto parent = sp->context();
      commit =
        std::make_shared<tracing::span>(tracing::tracer::global().start_span(
          "store.commit", tracing::span_kind::internal, &parent));
    }
    self
      ->request(writer, std::chrono::seconds(30), write_atom::value,
                std::move(b))
      .then(
        [this, m = std::move(m), id, qos, sp, commit](engine::write_result& r) {
          if (commit)
            commit->end(); // then the publish span, when the lambda goes
          --ingest_pending;
          bool ok = r.committed && !r.results.empty() &&
                    (r.results[0].status == engine::op_status::created ||
                     r.results[0].status == engine::op_status::ok);
          auto st = r.results.empty() ? engine::op_status::internal
                                      : r.results[0].status;
          if (!ok && st != engine::op_status::internal &&
              st != engine::op_status::not_executed) {
            // the store refused this message itself (not a failed commit):
            // sent again it fails again, so it is not left to a resend; a
            // collection schema's refusal is 0x99 (issue 22)
            std::string why = "not stored: " + r.results[0].message;
            strip_tenant_prefix(why, who.tenant);
            return reject_ingest(m, id,
                                 engine::is_schema_refusal(why)
                                   ? reason::payload_format_invalid
                                   : reason::unspecified,
                                 why);
          }
          if (!ok)
            spdlog::warn(
              "mqtt {}: ingest into {} failed: {}", s->client_id(), m.topic,
              r.error.empty() && !r.results.empty() ? r.results[0].message
                                                    : r.error);
          if (ok)
            route(m);
          settle(id, qos, ok);
        },
        [this, id, qos](caf::error&) {
          --ingest_pending;
          settle(id, qos, false);
        });
  }

  /// Acknowledges an ingest write. A failed one on 3.1.1 (which has no
  /// negative acknowledgement) closes the connection: the client resends.
  void settle(uint16_t id, uint8_t qos, bool ok) {
    if (qos == 0)
      return;
    if (ok)
      s->acknowledge(id, qos, 0);
    else if (version == 5)
      s->acknowledge(id, qos, reason::unspecified,
                     "the message could not be stored");
    else
      s->disconnect(reason::unspecified);
  }

  caf::actor registered_writer() {
    return ::themis::registered(self->system(), store_writer_name);
  }

  std::vector<uint8_t> on_subscribe(const subscribe_packet& sp) override {
    std::vector<mqtt_delivery> retained;
    // scopes: data:read for topics, cdc:read for the change topics; a
    // global client reaches tenants' trees only as an admin
    auto allowed = sp;
    allowed.topics.clear();
    std::vector<int> slot(sp.topics.size(), -1);
    subscriber_rights rights;
    rights.tenant = !root.empty();
    rights.admin = who.is_admin();
    rights.data_read = who.has_scope("data:read");
    rights.cdc_read = who.has_scope("cdc:read");
    rights.changes_prefix = ctx->config.mqtt.changes_prefix;
    std::vector<uint8_t> verdict(sp.topics.size(), 0);
    for (size_t i = 0; i < sp.topics.size(); ++i) {
      auto t = sp.topics[i];
      // a shared filter is judged by its inner filter, like a plain one
      auto v = check_subscription(t.filter, rights);
      if (v == filter_verdict::ok &&
          !ranger_allows(t.filter, "subscribe", "SUBSCRIBE"))
        v = filter_verdict::not_authorized;
      if (v != filter_verdict::ok) {
        verdict[i] = version != 5 ? uint8_t{0x80}
                     : v == filter_verdict::invalid
                       ? reason::topic_filter_invalid
                       : reason::not_authorized;
        continue;
      }
      t.filter = to_broker_filter(root, t.filter);
      slot[i] = static_cast<int>(allowed.topics.size());
      allowed.topics.push_back(std::move(t));
    }
    std::vector<uint8_t> got;
    if (!allowed.topics.empty())
      got = ctx->mqtt->subscribe(bid, allowed, version, retained);
    std::vector<uint8_t> codes;
    for (size_t i = 0; i < sp.topics.size(); ++i)
      codes.push_back(slot[i] >= 0 && size_t(slot[i]) < got.size()
                        ? got[slot[i]]
                      : verdict[i]   ? verdict[i]
                      : version == 5 ? reason::unspecified
                                     : uint8_t{0x80});
    // retained messages follow the SUBACK: they queue behind it
    for (auto& d : retained)
      self->send(self, mqtt_deliver_atom::value, std::move(d));
    return codes;
  }

  std::vector<uint8_t> on_unsubscribe(const unsubscribe_packet& u) override {
    auto mapped = u;
    for (auto& f : mapped.filters)
      f = to_broker_filter(root, f);
    return ctx->mqtt->unsubscribe(bid, mapped);
  }

  void on_closed(bool publish_will) override {
    mqtt_goodbye bye;
    if (publish_will && will && may_publish(will->topic)) {
      message m;
      m.topic = to_broker_topic(root, will->topic);
      m.payload = will->payload;
      m.qos = will->qos;
      m.retain = will->retain;
      m.props = will->props;
      bye.will_delay_s = m.props.will_delay.value_or(0);
      m.props.will_delay.reset();
      bye.will = std::move(m);
    }
    will.reset();
    if (version == 5)
      expiry_s = s->session_expiry(); // DISCONNECT may have changed it
    bye.expiry_s = expiry_s;
    // unacknowledged messages: kept by a persistent session, and those of
    // shared subscriptions passed to another member in any case
    bye.unacked = s->unacknowledged();
    for (auto& p : bye.unacked) // the broker keeps its own topic names
      p.msg.topic = to_broker_topic(root, p.msg.topic);
    bye.awaiting_rel = s->awaiting_release();
    // (after a takeover the broker passes them to the new connection)
    if (registered)
      ctx->mqtt->disconnect(bid, caf::actor_cast<caf::actor>(self),
                            std::move(bye));
    if (registered && access_log::enabled())
      access_log::write(
        "mqtt", "disconnect",
        {{"client_id", s->client_id()},
         {"principal", who.user.empty() ? who.via : who.user},
         {"tenant", who.tenant},
         {"remote", conn->remote_address()},
         {"reason", s->end_reason().empty() ? "closed" : s->end_reason()},
         {"duration_s", std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - connected_at)
                          .count()},
         {"messages_in", msgs_in},
         {"messages_out", msgs_out}});
    registered = false;
    reg->second = false;
    report_inflight();
  }
};

using mqtt_actor = caf::stateful_actor<mqtt_state>;

caf::behavior mqtt_connection(mqtt_actor* self,
                              std::shared_ptr<wire_transport> conn,
                              std::shared_ptr<server_context> ctx) {
  auto& st = self->state;
  st.self = self;
  st.conn = conn;
  st.ctx = ctx;
  session_options o;
  o.limits.max_packet = ctx->config.mqtt.max_packet_bytes;
  o.max_keep_alive = static_cast<uint16_t>(ctx->config.mqtt.max_keep_alive);
  o.max_session_expiry = ctx->config.mqtt.max_session_expiry_s;
  o.max_queued = ctx->config.mqtt.max_queued_messages;
  o.max_queued_bytes = ctx->config.mqtt.max_queued_bytes;
  st.max_unsent_bytes = ctx->config.mqtt.max_queued_bytes;
  st.max_unsent_msgs = ctx->config.mqtt.max_queued_messages;
  st.s = std::make_unique<session>(o, st);
  // however the actor ends, its socket closes and the broker forgets it
  self->attach_functor([conn, ctx, reg = st.reg, slot = st.tenant_slot,
                        addr = self->address()](const caf::error&) {
    conn->abort();
    if (!slot->empty())
      ctx->quotas->release_connection(*slot);
    if (reg->second) // ended without a close: the broker forgets it
      ctx->mqtt->forget(reg->first, addr);
  });
  conn->start(caf::actor_cast<caf::actor>(self));
  self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
  return {
    [=](data_atom, std::string& bytes) {
      auto& st = self->state;
      st.ctx->mqtt->bytes_received += bytes.size();
      auto mqtt_bytes = st.conn->on_input(std::move(bytes));
      if (!mqtt_bytes.empty())
        st.s->on_data(mqtt_bytes);
    },
    [=](closed_atom) {
      auto& st = self->state;
      st.s->connection_lost(); // will, unless DISCONNECT came first
      if (st.registered)
        st.on_closed(false);
      self->quit();
    },
    [=](tick_atom) {
      self->state.s->check_timeouts();
      self->state.s->flush(); // queued QoS 1/2 once the output drained
      self->state.report_inflight();
      if (!self->state.s->closed())
        self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
    },
    [=](mqtt_deliver_atom, mqtt_delivery& d) {
      auto& st = self->state;
      if (d.counted)
        st.inbox->fetch_sub(d.counted, std::memory_order_relaxed);
      // a subscriber that does not read: the session drops QoS 0 and
      // queues QoS 1/2 up to the bound (may_send, on_dropped)
      ++st.ctx->mqtt->messages_sent;
      ++st.ctx->mqtt->sent_by_qos[d.qos < 3 ? d.qos : 0];
      ++st.msgs_out;
      if (st.root.empty())
        return st.s->deliver(*d.msg, d.qos, d.subscription_ids, d.backlog);
      auto m = *d.msg; // the tenant's client sees its own topic names
      m.topic = to_client_topic(st.root, m.topic);
      st.s->deliver(m, d.qos, d.subscription_ids, d.backlog);
    },
    [=](mqtt_takeover_atom) {
      // what this connection had not finished goes to the new one, through
      // the broker (on_closed)
      self->state.s->disconnect(reason::session_taken_over,
                                "session taken over");
    },
    [=](mqtt_resume_atom, mqtt_handover& h) {
      // a connection this one took over: resend its unfinished messages
      for (auto& p : h.msgs)
        p.msg.topic = to_client_topic(self->state.root, p.msg.topic);
      self->state.s->resume(std::move(h.msgs), h.awaiting_rel);
    },
    [=](drain_atom) {
      self->state.s->disconnect(reason::server_shutting_down,
                                "server shutting down");
    },
  };
}

} // namespace

caf::actor spawn_mqtt_connection(caf::actor_system& sys, connection_ptr conn,
                                 std::shared_ptr<server_context> ctx) {
  return sys.spawn(mqtt_connection, make_tcp_transport(std::move(conn)),
                   std::move(ctx));
}

caf::actor spawn_mqtt_connection(caf::actor_system& sys,
                                 std::shared_ptr<wire_transport> transport,
                                 std::shared_ptr<server_context> ctx) {
  return sys.spawn(mqtt_connection, std::move(transport), std::move(ctx));
}

} // namespace themis
