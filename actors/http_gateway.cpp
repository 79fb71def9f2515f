/// The HTTP front-end's gateway hook (issue 23): before themisd's own
/// router, the route table decides; forward routes go to their cluster's
/// actor and the answer is relayed. Part of the HTTP connection actor.

#include "actors/gateway_cluster.hpp"
#include "actors/gateway_hub.hpp"
#include "actors/http_connection_state.hpp"
#include "gateway/proxy_request.hpp"

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
  if (req.header("Sec-WebSocket-Key") || req.header("Upgrade")) {
    answer(gateway_refusal(501, "WebSocket and Upgrade pass-through are "
                                "not supported by the gateway yet"));
    return true;
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
  call->wire =
    std::make_shared<const std::string>(gateway::build_upstream_request(
      *route, req, conn->tls(), route->forward.cluster));
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
  if (cluster_cfg.lb == gateway::lb_policy::ring_hash)
    call->affinity = gateway::affinity_hash(cluster_cfg, req);
  call->fwd = route->forward;
  auto timeout = std::chrono::milliseconds(route->forward.timeout_ms + 2000);
  std::shared_ptr<const gateway_call> msg = std::move(call);
  // `snap` is kept alive by the callbacks: `route` stays valid through a
  // reload that replaces the table
  self->request(it->second, timeout, gw_fwd_atom::value, msg)
    .then(
      [this, snap, route, answer](api_response& r) {
        guarded([&] {
          if (!r.header(gateway_reason_header))
            gateway::relay_response_headers(*route, r.headers);
          answer(std::move(r));
        });
      },
      [this, answer](caf::error& err) {
        guarded([&] {
          answer(gateway_refusal(504, "upstream cluster did not answer: " +
                                        caf::to_string(err)));
        });
      });
  return true;
}

} // namespace themis::detail
