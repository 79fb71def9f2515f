#include "auth/ranger/ranger_audit.hpp"

#include <ctime>
#include <nlohmann/json.hpp>

namespace themis::auth::ranger {

std::string format_audit_event(const audit_event& e) {
  // evtTime as Ranger writes it: "yyyy-MM-dd HH:mm:ss.SSS" (UTC here)
  std::time_t secs = static_cast<std::time_t>(e.time_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char when[96];
  std::snprintf(when, sizeof when, "%04d-%02d-%02d %02d:%02d:%02d.%03d",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(e.time_ms % 1000));
  nlohmann::json j = {
    {"repoType", 0}, // no numeric id: themis is not a built-in service type
    {"repo", e.repo},
    {"reqUser", e.user},
    {"evtTime", when},
    {"access", e.access},
    {"resource", e.resource},
    {"resType", e.res_type},
    {"action", e.action},
    {"result", e.allowed ? 1 : 0},
    {"agent", e.agent},
    {"policy", e.policy_id},
    {"enforcer", e.enforcer},
    {"cliIP", e.client_ip},
    {"agentHost", e.agent_host},
    {"logType", "RangerAudit"},
    {"id", e.event_id},
    {"seq_num", e.seq},
    {"event_count", 1},
    {"event_dur_ms", 0},
    {"tags", nlohmann::json::array()},
    {"policyVersion", e.policy_version},
  };
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace themis::auth::ranger
