#pragma once
/// The cache middleware (issue 22, docs/caching.md): applies a route's
/// cache_policy to its GET/HEAD success answers — Cache-Control (private
/// for authenticated principals unless shareable), a strong ETag (the
/// handler's, or one computed from the body), Last-Modified where the data
/// has a time, Vary, Surrogate-Key/Cache-Tag — and answers conditional
/// requests (If-None-Match before If-Modified-Since) with 304.
///
/// The router calls begin_cache() only for an operation whose policy is
/// active, so a route without one pays a single branch.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "themis/api_message.hpp"

namespace themis {

struct cache_policy;
struct cache_section;

/// What the middleware keeps of a request until its answer (the request
/// itself may be gone by then).
struct cache_request {
  const cache_policy* policy = nullptr; ///< the registry's: lives forever
  std::string if_none_match, if_modified_since;
  bool has_if_none_match = false, has_if_modified_since = false;
  bool shared = true;         ///< a shared cache may store the answer
  bool vary_on_auth = false;  ///< the answer depends on the credentials
  std::string surrogate_keys; ///< space-separated
};

/// The state for one GET/HEAD of an operation with an active `policy`.
/// `params` are the handler's path parameters; `route_scope` the scope the
/// registry declares (nullptr: left to the gate; "": public route).
std::shared_ptr<const cache_request>
begin_cache(const cache_policy& policy, const std::string* route_scope,
            const api_request& req, const std::vector<std::string>& params,
            const cache_section& cfg);

/// Adds the policy's headers to a 200 answer and turns it into a 304 when
/// the request's validators say the client's copy is current. Other
/// statuses pass unchanged.
void apply_cache(const cache_request& c, api_response& resp);

/// Surrogate keys (also the purge hook's, actors/cache_purger.cpp). Parts
/// are percent-encoded except [A-Za-z0-9_~-], so a key is one token and
/// holds no regular-expression metacharacter (Varnish bans match on it).
std::string collection_surrogate_key(std::string_view tenant,
                                     std::string_view collection);
std::string document_surrogate_key(std::string_view tenant,
                                   std::string_view collection,
                                   std::string_view key);
/// On every cached answer: purging it empties the whole cache (the purge
/// queue's answer to an overflow).
inline constexpr std::string_view all_surrogate_key = "themis-all";

/// Adds `fields` (comma-separated names) to the Vary header, once each.
void append_vary(api_response& resp, std::string_view fields);

} // namespace themis
