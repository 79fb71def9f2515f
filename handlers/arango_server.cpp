/// GET /_api/version, GET /_api/database/current and the 404 of every
/// other /_api path, for the ArangoDB HTTP API subset (issue 22).

#include "handlers/arango_routes.hpp"
#include "handlers/arango_util.hpp"
#include "handlers/http_json.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

void version(route_context& ctx) {
  // arangojs's db.version() reads server, version, license; `details`
  // is what arangosh prints with --details
  json body = {{"server", "arango"},
               {"version", "3.11.0-themis"},
               {"license", "community"}};
  if (arango_flag(ctx.req, "details", false))
    body["details"] = {
      {"engine", "themis-sqlite"}, {"mode", "server"}, {"role", "SINGLE"}};
  ctx.respond(json_response(200, dump(body)));
}

void database_current(route_context& ctx) {
  // the database a request reached: its tenant, or _system for the
  // principal's own (global) namespace
  auto& tenant = ctx.req.who.tenant;
  auto name = tenant.empty() ? std::string("_system") : tenant;
  ctx.respond(arango_ok(200, {{"result",
                               {{"name", name},
                                {"id", arango_collection_id(name)},
                                {"path", "none"},
                                {"isSystem", tenant.empty()}}}}));
}

void unknown(route_context& ctx) {
  ctx.respond(arango_error(404, 404,
                           "unknown path " + ctx.req.path +
                             " (this server serves a subset of ArangoDB's "
                             "HTTP API, docs/arangodb-api.md)"));
}

} // namespace

void arango_version(route_context& ctx) {
  arango_enter(ctx, version);
}

void arango_database_current(route_context& ctx) {
  arango_enter(ctx, database_current);
}

void arango_unknown(route_context& ctx) {
  arango_enter(ctx, unknown);
}

} // namespace themis
