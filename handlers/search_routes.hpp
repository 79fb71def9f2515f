#pragma once
/// Vector and full-text search routes (issue 32, docs/vector.md and
/// docs/search.md). ThemisDB's paths and shapes: /vector/search,
/// /vector/batch_insert, /vector/index/{stats,config}, /index/create,
/// /index/drop, /search/fulltext, /search/hybrid (= /search/fusion);
/// themisd's own: /v1/collections/{c}/indexes[/{name}].

#include <string>

#include <nlohmann/json.hpp>

#include "engine/search/search_service.hpp"
#include "handlers/route_context.hpp"

namespace themis {

void vector_search(route_context& ctx);
void vector_batch_insert(route_context& ctx);
void vector_index_stats(route_context& ctx);  ///< GET /vector/index/stats
void vector_index_config(route_context& ctx); ///< GET, PUT /vector/index/config
void index_create(route_context& ctx);        ///< POST /index/create
void index_drop(route_context& ctx);          ///< POST /index/drop
void collection_indexes(route_context& ctx);  ///< GET, POST …/{c}/indexes
void collection_index(route_context& ctx);    ///< GET, DELETE …/indexes/{n}
void fulltext_search(route_context& ctx);     ///< POST /search/fulltext
void hybrid_search(route_context& ctx);       ///< POST /search/hybrid

namespace search_http {

/// The search service, or null after answering 503.
search::search_service* service(route_context& ctx);
/// Parses the body as a JSON object, or answers 400 and returns false.
bool body_object(route_context& ctx, nlohmann::json& out);
/// The stored (tenant-qualified) collection named by `table` /
/// `collection` in the body ("" if absent); false after a 400 for an
/// invalid name.
bool named_collection(route_context& ctx, const nlohmann::json& body,
                      std::string& stored);
/// The error body for a search_error or anything else (500).
api_response error_of(const std::exception& e);
/// Visible indexes of this principal (its namespace only).
std::vector<search::index_status> visible(const api_request& req,
                                          search::search_service& svc);
/// An unsigned integer option in [1, hi], else `def`; "" or the reason.
std::string size_option(const nlohmann::json& body, const char* name,
                        size_t def, size_t hi, size_t& out);

} // namespace search_http

} // namespace themis
