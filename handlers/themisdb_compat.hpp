#pragma once
/// What ThemisDB's paths share: entity keys ("model.namespace.collection:pk")
/// mapped onto collections, documents shown as their clients stored them
/// (no _key/_rev), and the open HTTP transaction a request names with
/// X-Transaction-Id.

#include <memory>
#include <optional>
#include <string>

#include "handlers/http_tx_store.hpp"
#include "themis/api_message.hpp"

namespace themis {

struct route_context;

/// Splits "table:pk" at the first ':' and maps the ThemisDB table to the
/// engine's collection in the principal's namespace. False if either
/// part is invalid.
bool parse_entity_key(const api_request& req, const std::string& id,
                      std::string& collection, std::string& pk);

/// The engine's collection for a ThemisDB table name in the principal's
/// namespace ("" if invalid).
std::string stored_table(const api_request& req, const std::string& table);

/// ThemisDB stores any text as an entity's blob; themisd stores documents.
/// A blob that is not a JSON object (a string, an array, a number, text
/// that is not JSON) is kept verbatim in this one attribute.
inline constexpr const char* blob_attribute = "_blob";

/// The document that stores `blob`: the object itself, or
/// {"_blob": "<blob text>"} for anything else.
/// nullopt when `blob` is JSON nested deeper than the limit (a 400: the
/// same rule as for every JSON body).
std::optional<std::string> document_of_blob(const std::string& blob);

/// A stored document's JSON without the engine's _key and _rev: what the
/// client stored ("blob" on ThemisDB's entity paths), the verbatim text
/// for a document made by document_of_blob from a non-object blob.
std::string user_document(const std::string& stored_json);

/// The transaction named by X-Transaction-Id: nullptr with `refused`
/// false when the request names none; nullptr with `refused` true when it
/// names one the caller does not have (the 404 has been sent).
std::shared_ptr<http_tx> request_tx(route_context& ctx, bool& refused);

/// Reads committed documents through the handler's reader pool.
committed_reader reader_of(route_context& ctx);

/// ThemisDB's "?decrypt=true|1|yes".
bool truthy_param(const api_request& req, const char* name);

} // namespace themis
