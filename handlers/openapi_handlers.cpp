/// GET /openapi.json (and /api/v1/openapi.json), GET /docs (Redoc) and its
/// script, GET /api/v1/version: the registry describing itself.

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "handlers/console_handlers.hpp"
#include "handlers/http_json.hpp"
#include "handlers/openapi_document.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_schemas.hpp"
#include "handlers/route_table.hpp"
#include "handlers/version_handlers.hpp"

#ifndef THEMIS_REDOC_JS
#define THEMIS_REDOC_JS ""
#endif

namespace themis {

namespace {

using json = nlohmann::json;

/// The document, built once: the registry does not change after start.
const std::string& openapi_text(route_context& ctx) {
  static std::once_flag once;
  static std::string text;
  std::call_once(once, [&] {
    auto v = ctx.env.metrics.version();
    text = openapi_document(route_registry::global(), v.empty() ? "0.1.0" : v)
             .dump(1);
  });
  return text;
}

void openapi_json(route_context& ctx) {
  auto r = json_response(200, openapi_text(ctx));
  ctx.respond(std::move(r));
}

/// Redoc's page: the standalone script renders /openapi.json.
void docs_page(route_context& ctx) {
  api_response r;
  r.body = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>themisd REST API</title>
</head>
<body>
<redoc spec-url="/openapi.json"></redoc>
<noscript>The reference needs JavaScript; the description itself is
<a href="/openapi.json">/openapi.json</a>.</noscript>
<script src="/docs/redoc.standalone.js"></script>
</body>
</html>
)";
  r.set_header("Content-Type", "text/html; charset=utf-8");
  ctx.respond(std::move(r));
}

/// The Redoc bundle from npm (tests/node/node_modules/redoc, installed by
/// the setup script): THEMIS_REDOC_JS in the environment, else the path
/// the build found. Read once; never part of the repository.
void docs_script(route_context& ctx) {
  static std::once_flag once;
  static std::string script;
  static std::string from;
  std::call_once(once, [] {
    auto env = std::getenv("THEMIS_REDOC_JS");
    from = env && *env ? env : THEMIS_REDOC_JS;
    if (from.empty())
      return;
    std::ifstream in(from, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    script = s.str();
  });
  if (script.empty())
    return ctx.respond(error_response(
      404, "the Redoc bundle is not installed (npm ci in tests/node, or "
           "THEMIS_REDOC_JS): " +
             (from.empty() ? std::string("no path configured") : from)));
  api_response r;
  r.body = script;
  r.set_header("Content-Type", "text/javascript; charset=utf-8");
  ctx.respond(std::move(r));
}

json openapi_schema() {
  return schemas::object_of({{"openapi", schemas::type("string")},
                             {"info", schemas::object()},
                             {"paths", schemas::object()}},
                            {"openapi", "info", "paths"});
}

} // namespace

void register_meta_routes(route_registry& reg) {
  for (auto p : {"/openapi.json", "/api/v1/openapi.json"})
    reg.add(p, {"meta"})
      .get(openapi_json, "This API's OpenAPI 3.1 description")
      .scope("")
      .response(openapi_schema())
      .cache(cache_policy::shared(300, 3600).static_content());
  reg.add("/docs", {"meta"})
    .get(docs_page, "Interactive API reference (Redoc)")
    .scope("")
    .produces("text/html")
    .cache(cache_policy::shared(300, 3600).static_content());
  reg.add("/docs/redoc.standalone.js", {"meta"})
    .undocumented()
    .get(docs_script, "Redoc's script")
    .scope("")
    .cache(cache_policy::shared(86400, 86400).static_content());
  reg.add("/api/v1/version", {"meta"})
    .get(api_version_info, "Server and API versions")
    .scope("")
    .response(schemas::version_info())
    .cache(cache_policy::shared(60, 300).static_content());
  register_console_routes(reg);
}

} // namespace themis
