#pragma once
/// /api/v1/cluster/status, /config (GET, PUT) and /ring (issue 25,
/// docs/cluster.md): global admin only; 404 on a node without etcd.

namespace themis {

struct route_context;

void cluster_status(route_context& ctx);
void cluster_config_get(route_context& ctx);
void cluster_config_put(route_context& ctx);
void cluster_ring(route_context& ctx);

} // namespace themis
