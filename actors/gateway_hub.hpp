#pragma once
/// The gateway's live state (issue 23): the route table and an actor per
/// upstream cluster, swapped as a whole on reload. Connection actors take
/// a snapshot per request and keep it until the answer, so a reload never
/// pulls a route or cluster from under a request in flight; replaced
/// cluster actors finish what they have, then quit.

#include <caf/actor.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/gateway_config.hpp"
#include "gateway/gateway_stats.hpp"
#include "gateway/route_table.hpp"

namespace boost::asio {
class io_context;
}
namespace caf {
class actor_system;
}

namespace themis {

class prometheus_text;

struct gateway_snapshot {
  std::shared_ptr<const gateway::gateway_config> config;
  std::unique_ptr<gateway::route_table> routes;
  std::map<std::string, caf::actor> clusters;
  std::vector<std::shared_ptr<gateway::route_stats>> route_stats; ///< by index
  /// parallel to config->clusters: readers never touch the hub's maps
  std::vector<std::shared_ptr<gateway::cluster_stats>> cluster_stats;
  std::string file;
  uint64_t generation = 0;
};

class gateway_hub {
public:
  gateway_hub(caf::actor_system& sys, boost::asio::io_context& io);
  ~gateway_hub();

  /// Reads and validates `file` ("" : no gateway); nothing changes yet.
  std::optional<std::string>
  prepare(const std::string& file,
          std::shared_ptr<const gateway::gateway_config>& out) const;
  /// Makes `cfg` current: clusters whose settings did not change keep
  /// their actor (pool, health and outlier state); others are spawned and
  /// the replaced ones retire after their requests in flight.
  void install(std::shared_ptr<const gateway::gateway_config> cfg,
               const std::string& file);

  std::shared_ptr<const gateway_snapshot> current() const {
    std::lock_guard<std::mutex> g(mtx_);
    return current_;
  }

  /// GET /api/v1/gateway/upstreams: clusters, endpoints and their health.
  std::string upstreams_json() const;
  /// themis_gateway_* families for /metrics.
  void render_metrics(prometheus_text& out) const;
  /// Retires every cluster actor (shutdown).
  void stop();

private:
  caf::actor_system& sys_;
  boost::asio::io_context& io_;
  mutable std::mutex mtx_;
  std::shared_ptr<const gateway_snapshot> current_;
  /// kept by name across reloads (counters do not restart)
  std::map<std::string, std::shared_ptr<gateway::cluster_stats>> cstats_;
  std::map<std::string, std::shared_ptr<gateway::route_stats>> rstats_;
  std::map<std::string, std::pair<gateway::cluster_config, caf::actor>> live_;
};

} // namespace themis
