#pragma once
/// The web console (issue 29, docs/console.md): the static files Vite
/// builds from console/ into build/console, served at /console/ on the
/// HTTP port. The console itself only calls the public API.

#include <string>
#include <string_view>

namespace themis {

class route_registry;

/// GET /console (a redirect to /console/), /console/ and /console/*.
/// Called from register_meta_routes.
void register_console_routes(route_registry& reg);

/// The Content-Security-Policy every console answer carries: scripts,
/// styles and fetches from this origin only (connect-src 'self' covers
/// same-origin ws: and wss:), no inline script, no framing.
extern const char* const console_csp;

/// Whether `rest` (the path after "/console/") names a file the console
/// may serve: segments of [A-Za-z0-9_.~-], none empty, none starting with
/// a dot (so no "..", no hidden files). Decoded paths arrive here, so
/// %2e%2e and %2f have already become ".." and "/".
bool console_path_ok(std::string_view rest);

} // namespace themis
