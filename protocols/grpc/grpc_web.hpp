#pragma once
/// gRPC-web (PROTOCOL-WEB.md) on top of the gRPC framing: which content
/// types are gRPC-web or Connect, the base64 of `application/grpc-web-text`
/// (chunks may each carry their own padding), the trailer frame (flag 0x80,
/// `name: value\r\n` lines) and the CORS decisions for browser callers.
/// Pure functions over bytes; no sockets, no protobuf.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace themis::grpc {

/// How a call travels besides plain gRPC.
enum class web_wire : uint8_t {
  web,            ///< application/grpc-web[+proto]
  web_text,       ///< application/grpc-web-text[+proto] (base64 both ways)
  connect_unary,  ///< application/proto | application/json
  connect_stream, ///< application/connect+proto | application/connect+json
};

struct web_format {
  web_wire wire = web_wire::web;
  bool json = false; ///< the messages are protobuf JSON (Connect only)
};

/// The format of a request's content-type (parameters such as
/// `;charset=utf-8` ignored, case-insensitive); nullopt for anything else,
/// including `application/grpc-web+json` (not served).
std::optional<web_format> parse_web_content_type(std::string_view ct);
/// Whether a content-type is gRPC-web of any kind (even one we refuse).
bool is_grpc_web_type(std::string_view ct);
/// The content-type our answers carry for `f`.
std::string_view web_content_type(web_format f);

/// Standard base64 (with padding).
std::string base64_encode(std::string_view in);
/// Decodes a grpc-web-text body: concatenated base64 pieces, each a
/// multiple of 4 characters, padding allowed at the end of any quartet
/// (a sender may encode each message on its own). Line breaks and other
/// characters outside the alphabet are refused. False if malformed.
bool base64_decode_chunks(std::string_view in, std::string& out);

/// The trailer frame of a gRPC-web body: flag 0x80, the length, then
/// `name: value\r\n` per field (names lower-cased).
std::string encode_trailer_frame(
  const std::vector<std::pair<std::string, std::string>>& fields);
/// Parses a trailer frame's payload (what follows the 5-byte prefix);
/// nullopt on a line without `:`.
std::optional<std::vector<std::pair<std::string, std::string>>>
parse_trailer_block(std::string_view payload);

/// Whether `origin` may call from a browser: listed, or the list has "*".
bool origin_allowed(const std::vector<std::string>& allowed,
                    std::string_view origin);
/// An Access-Control-Request-Headers value to echo back: a list of
/// header names (tokens, commas, spaces), at most 2048 bytes; nullopt
/// otherwise (never reflect arbitrary bytes into a header).
std::optional<std::string> cors_request_headers(std::string_view value);
/// What browsers may read of our answers.
std::string_view cors_expose_headers();

} // namespace themis::grpc
