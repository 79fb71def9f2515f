#pragma once
/// Ranger-format audit events (issue 24): one JSON object per line with the
/// field names of Ranger's AuthzAuditEvent (agents-audit), as Ranger's
/// audit framework writes them to its file/Solr destinations, so the same
/// tooling (Solr ingest, Ranger's audit UI schema) reads them. Pure.

#include <cstdint>
#include <string>

namespace themis::auth::ranger {

struct audit_event {
  std::string repo;     ///< service name
  std::string user;     ///< reqUser
  int64_t time_ms = 0;  ///< evtTime
  std::string access;   ///< accessType / access
  std::string resource; ///< "tenant/collection/key"
  std::string res_type; ///< @collection, @topic, @table …
  std::string action;   ///< what the client did: GET /v1/… , PUBLISH …
  bool allowed = false;
  int64_t policy_id = -1;
  int64_t policy_version = -1;
  std::string client_ip;
  std::string agent; ///< "themisd-rest", "themisd-mqtt", "themisd-pg"
  std::string agent_host;
  std::string enforcer; ///< ranger-acl, or themis-scopes when unmatched
  std::string event_id; ///< unique per event
  int64_t seq = 0;
};

/// One line, without the newline.
std::string format_audit_event(const audit_event& e);

} // namespace themis::auth::ranger
