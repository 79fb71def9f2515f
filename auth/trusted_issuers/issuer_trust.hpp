#pragma once
/// JWTs from external IdPs (issue 24, themisd as an OAuth2 resource
/// server): each `auth.trusted_issuers` entry's keys come from its OIDC
/// discovery document (`{issuer}/.well-known/openid-configuration` →
/// `jwks_uri`) or a configured jwks_uri, fetched over HTTPS on a thread
/// of its own and cached for `refresh_s`. A token naming an unknown `kid`
/// asks for a refetch, at most once per `min_refetch_s` per issuer (a
/// flood of made-up kids cannot turn into a flood of fetches). Requests
/// never fetch: they wait for the fetcher at most `wait_ms`, and only
/// when the issuer has no keys yet or a refetch for their kid is due.
///
/// verify() returns the token's claims rewritten into the names the
/// authenticator reads (sub, auth.scope_claim, auth.tenant_claim), after
/// the issuer's mapping: only the claims the entry maps reach the
/// principal, so an IdP cannot inject a tenant or a scope the entry does
/// not allow.

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/jwt.hpp"
#include "auth/trusted_issuers/https_get.hpp"
#include "auth/trusted_issuers/issuer_config.hpp"

namespace themis::auth::trusted {

struct trust_settings {
  uint32_t refresh_s = 300;    ///< keys are refetched this often
  uint32_t min_refetch_s = 10; ///< unknown kid / failure: refetch bound
  uint32_t wait_ms = 1000;     ///< a request waits at most this long
  uint32_t fetch_timeout_ms = 5000;
  int64_t skew_s = 60;
  std::string scope_claim = "scope";   ///< auth.scope_claim
  std::string tenant_claim = "tenant"; ///< auth.tenant_claim
};

/// url, ca_file, timeout_ms → answer (tests inject their own).
using fetch_fn =
  std::function<get_result(const std::string&, const std::string&, long)>;

class issuer_trust {
public:
  issuer_trust(std::vector<issuer_config> issuers, trust_settings s,
               fetch_fn fetch = nullptr);
  ~issuer_trust(); ///< stops and joins the fetcher
  issuer_trust(const issuer_trust&) = delete;
  issuer_trust& operator=(const issuer_trust&) = delete;

  /// Starts the fetcher, which fetches every issuer's keys at once.
  void start();

  /// Claims for the authenticator, or nullopt with `error`; `mine` false
  /// when the token's `iss` is none of the trusted issuers.
  std::optional<nlohmann::json> verify(std::string_view token, int64_t now_s,
                                       std::string& error, bool& mine);

  /// Fetches issuer `i` now on the calling thread (the fetcher's work;
  /// tests call it directly). True when keys are in force after it.
  bool fetch_now(size_t i, int64_t now_s);
  /// Fetches so far (successful or not), for tests and metrics.
  uint64_t fetches() const;

private:
  struct state {
    issuer_config cfg;
    std::shared_ptr<const jwks> keys;
    int64_t next_refresh_s = 0;
    int64_t last_attempt_s = -1'000'000;
    bool wanted = false;
    bool fetching = false;
    uint64_t generation = 0; ///< bumped after every attempt
    std::string error;
  };

  void run();
  /// Asks the fetcher for issuer `i` and waits for the attempt to end (at
  /// most wait_ms). Called with `lk` held.
  void request_and_wait(std::unique_lock<std::mutex>& lk, state& st,
                        int64_t now_s, bool wait);
  std::optional<nlohmann::json> map_claims(const issuer_config& c,
                                           const nlohmann::json& claims,
                                           std::string& error) const;

  trust_settings settings_;
  fetch_fn fetch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;      ///< to the fetcher
  std::condition_variable done_cv_; ///< to waiting requests
  std::vector<state> states_;
  bool stop_ = false;
  uint64_t fetches_ = 0;
  std::thread thread_;
};

} // namespace themis::auth::trusted
