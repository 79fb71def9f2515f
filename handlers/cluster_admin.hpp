#pragma once
/// What the cluster routes (/api/v1/cluster/…, issue 25) ask of the node's
/// etcd session, implemented in actors/cluster_node.cpp; null when the
/// node is not clustered (cluster.etcd.endpoints empty). The handlers stay
/// free of etcd: they check the caller, hand over the body and send back
/// what they get.

#include <cstdint>
#include <optional>
#include <string>

#include "themis/api_message.hpp"

namespace themis::engine {
struct api_key_record;
}

namespace themis {

class cluster_admin {
public:
  virtual ~cluster_admin() = default;
  /// Nodes, leader, config revision, etcd and Redis state (JSON).
  virtual std::string status_json() const = 0;
  /// Every replicated section with its mod revision (JSON).
  virtual std::string config_json() const = 0;
  /// Checks and stores one section (JSON body {"section", "value",
  /// "revision"}): 200, 400 with errors, 409 revision mismatch, 503 etcd
  /// unavailable. Blocks up to the etcd request timeout: call it on a
  /// worker, never on an actor.
  virtual api_response put_config(const std::string& body,
                                  const std::string* if_match) = 0;
  /// Stores an API key's record (its digest, never the secret) for every
  /// node to import. An error when etcd did not take it. Blocks like
  /// put_config.
  virtual std::optional<std::string>
  publish_api_key(const engine::api_key_record& r) = 0;
  /// The owner of `key` on the hash ring of live nodes (JSON).
  virtual std::string ring_json(const std::string& key) const = 0;
};

} // namespace themis
