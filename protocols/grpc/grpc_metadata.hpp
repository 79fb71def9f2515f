#pragma once
/// gRPC metadata rules and message compression: which headers are the
/// protocol's own (never metadata), `-bin` values (base64), and the
/// grpc-encoding / grpc-accept-encoding codings (identity, gzip, deflate,
/// zstd) over protocols/compression.

#include <optional>
#include <string>
#include <string_view>

#include "protocols/compression/content_coding.hpp"

namespace themis::grpc {

enum class message_coding { identity, gzip, deflate, zstd };

/// A grpc-encoding token; nullopt for one we do not have.
std::optional<message_coding> parse_message_coding(std::string_view token);
std::string_view coding_name(message_coding c);
/// Our grpc-accept-encoding value.
std::string_view accept_encoding_value();

/// The coding for our answers: the request's own coding when the client
/// also accepts it (grpc-accept-encoding), else identity.
message_coding response_coding(std::optional<message_coding> request,
                               std::string_view accept_header);

bool compress_message(message_coding c, std::string_view in, std::string& out);
/// Bounded: too_large as soon as the output passes `max_out`.
compression::inflate_status decompress_message(message_coding c,
                                               std::string_view in,
                                               size_t max_out,
                                               std::string& out);

/// Headers of the protocol itself (pseudo-headers, grpc-*, content-type,
/// te, …): not application metadata.
bool reserved_header(std::string_view name);
/// A metadata value as it may be sent: `-bin` keys hold base64 (padded or
/// not), others printable ASCII.
bool valid_metadata_value(std::string_view name, std::string_view value);

} // namespace themis::grpc
