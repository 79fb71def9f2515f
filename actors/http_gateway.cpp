/// The HTTP front-end's gateway hook (issue 23): before themisd's own
/// router, the route table decides; forward routes go to their cluster's
/// actor and the answer is relayed. Part of the HTTP connection actor.

#include "actors/gateway_cluster.hpp"
#include "actors/gateway_hub.hpp"
#include "actors/gateway_tunnel.hpp"
#include "actors/http_connection_state.hpp"
#include "gateway/proxy_request.hpp"
#include "protocols/http2/h2_session.hpp"

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<const themis::gateway_call>)

namespace themis::detail {

namespace {

api_response gateway_refusal(int status, const std::string& reason) {
  auto r = error_response(status, "gateway: " + reason);
  r.headers.emplace_back(gateway_reason_header, reason);
  return r;
}

} // namespace

bool http_connection_state::gateway_dispatch(uint64_t id, api_request& req) {
  auto snap = ctx->gateway->current();
  if (!snap->routes || snap->routes->size() == 0)
    return false;
  auto* route = snap->routes->match(req);
  if (!route || route->action == gateway::action_kind::themisd)
    return false;
  auto idx = snap->routes->index_of(route);
  auto stats = idx >= 0 ? snap->route_stats[idx] : nullptr;
  auto t0 = std::chrono::steady_clock::now();
  auto answer = [this, id, stats, t0](api_response r) {
    if (stats)
      stats->record(r.status, std::chrono::duration<double>(
                                std::chrono::steady_clock::now() - t0)
                                .count());
    if (conn->tls() && !h3_alt_svc().empty())
      r.headers.emplace_back("Alt-Svc", h3_alt_svc());
    session->respond(id, std::move(r));
    want_read();
  };
  switch (route->action) {
    case gateway::action_kind::direct: {
      api_response r;
      r.status = route->direct_status;
      r.body = route->direct_body;
      r.headers.emplace_back("Content-Type", route->direct_content_type);
      for (auto& [k, v] : route->response_headers.add)
        r.set_header(k, v);
      answer(std::move(r));
      return true;
    }
    case gateway::action_kind::redirect: {
      api_response r;
      r.status = route->redirect_status;
      r.headers.emplace_back("Location",
                             gateway::redirect_location(*route, req));
      for (auto& [k, v] : route->response_headers.add)
        r.set_header(k, v);
      answer(std::move(r));
      return true;
    }
    default:
      break;
  }
  bool upgrade = req.header("Sec-WebSocket-Key") || req.header("Upgrade");
  if (upgrade) {
    auto* up = req.header("Upgrade");
    if (session->multiplexed() || !up || !iequals(*up, "websocket") ||
        req.method != "GET" || gw_tunnel) {
      answer(gateway_refusal(501, "only WebSocket upgrades over HTTP/1.1 "
                                  "pass through the gateway"));
      return true;
    }
  }
  if (req.body.size() > route->forward.max_request_bytes) {
    answer(gateway_refusal(413, "request body over the route's "
                                "max_request_bytes"));
    return true;
  }
  auto it = snap->clusters.find(route->forward.cluster);
  if (it == snap->clusters.end()) {
    answer(gateway_refusal(503, "no upstream cluster"));
    return true;
  }
  auto call = std::make_shared<gateway_call>();
  call->wire = std::make_shared<const std::string>(
    upgrade ? gateway::build_upgrade_request(*route, req, conn->tls(),
                                             route->forward.cluster)
            : gateway::build_upstream_request(*route, req, conn->tls(),
                                              route->forward.cluster));
  call->head = req.method == "HEAD";
  call->idempotent = gateway::is_idempotent(req.method);
  call->coalesce_key = gateway::coalesce_key(*route, req);
  call->max_waiters = route->forward.max_waiters;
  auto& cluster_cfg = [&]() -> const gateway::cluster_config& {
    for (auto& c : snap->config->clusters)
      if (c.name == route->forward.cluster)
        return c;
    return snap->config->clusters.front(); // (validated: unreachable)
  }();
  if (cluster_cfg.lb == gateway::lb_policy::ring_hash ||
      cluster_cfg.lb == gateway::lb_policy::maglev)
    call->affinity = gateway::affinity_hash(cluster_cfg, req);
  call->fwd = route->forward;
  if (upgrade) { // never retried, never shared
    call->idempotent = false;
    call->coalesce_key.clear();
    call->tunnel = std::make_shared<gateway_tunnel_slot>();
  }
  auto slot = call->tunnel;
  if (!call->head && call->coalesce_key.empty()) {
    // the answer may stream: its body comes through this pipe, straight
    // from the upstream connection (gateway_pump)
    auto pipe = std::make_shared<gateway::body_pipe>(
      route->forward.stream_buffer_bytes,
      route->forward.stream_idle_timeout_ms);
    caf::actor_addr me = self->address(); // (weak: no cycle through the pipe)
    pipe->set_notify([me, id] {
      if (auto a = caf::actor_cast<caf::actor>(me))
        caf::anon_send(a, gw_body_atom::value, id, false);
    });
    call->body = pipe;
    gw_relays.erase(id);
    gw_relays.emplace(id, gateway_relay(std::move(pipe))).first->second.tunnel =
      upgrade;
  }
  auto timeout = std::chrono::milliseconds(route->forward.timeout_ms + 2000);
  std::shared_ptr<const gateway_call> msg = std::move(call);
  // `snap` is kept alive by the callbacks: `route` stays valid through a
  // reload that replaces the table
  self->request(it->second, timeout, gw_fwd_atom::value, msg)
    .then(
      [this, snap, route, answer, id, slot](api_response& r) {
        guarded([&] {
          auto rel = gw_relays.find(id);
          if (r.status == 101) { // the upstream took the WebSocket upgrade
            if (rel == gw_relays.end() || !slot || !slot->tunnel) {
              gw_relays.erase(id);
              answer(gateway_refusal(502, "upstream switched protocols "
                                          "unasked"));
              return;
            }
            std::string upgrade_to = "websocket";
            if (auto* u = r.header("Upgrade"))
              upgrade_to = *u;
            gateway::relay_response_headers(*route, r.headers);
            r.headers.emplace_back("Upgrade", upgrade_to);
            gw_tunnel = slot;
            gw_window = rel->second.pipe->window();
            rel->second.head_sent = true;
            answer(std::move(r)); // (on_upgraded: the client's early bytes)
            gateway_pump(id);
            return;
          }
          if (r.stream && rel == gw_relays.end()) {
            // (cannot happen: only calls with a pipe stream)
            answer(gateway_refusal(502, "streamed answer without a relay"));
            return;
          }
          if (!r.stream && rel != gw_relays.end())
            gw_relays.erase(rel); // it came whole: nothing follows
          if (!r.header(gateway_reason_header))
            gateway::relay_response_headers(*route, r.headers);
          bool streamed = r.stream;
          answer(std::move(r));
          if (streamed) {
            if (auto again = gw_relays.find(id); again != gw_relays.end()) {
              again->second.head_sent = true;
              gateway_pump(id); // what came with the head
            }
          }
        });
      },
      [this, answer, id](caf::error& err) {
        guarded([&] {
          gw_relays.erase(id);
          answer(gateway_refusal(504, "upstream cluster did not answer: " +
                                        caf::to_string(err)));
        });
      });
  return true;
}

void http_connection_state::gateway_pump(uint64_t id) {
  auto it = gw_relays.find(id);
  if (it == gw_relays.end() || !it->second.head_sent || closed)
    return;
  auto& rel = it->second;
  // back-pressure: take more from the upstream only once the client has
  // (nearly) read what it was given; until then the pipe fills and its
  // producer stops reading the upstream socket. A tunnel also waits for
  // the upstream to take the client's bytes (reads paused meanwhile).
  if (rel.tunnel)
    want_read();
  auto backlog =
    conn->queued_bytes() + (rel.tunnel ? 0 : session->stream_backlog(id));
  if (rel.tunnel && gateway_tunnel_backlogged())
    backlog = rel.pipe->window(); // (checked again after the delay)
  if (backlog >= rel.pipe->window()) {
    if (!rel.retry) {
      rel.retry = true;
      self->delayed_send(self, std::chrono::milliseconds(5),
                         gw_body_atom::value, id, true);
    }
    return;
  }
  auto p = rel.pipe->take();
  if (!p.bytes.empty()) {
    if (rel.tunnel)
      conn->write(std::move(p.bytes));
    else
      session->stream_data(id, p.bytes);
  }
  if (!p.end) {
    want_read();
    return;
  }
  bool tunnel = rel.tunnel;
  gw_relays.erase(it);
  if (tunnel) { // the upstream closed (or broke, or idled): so does the client
    spdlog::debug("http {}: gateway WebSocket tunnel ended{}{}",
                  conn->remote_address(), p.failed ? ": " : "", p.error);
    gateway_tunnel_close();
    closed = true;
    conn->close_after_writes();
    return;
  }
  if (!p.failed) {
    session->stream_end(id);
    want_read();
    return;
  }
  // the upstream broke off mid-body: the client must see a broken answer,
  // not a complete one (HTTP/2: RST_STREAM; HTTP/1.1: the connection
  // closes before the last chunk or the declared length)
  spdlog::debug("http {}: gateway stream {} failed: {}", conn->remote_address(),
                id, p.error);
  if (auto* h2 = dynamic_cast<http2::h2_session*>(session.get())) {
    h2->reset_stream(id, 0x2 /* INTERNAL_ERROR */);
    want_read();
    return;
  }
  closed = true;
  conn->close_after_writes();
}

void http_connection_state::gateway_tunnel_in(std::string bytes) {
  if (gw_tunnel && gw_tunnel->tunnel && !bytes.empty())
    gw_tunnel->tunnel->send(std::move(bytes));
  if (gateway_tunnel_backlogged())
    for (auto& [id, rel] : gw_relays)
      if (rel.tunnel && !rel.retry) { // look again when it drained
        rel.retry = true;
        self->delayed_send(self, std::chrono::milliseconds(5),
                           gw_body_atom::value, id, true);
      }
}

bool http_connection_state::gateway_tunnel_backlogged() const {
  return gw_tunnel && gw_tunnel->tunnel &&
         gw_tunnel->tunnel->queued() >= gw_window;
}

void http_connection_state::gateway_tunnel_close() {
  if (gw_tunnel && gw_tunnel->tunnel)
    gw_tunnel->tunnel->close();
}

} // namespace themis::detail
