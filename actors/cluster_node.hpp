#pragma once
/// The node's etcd session as an actor (issue 25, docs/cluster.md), under
/// limits_sup when `cluster.etcd.endpoints` is set. It owns the session
/// (cluster/etcd_session.hpp: two threads of its own, so no scheduler
/// thread waits on etcd): starts it, stops it with itself (the lease is
/// revoked, so the node leaves the cluster at once) and a restart makes a
/// fresh one. What the session sees is applied here:
///
/// - replicated sections: rate-limit rules to the limiter, tenant quotas,
///   API key revocations (cluster/cluster_config.hpp checks them first);
/// - the live node count to the Redis limiter's local fallback;
/// - the hash ring, rebuilt when membership changes;
/// - leadership, which gates the duties listed in `cluster.leader_duties`.

#include <caf/fwd.hpp>
#include <memory>
#include <string>

namespace themis {

struct server_context;
class cluster_admin;
class metrics_registry;

caf::actor spawn_cluster_node(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx);

/// themis_cluster_* families: live nodes, leadership, etcd state, quorum
/// loss episodes, config revision, singleton duty runs.
void add_cluster_collector(metrics_registry& m);

/// The routes' view of the current session (survives actor restarts).
std::shared_ptr<cluster_admin>
make_cluster_admin(std::shared_ptr<server_context> ctx);

/// Whether this node runs the singleton duty `duty` ("ttl_sweep",
/// "jobs_sweep") now: always when the duty is not in
/// `cluster.leader_duties` or the node is not clustered; otherwise only
/// while it leads. A duty that runs counts itself (status "duties").
bool cluster_duty_allowed(const server_context& ctx, const char* duty);

/// Applies the replicated sections again on top of a reloaded file
/// configuration (SIGHUP would otherwise put the file's rules back).
void cluster_reapply(server_context& ctx);

} // namespace themis
