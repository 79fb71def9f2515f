#include "handlers/graphql_ws.hpp"

#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "handlers/graphql_resolvers.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
constexpr size_t backfill_page = 500;
constexpr uint32_t job_poll_ms = 250;
/// A wait the change log never satisfies: the notifier as a timer.
constexpr uint64_t never = UINT64_MAX - 1;

bool has_token(const std::string* header, std::string_view token) {
  if (!header)
    return false;
  std::string v = *header;
  size_t i = 0;
  while (i <= v.size()) {
    auto c = v.find(',', i);
    if (c == std::string::npos)
      c = v.size();
    auto item = v.substr(i, c - i);
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos && iequals(item.substr(b, e - b + 1), token))
      return true;
    i = c + 1;
  }
  return false;
}

bool terminal(const std::string& status) {
  return status == "completed" || status == "failed" || status == "cancelled";
}

} // namespace

void graphql_ws::close(int code, const std::string& why) {
  if (closed_)
    return;
  closed_ = true;
  subs_.clear();
  sink_->close(static_cast<uint16_t>(code), why);
}

void graphql_ws::send(const json& msg) {
  if (!closed_)
    sink_->send_text(dump(msg));
}

void graphql_ws::send_error(const std::string& id, json errors) {
  gql::strip_tenant(errors, who_.tenant);
  send({{"id", id}, {"type", "error"}, {"payload", errors["errors"]}});
}

void graphql_ws::after(uint32_t ms, std::function<void(graphql_ws&)> fn) {
  std::weak_ptr<graphql_ws> weak = weak_from_this();
  // false: no waiting possible (draining, no hub) — the socket is being
  // closed anyway, and firing now would turn a poll into a busy loop
  timer_->wait_after(never, ms, [weak, fn = std::move(fn)](bool waited) {
    if (auto self = weak.lock(); self && !self->closed_ && waited)
      fn(*self);
  });
}

void graphql_ws::on_open(message_sink& sink, uint64_t tip) {
  sink_ = &sink;
  live_ = tip;
  after(env_.config.graphql.init_timeout_ms, [](graphql_ws& self) {
    if (!self.acked_)
      self.close(4408, "Connection initialisation timeout");
  });
}

void graphql_ws::on_message(message_sink& sink, std::string text) {
  sink_ = &sink;
  if (closed_)
    return;
  json m;
  if (engine::parse_untrusted_json(text, m) != engine::json_parse_status::ok ||
      !m.is_object() || !m.contains("type") || !m["type"].is_string())
    return close(4400, "Invalid message received");
  auto type = m["type"].get<std::string>();
  auto payload = m.find("payload");
  bool payload_ok =
    payload == m.end() || payload->is_null() || payload->is_object();
  if (type == "connection_init") {
    if (!payload_ok)
      return close(4400, "Invalid message received");
    if (init_)
      return close(4429, "Too many initialisation requests");
    init_ = acked_ = true; // the upgrade request was authenticated
    return send({{"type", "connection_ack"}});
  }
  if (type == "ping") {
    if (!payload_ok)
      return close(4400, "Invalid message received");
    return send({{"type", "pong"}});
  }
  if (type == "pong")
    return;
  if (type == "subscribe") {
    if (!acked_)
      return close(4401, "Unauthorized");
    if (!m.contains("id") || !m["id"].is_string() ||
        m["id"].get<std::string>().empty() ||
        m["id"].get<std::string>().size() > 256 || payload == m.end() ||
        !payload->is_object())
      return close(4400, "Invalid message received");
    return subscribe(m);
  }
  if (type == "complete") {
    if (!m.contains("id") || !m["id"].is_string())
      return close(4400, "Invalid message received");
    subs_.erase(m["id"].get<std::string>());
    return;
  }
  close(4400, "Invalid message received");
}

void graphql_ws::subscribe(const json& msg) {
  auto id = msg["id"].get<std::string>();
  if (subs_.count(id))
    return close(4409,
                 "Subscriber for " + id.substr(0, 64) + " already exists");
  if (subs_.size() >= env_.config.graphql.max_subscriptions)
    return send_error(id,
                      gql::request_error("too many subscriptions on one socket "
                                         "(graphql.max_subscriptions)",
                                         graphql::codes::limit));
  gql::request_params p;
  if (auto bad = gql::read_params(msg["payload"], p); !bad.empty())
    return send_error(id, gql::request_error(bad, "BAD_REQUEST"));
  gql::prepared prep;
  try {
    prep = gql::prepare(p, who_, env_, {false, true});
  } catch (const std::exception& e) {
    return send_error(id, gql::request_error(e.what(), "INTERNAL"));
  }
  if (prep.refused)
    return send_error(id, prep.refused->body);
  subscription sub;
  if (prep.op->op != graphql::operation_type::subscription) {
    subs_[id] = sub; // runs once: next, then complete
    std::weak_ptr<graphql_ws> weak = weak_from_this();
    gql::run_operation(
      std::move(p), who_, ports_, {false, true}, [weak, id](gql::outcome o) {
        auto self = weak.lock();
        if (!self || self->closed_ || !self->subs_.count(id))
          return;
        self->subs_.erase(id);
        if (o.request_error)
          return self->send_error(id, o.body);
        self->send({{"id", id}, {"type", "next"}, {"payload", o.body}});
        self->send({{"id", id}, {"type", "complete"}});
      });
    return;
  }
  graphql::execute_options opts;
  opts.operation_name = p.operation_name;
  opts.variables = p.variables;
  std::vector<graphql::error> errs;
  auto root = graphql::subscription_root_field(prep.bundle->schema, *prep.doc,
                                               opts, errs);
  if (!root) {
    json body = {{"errors", graphql::errors_to_json(errs)}};
    return send_error(id, body);
  }
  sub.bundle = prep.bundle;
  sub.doc = prep.doc;
  sub.operation_name = p.operation_name;
  sub.variables = p.variables;
  auto scope = root->field_name == "changes" ? "cdc:read" : "jobs";
  if (!who_.has_scope(scope))
    return send_error(id, gql::request_error(std::string("the token lacks the "
                                                         "scope ") +
                                               scope,
                                             "FORBIDDEN"));
  if (root->field_name == "jobProgress") {
    sub.k = kind::job;
    sub.job_id = root->args.value("id", std::string());
    subs_[id] = std::move(sub);
    return poll_job(id);
  }
  start_changes(id, std::move(sub), *root);
}

void graphql_ws::start_changes(const std::string& id, subscription sub,
                               const graphql::subscription_root& root) {
  sub.k = kind::changes;
  auto coll = root.args.value("collection", std::string());
  if (!engine::valid_collection_name(coll))
    return send_error(
      id, gql::request_error("invalid collection name", "BAD_USER_INPUT"));
  std::string query = "collection=" + coll;
  auto filter = root.args.value("filter", json());
  if (!filter.is_null()) {
    if (!filter.is_object())
      return send_error(
        id, gql::request_error("filter: {keyPrefix, types: [PUT|DELETE]}",
                               "BAD_USER_INPUT"));
    for (auto& [k, v] : filter.items()) {
      if (k == "keyPrefix" && v.is_string() &&
          v.get<std::string>().find_first_of("&%") == std::string::npos) {
        query += "&key_prefix=" + v.get<std::string>();
      } else if (k == "types" && v.is_array() && v.size() <= 2 &&
                 std::all_of(v.begin(), v.end(), [](auto& t) {
                   return t == "PUT" || t == "DELETE";
                 })) {
        std::string all;
        for (auto& t : v)
          all += (all.empty() ? "" : ",") + t.template get<std::string>();
        query += "&event_types=" + all;
      } else {
        return send_error(
          id, gql::request_error("filter: {keyPrefix: String, types: "
                                 "[\"PUT\"|\"DELETE\"]}",
                                 "BAD_USER_INPUT"));
      }
    }
  }
  if (auto err = change_filter::parse(query, sub.filter))
    return send_error(id, gql::request_error(*err, "BAD_USER_INPUT"));
  sub.filter.scope_to(who_);
  uint64_t from = live_;
  auto f = root.args.value("fromSequence", json());
  if (f.is_string() && f != "now") {
    if (!parse_uint(f.get<std::string>(), from))
      return send_error(
        id, gql::request_error("fromSequence: a sequence number or \"now\"",
                               "BAD_USER_INPUT"));
    from = std::min(from, live_);
  }
  if (from < env_.reader.compacted_through())
    return send_error(
      id, gql::request_error("events after " + std::to_string(from) +
                               " were compacted; resume from the tip",
                             "GONE"));
  sub.last = sub.sent = from;
  sub.target = live_;
  sub.backfilling = from < live_;
  subs_[id] = std::move(sub);
}

void graphql_ws::emit(const std::string& id, subscription& sub,
                      const json& root_value) {
  graphql::execute_options opts;
  opts.operation_name = sub.operation_name;
  opts.variables = sub.variables;
  opts.introspection = env_.config.graphql.introspection;
  opts.subscription_event = root_value;
  auto result = graphql::execute_sync(sub.bundle->schema, *sub.doc, opts);
  gql::strip_tenant(result, who_.tenant);
  send({{"id", id}, {"type", "next"}, {"payload", std::move(result)}});
}

void graphql_ws::overflow(const std::string& id, subscription& sub) {
  auto resume = std::to_string(sub.sent);
  send(
    {{"id", id},
     {"type", "error"},
     {"payload",
      json::array({{{"message", "the subscriber fell behind; resubscribe with "
                                "fromSequence " +
                                  resume},
                    {"extensions",
                     {{"code", "OVERFLOW"}, {"lastSequence", resume}}}}})}});
  sub.ended = true; // erased by the caller's loop
}

void graphql_ws::deliver(const std::string& id, subscription& sub,
                         const engine::change_event& e) {
  if (e.sequence <= sub.last || sub.k != kind::changes || sub.ended)
    return;
  sub.last = e.sequence;
  if (!sub.filter.matches(e))
    return;
  if (sink_->queued() > env_.config.changefeed.max_queue_bytes)
    return overflow(id, sub);
  json doc;
  if (e.type == "PUT")
    doc = json::parse(e.value, nullptr, false);
  emit(id, sub,
       {{"sequence", std::to_string(e.sequence)},
        {"type", e.type},
        {"collection", sub.filter.shown(e)},
        {"key", e.key},
        {"document", doc.is_discarded() ? json() : doc},
        {"timestampMs", e.timestamp_ms}});
  sub.sent = e.sequence;
}

void graphql_ws::on_events(message_sink& sink, const published_events& batch) {
  sink_ = &sink;
  for (auto& e : batch.events) {
    if (closed_ || e.sequence <= live_)
      continue;
    live_ = e.sequence;
    for (auto it = subs_.begin(); it != subs_.end();) {
      auto& [id, sub] = *it;
      if (sub.k == kind::changes && sub.backfilling) {
        sub.held.push_back(e);
        if (sub.held.size() > env_.config.changefeed.max_queue_events &&
            !sub.ended)
          overflow(id, sub);
      } else {
        deliver(id, sub, e);
      }
      it = sub.ended ? subs_.erase(it) : std::next(it);
    }
  }
}

bool graphql_ws::backfill_step(message_sink& sink) {
  sink_ = &sink;
  for (auto it = subs_.begin(); it != subs_.end() && !closed_; ++it) {
    auto& [id, sub] = *it;
    if (sub.k != kind::changes || !sub.backfilling)
      continue;
    auto cursor = sub.last;
    auto page = env_.reader.changes_after(cursor, backfill_page);
    for (auto& e : page) {
      if (e.sequence > sub.target)
        break;
      deliver(id, sub, e);
    }
    if (sub.ended) {
      subs_.erase(it);
      return true;
    }
    if (page.size() < backfill_page || sub.last == cursor ||
        sub.last >= sub.target) {
      sub.last = std::max(sub.last, sub.target);
      sub.backfilling = false;
      auto held = std::move(sub.held);
      sub.held.clear();
      for (auto& e : held)
        deliver(id, sub, e);
      if (sub.ended)
        subs_.erase(it);
    }
    return true;
  }
  return false;
}

void graphql_ws::poll_job(const std::string& id) {
  auto it = subs_.find(id);
  if (it == subs_.end() || closed_)
    return;
  api_request req;
  req.method = "GET";
  req.path = "/v1/jobs/" + it->second.job_id;
  req.who = who_;
  std::weak_ptr<graphql_ws> weak = weak_from_this();
  ports_.services->ask(
    service_id::jobs, std::move(req), [weak, id](api_response r) {
      auto self = weak.lock();
      if (!self || self->closed_)
        return;
      auto it = self->subs_.find(id);
      if (it == self->subs_.end())
        return;
      auto rec = json::parse(r.body, nullptr, false);
      if (r.status != 200 || !rec.is_object()) {
        self->subs_.erase(it);
        return self->send_error(
          id,
          gql::request_error(r.status == 404 ? "no such job"
                                             : "the job manager answered " +
                                                 std::to_string(r.status),
                             r.status == 404 ? "NOT_FOUND" : "UNAVAILABLE"));
      }
      auto value = gql::job_value(rec);
      auto seen = dump(value);
      if (seen != it->second.job_seen) {
        it->second.job_seen = seen;
        self->emit(id, it->second, value);
      }
      if (terminal(value.value("status", ""))) {
        self->subs_.erase(id);
        return self->send({{"id", id}, {"type", "complete"}});
      }
      self->after(job_poll_ms, [id](graphql_ws& s) { s.poll_job(id); });
    });
}

void graphql_ws::on_shutdown(message_sink& sink, const std::string& why) {
  sink_ = &sink;
  close(1001, why);
}

void graphql_ws_upgrade(route_context& ctx) {
  auto up = ctx.req.header("Upgrade");
  if (!up || !iequals(*up, "websocket") ||
      !has_token(ctx.req.header("Connection"), "upgrade")) {
    auto r = error_response(426, "GraphQL over WebSocket needs an upgrade");
    r.set_header("Upgrade", "websocket");
    return ctx.respond(std::move(r));
  }
  auto ver = ctx.req.header("Sec-WebSocket-Version");
  if (!ver || *ver != "13") {
    auto r = error_response(426, "Sec-WebSocket-Version must be 13");
    r.set_header("Sec-WebSocket-Version", "13");
    return ctx.respond(std::move(r));
  }
  if (!has_token(ctx.req.header("Sec-WebSocket-Protocol"),
                 "graphql-transport-ws"))
    return ctx.respond(error_response(
      400, "Sec-WebSocket-Protocol must offer graphql-transport-ws"));
  gql::run_ports ports{&ctx.env, &ctx.streams.connection_writer(),
                       &ctx.streams.connection_work(), &ctx.services};
  api_response r;
  r.status = 101;
  r.set_header("Upgrade", "websocket");
  r.set_header("Sec-WebSocket-Protocol", "graphql-transport-ws");
  ctx.respond(std::move(r));
  ctx.streams.start_channel(
    std::make_shared<graphql_ws>(ctx.env, ctx.req.who, ports, &ctx.notifier),
    ctx.env.config.changefeed.heartbeat_ms);
}

} // namespace themis
