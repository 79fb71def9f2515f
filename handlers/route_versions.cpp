/// The versioning policy (docs/versioning.md): the whole REST surface is
/// served under /api/v1/. themisd's own /v1/… paths are deprecated aliases
/// of their /api/v1/… twins (Deprecation, Sunset, Link headers);
/// ThemisDB's unversioned paths (/entities, /query/aql, …) get a twin
/// and stay, undeprecated, for ThemisDB's SDKs. ThemisDB's /v2/…, /api/…,
/// the ArangoDB subset, health, metrics and MCP keep their own paths.

#include "handlers/route_registry.hpp"
#include "handlers/route_table.hpp"
#include "handlers/version_handlers.hpp"

namespace themis {

namespace {

bool starts(const std::string& s, const char* p) {
  return s.rfind(p, 0) == 0;
}

/// ThemisDB's unversioned paths that get an /api/v1 twin.
bool compat_twinned(const route_entry& e) {
  for (auto p : {"/api/", "/v1/", "/v2/", "/_", "/.well-known", "/health",
                 "/metrics", "/mcp", "/openapi.json", "/docs", "/console"})
    if (starts(e.path, p) || e.path == "/")
      return false;
  return true;
}

} // namespace

void add_version_twins(route_registry& reg) {
  auto n = reg.routes().size();
  for (size_t i = 0; i < n; ++i) {
    auto& e = reg.at(i);
    if (e.reserved || e.when != route_entry::gate::always)
      continue;
    bool own = starts(e.path, "/v1/");
    if (!own && !compat_twinned(e))
      continue;
    bool scoped = true;
    for (auto& o : e.ops)
      scoped = scoped && o.scope.has_value();
    if (!scoped) // the gate's path rules would not know the twin
      continue;
    route_entry twin = e;
    twin.own_prefix = "/api/v1/";
    twin.serve_as_prefix = own ? "/v1/" : "/";
    twin.path = "/api/v1/" + e.path.substr(own ? 4 : 1);
    twin.label = label_of(twin.path);
    auto canonical = twin.path;
    if (!reg.add_entry(std::move(twin)))
      continue; // taken (/query vs /v1/query): the older path keeps it
    auto& alias = reg.at(i);
    alias.alias_of = canonical;
    if (own)
      for (auto& o : alias.ops)
        o.deprecation = {v1_deprecated_at, v1_sunset_at, label_of(canonical)};
  }
}

} // namespace themis
