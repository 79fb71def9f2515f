#pragma once
/// The protobuf JSON mapping for Connect's `application/json` and
/// `application/connect+json` calls: a method's request message from JSON
/// and its response message to JSON, through libprotobuf's
/// util::JsonToBinaryString / BinaryToJsonString over the descriptors
/// compiled into themisd. The services keep seeing binary messages.

#include <string>
#include <string_view>

namespace themis {

/// JSON → the binary request message of the method at `path`
/// ("/themis.v1.Documents/Get"). False with a reason in `error` when the
/// JSON does not fit the message (unknown fields are refused) or nests
/// deeper than 100 levels.
bool grpc_request_from_json(std::string_view path, std::string_view json,
                            std::string& binary, std::string& error);
/// The binary response message of the method at `path` → JSON (field
/// names in lowerCamelCase, as the mapping prescribes).
bool grpc_response_to_json(std::string_view path, std::string_view binary,
                           std::string& json);

/// Whether the method at `path` is marked `option idempotency_level =
/// NO_SIDE_EFFECTS` in its .proto: the methods Connect may call by GET.
bool grpc_method_no_side_effects(std::string_view path);

} // namespace themis
