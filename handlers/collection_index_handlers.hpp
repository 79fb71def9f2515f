#pragma once
/// Persistent and TTL indexes over REST (issue 22, docs/indexes.md):
/// the persistent/ttl part of /v1/collections/{c}/indexes[/{name}]. The
/// search index handlers (index_handlers.cpp) hand these types over here.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "handlers/route_context.hpp"

namespace themis {

/// True if `body` asks for a persistent (hash, skiplist) or ttl index.
bool is_doc_index_request(const nlohmann::json& body);

/// POST: creates the index of stored collection `stored` through the store
/// writer; answers 201 (created), 200 (an identical one exists), 400, 404,
/// 409 (name taken, or documents that break a unique index).
void doc_index_create(route_context& ctx, const nlohmann::json& body,
                      const std::string& stored);

/// ThemisDB's POST /index/create and /index/drop with `type` equality
/// (the default; `unique` allowed) or range on `column`: a persistent
/// index named eq_<column> / range_<column>, answered in ThemisDB's
/// shape {success, table, column}. False if `body` is not such a request.
bool themisdb_index_create(route_context& ctx, const nlohmann::json& body,
                           const std::string& stored);
bool themisdb_index_drop(route_context& ctx, const nlohmann::json& body,
                         const std::string& stored);

/// The persistent and TTL indexes of `stored` as the listing shows them.
nlohmann::json doc_index_list(route_context& ctx, const std::string& stored);

/// The listing entry of index `name` of `stored`, if it is one of these.
std::optional<nlohmann::json> doc_index_find(route_context& ctx,
                                             const std::string& stored,
                                             const std::string& name);

/// DELETE of index `name` (known to exist) of `stored` through the writer.
void doc_index_drop(route_context& ctx, const std::string& stored,
                    const std::string& name);

} // namespace themis
