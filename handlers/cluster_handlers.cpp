#include "handlers/cluster_handlers.hpp"

#include "handlers/admin_state.hpp"
#include "handlers/cluster_admin.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

/// The node's cluster session, or a 404 already sent.
std::shared_ptr<cluster_admin> cluster_of(route_context& ctx) {
  if (!require_global_admin(ctx))
    return nullptr;
  auto c = ctx.env.admin ? ctx.env.admin->cluster : nullptr;
  if (!c)
    ctx.respond(error_response(
      404, "this node is not clustered (cluster.etcd.endpoints is empty)"));
  return c;
}

} // namespace

void cluster_status(route_context& ctx) {
  if (auto c = cluster_of(ctx))
    ctx.respond(json_response(200, c->status_json()));
}

void cluster_config_get(route_context& ctx) {
  if (auto c = cluster_of(ctx))
    ctx.respond(json_response(200, c->config_json()));
}

void cluster_config_put(route_context& ctx) {
  auto c = cluster_of(ctx);
  if (!c)
    return;
  std::optional<std::string> if_match;
  if (auto h = ctx.req.header("If-Match"))
    if_match = *h;
  audit_event_of(ctx, "cluster.config", "ok", "");
  // a compare-and-swap round trip to etcd: on a worker, off the scheduler
  ctx.work.run_blocking(
    [c, body = ctx.req.body, if_match](blocking_writer&) {
      return c->put_config(body, if_match ? &*if_match : nullptr);
    },
    ctx.respond);
}

void cluster_ring(route_context& ctx) {
  if (auto c = cluster_of(ctx))
    ctx.respond(json_response(
      200, c->ring_json(query_param(ctx.req.query, "key").value_or(""))));
}

} // namespace themis
