#pragma once
/// Tenant topic namespaces (issue 9): a tenant's MQTT client sees a topic
/// tree of its own. The broker keeps it under "$tenants/<tenant>/" — a `$`
/// root, so no global client's `#` or `+` reaches it (MQTT §4.7.2) and no
/// client can publish there — and the connection maps every topic, filter
/// and client id in and out. Pure functions; the global namespace (empty
/// tenant) maps everything to itself.

#include <string>
#include <string_view>

#include "protocols/mqtt/mqtt_codec.hpp"

namespace themis::mqtt {

/// "$tenants/acme/" (or "" for the global namespace).
inline std::string tenant_root(std::string_view tenant) {
  if (tenant.empty())
    return {};
  std::string r = "$tenants/";
  r += tenant;
  r += '/';
  return r;
}

/// The broker's topic for a client's topic name.
inline std::string to_broker_topic(std::string_view root,
                                   std::string_view topic) {
  std::string t(root);
  t += topic;
  return t;
}

/// The broker's filter for a client's filter; `$share/g/f` keeps its
/// group and maps `f`. An invalid filter is returned unchanged, so the
/// broker refuses it as the client wrote it.
inline std::string to_broker_filter(std::string_view root,
                                    std::string_view filter) {
  if (root.empty())
    return std::string(filter);
  std::string group, inner;
  if (split_shared(filter, group, inner)) {
    if (!valid_topic_filter(inner))
      return std::string(filter);
    return "$share/" + group + "/" + to_broker_topic(root, inner);
  }
  if (filter.rfind("$share/", 0) == 0 || !valid_topic_filter(filter))
    return std::string(filter);
  return to_broker_topic(root, filter);
}

/// What a client's principal may subscribe to, before the topic ACL (which
/// the broker applies to the same inner filter).
struct subscriber_rights {
  bool tenant = false; ///< in a tenant's namespace (its filters are mapped)
  bool admin = false;  ///< a global admin (tenants' trees are open to it)
  bool data_read = false;
  bool cdc_read = false;
  std::string_view changes_prefix; ///< mqtt.changes_prefix ("" if off)
};

enum class filter_verdict : uint8_t { ok, invalid, not_authorized };

/// The checks of a SUBSCRIBE filter as the client wrote it. A shared
/// subscription `$share/{group}/{f}` is judged by `f`, exactly as the plain
/// filter `f` would be (issue 17: `$share/g/$tenants/beta/#` reached another
/// tenant's tree): change topics need cdc:read, the rest data:read, and the
/// `$tenants/` tree is a global admin's only. A malformed shared filter, or
/// one nested in another (`$share/g/$share/h/x`), is invalid.
inline filter_verdict check_subscription(std::string_view filter,
                                         const subscriber_rights& r) {
  constexpr std::string_view share = "$share/";
  std::string group, inner_s;
  std::string_view inner = filter;
  if (filter.substr(0, share.size()) == share) {
    if (!split_shared(filter, group, inner_s))
      return filter_verdict::invalid;
    inner = inner_s;
    if (inner.substr(0, share.size()) == share || inner == "$share")
      return filter_verdict::invalid;
  }
  if (!valid_topic_filter(inner))
    return filter_verdict::invalid;
  auto& changes = r.changes_prefix;
  bool cdc = !changes.empty() && inner.substr(0, changes.size()) == changes;
  if (!(cdc ? r.cdc_read : r.data_read))
    return filter_verdict::not_authorized;
  constexpr std::string_view tenants = "$tenants";
  if (inner.substr(0, tenants.size()) == tenants &&
      (inner.size() == tenants.size() || inner[tenants.size()] == '/') &&
      (r.tenant || !r.admin))
    return filter_verdict::not_authorized;
  return filter_verdict::ok;
}

/// The collection of an ingest topic `{prefix}{collection}/…` (the whole
/// rest when there is no further level); "" when `topic` is not under
/// `prefix`. The caller validates the name as REST does.
inline std::string_view ingest_collection(std::string_view prefix,
                                          std::string_view topic) {
  if (prefix.empty() || topic.substr(0, prefix.size()) != prefix)
    return {};
  auto rest = topic.substr(prefix.size());
  return rest.substr(0, rest.find('/'));
}

/// The client's name of a broker topic (unchanged if outside `root`).
inline std::string to_client_topic(std::string_view root,
                                   std::string_view topic) {
  if (!root.empty() && topic.substr(0, root.size()) == root)
    topic.remove_prefix(root.size());
  return std::string(topic);
}

} // namespace themis::mqtt
