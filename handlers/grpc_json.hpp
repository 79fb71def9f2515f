#pragma once
/// JSON ⇄ google.protobuf.Struct/Value for the gRPC services: documents
/// and rows travel as Struct/Value (docs/grpc.md says why). Direct
/// conversion, no text round trip; the nesting of what a client sends is
/// bounded (limits.max_json_depth applies again when the REST handler
/// parses the body).

#include <google/protobuf/struct.pb.h>
#include <nlohmann/json.hpp>
#include <string>

namespace themis {

nlohmann::json json_of(const google::protobuf::Value& v, int depth = 0);
nlohmann::json json_of(const google::protobuf::Struct& s, int depth = 0);
/// False if `j` nests deeper than 200 levels.
bool value_of(const nlohmann::json& j, google::protobuf::Value& out,
              int depth = 0);
bool struct_of(const nlohmann::json& j, google::protobuf::Struct& out,
               int depth = 0);

/// Percent-encodes a path segment or query value (RFC 3986 unreserved
/// kept).
std::string url_encode(std::string_view s);

} // namespace themis
