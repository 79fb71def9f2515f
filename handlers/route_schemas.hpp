#pragma once
/// JSON Schemas (2020-12 vocabulary, valid in OpenAPI 3.1) the route table
/// declares for request bodies, query parameters and answers. Ours, so
/// they stay simple: no `pattern` (std::regex under hostile input), no
/// remote `$ref`; the handlers still check names and values themselves.

#include <nlohmann/json.hpp>

namespace themis::schemas {

using json = nlohmann::json;

/// ThemisDB's error body {error, message, status_code}.
json error_body();
/// Any JSON object.
json object();
/// An object with these required string-typed… properties: `props` maps
/// names to schemas, `required` lists the required ones.
json object_of(json props, json required = json::array());
/// {"type": "string"} etc.
json type(const char* t);
json array_of(json items);

// request bodies
json collection_create();
json aql_request();    ///< {query, params|bind_vars|bindVars, …}
json cursor_request(); ///< /v1/query: {query, batch_size, …}
json key_create();
json key_update();
json structured_query();

// query parameters
json list_documents_query();

// answers
json health();
json collection_list();
json collection_info();
json document();
json aql_result();
json cursor_page();
json version_info();

// issue 22 breadth (route_table_breadth.cpp)
json batch_get_body();   ///< {"keys": [...]} (at most 1000)
json batch_get_answer(); ///< {"documents": [doc|null], "errors": [...]}
json document_patches(); ///< [{"_key", "patch", "_rev"?}]
json json_patch();       ///< an RFC 6902 patch document
json key_rev_list();     ///< {"documents": [{"_key", "_rev"}]}
json collection_properties();
json collection_statistics();
json query_validation();

} // namespace themis::schemas
