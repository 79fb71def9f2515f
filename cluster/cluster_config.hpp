#pragma once
/// The sections of the replicated configuration (issue 25,
/// docs/cluster.md), as stored under `<prefix>/config/<section>`: their
/// JSON shape and the checks a section passes before it is stored (admin
/// API) or applied (a node's watch, whatever wrote it — etcdctl included).
/// Pure: the caller applies the parsed result.
///
///   rate_limiting  {"enabled": bool, "rules": [...], "groups": [...],
///                   "whitelist": [...], "dry_run": bool}
///   tenant_quotas  {"quotas": ["tenant rps=… conns=… jobs=…", ...]}
///   api_keys       {"revoked": ["<key id>", ...]}
///   gateway        {"yaml": "<the gateway file's YAML>"} (routes and
///                  clusters; checked in full by the node, which has the
///                  gateway's parser: actors/cluster_node.cpp)
///
/// Absent fields keep the node's own (file) value.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::cluster {

struct replicated_rate_limits {
  std::optional<bool> enabled;
  std::optional<bool> dry_run;
  std::optional<std::vector<std::string>> rules;
  std::optional<std::vector<std::string>> groups;
  std::optional<std::vector<std::string>> whitelist;
};

struct replicated_section {
  std::string name;
  replicated_rate_limits rate_limiting;   ///< name rate_limiting
  std::vector<std::string> tenant_quotas; ///< name tenant_quotas
  std::vector<std::string> revoked_keys;  ///< name api_keys
  std::string gateway_yaml;               ///< name gateway
};

/// The sections a node knows how to apply.
const std::vector<std::string>& replicated_sections();

/// Parses and checks `text` as section `name`. Errors (one per problem,
/// naming the field) leave `out` unspecified.
std::vector<std::string> parse_section(const std::string& name,
                                       std::string_view text,
                                       replicated_section& out);

} // namespace themis::cluster
