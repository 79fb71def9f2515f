#pragma once
/// Maps protocol-blind requests to handlers. Adds what every answer needs
/// (X-Request-ID, CORS, metrics by route) in one place. Exceptions thrown
/// by a handler propagate to the caller, the connection's edge, which maps
/// them to the protocol's internal error.

#include <chrono>
#include <memory>
#include <mutex>
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
  /// Replaces the CORS policy (SIGHUP); requests from now on use it.
  void set_cors(const cors_section& c);

private:
  struct decided_limits; ///< issue 25: limits decided by Redis
  /// handle() once the limits are known: `pre` from the Redis backend, or
  /// null to check this node's limiter here.
  void admit(api_request req, request_ports ports, responder respond,
             const decided_limits* pre);
  /// The `cors` section and its header values, joined once.
  struct cors_policy {
    cors_section cfg;
    std::string allow_methods, allow_headers, expose_headers;
    bool allowed(const std::string& origin) const;
  };
  std::shared_ptr<const cors_policy> cors() const {
    std::lock_guard<std::mutex> g(cors_mtx_);
    return cors_;
  }
  void add_cors(const std::string& origin, api_response& resp) const;
  api_response preflight(const api_request& req) const;
  /// auth.tenant_quotas: requests/s and stored documents.
  std::optional<api_response>
  tenant_quota_refusal(const api_request& req,
                       std::chrono::steady_clock::time_point now);

  handler_env env_;
  std::shared_ptr<const auth_gate> auth_;
  mutable std::mutex cors_mtx_;
  std::shared_ptr<const cors_policy> cors_;
};

} // namespace themis
