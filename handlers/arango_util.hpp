#pragma once
/// The ArangoDB HTTP API subset (issue 22, docs/arangodb-api.md): what
/// every /_api handler shares. ArangoDB's error body and errorNums (on
/// these paths only), the `/_db/{name}` → tenant mapping, and the entry
/// wrapper each handler runs in, so no handler forgets either.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "handlers/route_context.hpp"

namespace themis {

/// ArangoDB's error numbers (lib/Basics/errors.dat) that this subset
/// answers with; HTTP-level errors use the status itself (400, 404, 405 …)
/// as ArangoDB's ERROR_HTTP_* numbers do.
namespace arango_errnum {
constexpr int internal = 4;
constexpr int not_implemented = 9;
constexpr int bad_parameter = 10;
constexpr int forbidden = 11;
constexpr int resource_limit = 32;
constexpr int corrupted_json = 600;
constexpr int conflict = 1200;
constexpr int document_not_found = 1202;
constexpr int collection_not_found = 1203;
constexpr int document_handle_bad = 1205;
constexpr int duplicate_name = 1207;
constexpr int illegal_name = 1208;
constexpr int unique_violated = 1210;
constexpr int index_not_found = 1212;
constexpr int document_key_bad = 1221;
constexpr int document_type_invalid = 1227;
constexpr int database_not_found = 1228;
constexpr int query_killed = 1500;
constexpr int query_parse = 1501;
constexpr int query_empty = 1502;
constexpr int function_unknown = 1540;
constexpr int bind_parameter_missing = 1551;
constexpr int cursor_not_found = 1600;
constexpr int validation_failed = 1620; ///< a collection schema refused
} // namespace arango_errnum

/// `{"error":true,"errorNum":N,"errorMessage":…,"code":status}`.
api_response arango_error(int status, int errnum, std::string_view message);

/// `body` (an object) with `"error":false,"code":status` added.
api_response arango_ok(int status, nlohmann::json body);

/// A themisd error answer (ThemisDB's `{"error","message","status_code"}`,
/// AQL's `error_kind`) in ArangoDB's shape; answers that are not errors or
/// already carry an errorNum pass unchanged. `conflict_num` is the
/// errorNum for a 409 without an AQL kind.
api_response arango_from_themis(api_response r,
                                int conflict_num = arango_errnum::conflict);

/// The errorNum for an engine write status (`message` refines 400s).
int arango_errnum_of(engine::op_status s, std::string_view message);

/// A boolean query option as ArangoDB reads it ("true"/"1"/"yes" … ).
bool arango_flag(const api_request& req, std::string_view name, bool def);

/// The scope a /_api or /_db/{name}/_api request needs (auth_gate).
std::string arango_required_scope(const std::string& method,
                                  const std::string& path);

/// A stable numeric id for a collection (ArangoDB ids are numeric
/// strings): FNV-1a of the stored name, in decimal.
std::string arango_collection_id(std::string_view stored);

/// A stored document's JSON text with `_id` ("collection/key") added.
nlohmann::json arango_document(std::string_view doc_json,
                               const std::string& shown_collection);

using arango_impl = void (*)(route_context&);

/// Runs `impl` for the request: params[0] is the database of the path
/// (`_system` without a `/_db/` prefix) and is removed; `_system` is the
/// principal's own namespace, a tenant id names that tenant (only the
/// principal's own, or any for a global admin), anything else answers 404
/// errorNum 1228. Every error `impl` answers leaves in ArangoDB's shape.
void arango_enter(route_context& ctx, arango_impl impl);

/// Runs `handler` on a copy of the request with `body`, `params`, and
/// answers through `rewrite` (successes); errors leave in ArangoDB's
/// shape.
template <class Rewrite>
void arango_forward(route_context& ctx, void (*handler)(route_context&),
                    std::string body, std::vector<std::string> params,
                    Rewrite rewrite, const char* method = nullptr,
                    int conflict_num = arango_errnum::conflict) {
  api_request inner = ctx.req;
  inner.body = std::move(body);
  if (method)
    inner.method = method;
  route_context c{
    ctx.env,
    inner,
    std::move(params),
    ctx.writer,
    ctx.notifier,
    ctx.streams,
    ctx.work,
    ctx.services,
    [respond = ctx.respond, rewrite, conflict_num](api_response r) {
      if (r.status >= 400)
        return respond(arango_from_themis(std::move(r), conflict_num));
      respond(rewrite(std::move(r)));
    }};
  handler(c);
}

} // namespace themis
