#pragma once
/// The identity providers' protocol-neutral answers (auth/oauth2's
/// `answer`, which the SAML SP shares) → HTTP, and their audit notes →
/// the audit log with the request's peer and id: one translation for the
/// OAuth2 and SAML handlers.

#include <utility>

#include "auth/oauth2/provider.hpp"
#include "engine/security/audit_log.hpp"
#include "handlers/handler_env.hpp"
#include "handlers/http_audit.hpp"

namespace themis {

/// Records `a`'s audit note (if any); the note's user, when set, is the
/// one signing in (else the caller, e.g. an admin action).
inline void audit_answer(const handler_env& env, const api_request& req,
                         const auth::oauth2::answer& a) {
  if (!a.audit || !env.audit)
    return;
  auto e =
    http_audit_event(req, a.audit->action, a.audit->outcome, a.audit->detail);
  if (!a.audit->user.empty()) {
    e.user = a.audit->user;
    e.tenant = a.audit->tenant;
  }
  env.audit->append(std::move(e));
}

inline api_response answer_response(auth::oauth2::answer a) {
  api_response r;
  r.status = a.status;
  r.body = std::move(a.body);
  if (!a.content_type.empty())
    r.set_header("Content-Type", a.content_type);
  for (auto& [k, v] : a.headers)
    r.headers.emplace_back(std::move(k), std::move(v));
  return r;
}

} // namespace themis
