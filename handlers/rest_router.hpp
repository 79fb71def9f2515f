#pragma once
/// Maps protocol-blind requests to handlers. Adds what every answer needs
/// (X-Request-ID, CORS, metrics by route) in one place. Exceptions thrown
/// by a handler propagate to the caller, the connection's edge, which maps
/// them to the protocol's internal error.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "handlers/auth_gate.hpp"
#include "handlers/handler_env.hpp"

namespace themis {

/// Paths never rate limited or shed: probes, scrapes and operators must
/// get through exactly when the server is overloaded.
const std::vector<std::string>& priority_prefixes();

class rest_router {
public:
  explicit rest_router(handler_env env);

  /// Answers `req` through `respond` exactly once, now or later (writes).
  void handle(api_request req, request_ports ports, responder respond);
  /// Authentication for every route (auth.required); set once at start.
  void set_auth(std::shared_ptr<const auth_gate> g) { auth_ = std::move(g); }

private:
  bool cors_origin_allowed(const std::string& origin) const;
  void add_cors(const std::string& origin, api_response& resp) const;
  api_response preflight(const api_request& req) const;
  /// auth.tenant_quotas: requests/s and stored documents.
  std::optional<api_response>
  tenant_quota_refusal(const api_request& req,
                       std::chrono::steady_clock::time_point now);

  handler_env env_;
  std::shared_ptr<const auth_gate> auth_;
  std::string allow_methods_;
  std::string allow_headers_;
  std::string expose_headers_;
};

} // namespace themis
