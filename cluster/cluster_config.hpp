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

/// One API key as every node stores it (name `api_key/<id>`): the record
/// without its secret; the SHA-256 digest lets each node verify the token.
struct replicated_api_key {
  std::string id, name, user, tenant, created_by, digest;
  std::vector<std::string> scopes;
  int64_t created_ms = 0, expires_ms = 0, revoked_ms = 0;
};

/// The section name of one replicated API key.
std::string api_key_section(const std::string& id);
/// Whether `name` is one (`api_key/` + 16 hex digits).
bool is_api_key_section(const std::string& name);
/// Its JSON text (what parse_section reads back).
std::string api_key_text(const replicated_api_key& k);

struct replicated_section {
  std::string name;
  replicated_rate_limits rate_limiting;   ///< name rate_limiting
  std::vector<std::string> tenant_quotas; ///< name tenant_quotas
  std::vector<std::string> revoked_keys;  ///< name api_keys
  std::string gateway_yaml;               ///< name gateway
  replicated_api_key api_key;             ///< name api_key/<id>
  std::vector<std::string> principals;    ///< name principals
};

/// The sections a node knows how to apply.
const std::vector<std::string>& replicated_sections();

/// Parses and checks `text` as section `name`. Errors (one per problem,
/// naming the field) leave `out` unspecified.
std::vector<std::string> parse_section(const std::string& name,
                                       std::string_view text,
                                       replicated_section& out);

} // namespace themis::cluster
