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

/// The client's name of a broker topic (unchanged if outside `root`).
inline std::string to_client_topic(std::string_view root,
                                   std::string_view topic) {
  if (!root.empty() && topic.substr(0, root.size()) == root)
    topic.remove_prefix(root.size());
  return std::string(topic);
}

} // namespace themis::mqtt
