#pragma once
/// One audit record of an HTTP request (issue 9): the principal, peer and
/// request id the auth gate and the admin handlers all record the same way.

#include <string>

#include "engine/security/audit_log.hpp"
#include "themis/api_message.hpp"

namespace themis {

inline engine::audit_event http_audit_event(const api_request& req,
                                            std::string action,
                                            std::string outcome,
                                            std::string detail) {
  engine::audit_event e;
  e.action = std::move(action);
  e.outcome = std::move(outcome);
  e.protocol = "http";
  e.user = req.who.user;
  e.tenant = req.who.tenant;
  e.remote = req.remote_addr;
  e.request_id = req.request_id;
  e.detail = std::move(detail);
  return e;
}

} // namespace themis
