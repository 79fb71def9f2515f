#pragma once
/// The OpenAPI 3.1 description of the REST API, generated from the handler
/// registry (issue 22): paths, parameters, request and response schemas,
/// examples, tags, security (bearer JWT or API key, scopes as role names),
/// deprecation, and the ThemisDB error body as a shared component.

#include <string>

#include <nlohmann/json.hpp>

namespace themis {

class route_registry;

/// The document; `server_version` goes to info.x-server-version.
nlohmann::json openapi_document(const route_registry& reg,
                                const std::string& server_version);

/// The API version this server describes ("1.0.0": /api/v1).
const char* api_version();

} // namespace themis
