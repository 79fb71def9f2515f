#pragma once
/// The cache policy of a route's read operation (issue 22, edge caching):
/// declared once in the handler registry (route_builder::cache), read by
/// the cache middleware (handlers/cache_middleware.hpp) and by
/// /openapi.json. docs/caching.md lists the policy of every route.
///
///   .get(get_document, "Get a document")
///   .cache(cache_policy::shared(0, 60).stale(30, 300).keyed(0, 1))
///
/// A route without `.cache(...)` is not touched by the middleware at all.

#include <cstdint>
#include <string>

namespace themis {

struct cache_policy {
  /// What the response depends on, as Surrogate-Key / Cache-Tag entries
  /// built from the handler's path parameters: none, the collection
  /// (`coll:<tenant>/<c>`), or one document (`doc:<tenant>/<c>/<key>`).
  enum class keys : uint8_t { none, collection, document };

  bool active = false; ///< set by route_builder::cache
  bool is_public = true;
  int32_t max_age = -1, s_maxage = -1; ///< -1: not sent
  int32_t stale_while_revalidate = -1, stale_if_error = -1;
  /// Authenticated answers may be stored by shared caches even when the
  /// configuration (`cache.authenticated_public`) does not say so: the
  /// answer is the same for every principal allowed to see it.
  bool shareable_when_authenticated = false;
  /// The representation is built once per process (openapi.json, /docs):
  /// Last-Modified is the server's start time.
  bool modified_at_start = false;
  /// Extra Vary field names (the answer is negotiated on them), e.g.
  /// "Accept". Credentials are added by the middleware when they matter.
  std::string vary;
  keys key_kind = keys::none;
  uint8_t collection_param = 0, key_param = 1;

  /// Rendered by render() when registered: the Cache-Control of a shared
  /// answer and of one that must stay private (no s-maxage, no
  /// stale-if-error for shared caches).
  std::string shared_value, private_value;

  /// public, max-age=`max_age`, s-maxage=`s_maxage`.
  static cache_policy shared(int32_t max_age, int32_t s_maxage) {
    cache_policy p;
    p.active = true;
    p.max_age = max_age;
    p.s_maxage = s_maxage;
    return p;
  }
  /// private, max-age=`max_age`: never stored by a shared cache.
  static cache_policy personal(int32_t max_age) {
    cache_policy p;
    p.active = true;
    p.is_public = false;
    p.max_age = max_age;
    return p;
  }
  cache_policy stale(int32_t while_revalidate, int32_t if_error) const {
    auto p = *this;
    p.stale_while_revalidate = while_revalidate;
    p.stale_if_error = if_error;
    return p;
  }
  cache_policy keyed_collection(uint8_t collection = 0) const {
    auto p = *this;
    p.key_kind = keys::collection;
    p.collection_param = collection;
    return p;
  }
  cache_policy keyed_document(uint8_t collection = 0, uint8_t key = 1) const {
    auto p = *this;
    p.key_kind = keys::document;
    p.collection_param = collection;
    p.key_param = key;
    return p;
  }
  cache_policy varies(std::string fields) const {
    auto p = *this;
    p.vary = std::move(fields);
    return p;
  }
  cache_policy static_content() const {
    auto p = *this;
    p.modified_at_start = true;
    return p;
  }
  cache_policy authenticated_shareable() const {
    auto p = *this;
    p.shareable_when_authenticated = true;
    return p;
  }

  /// Fills shared_value and private_value.
  void render();
};

} // namespace themis
