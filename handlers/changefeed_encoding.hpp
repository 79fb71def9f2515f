#pragma once
/// Binary encodings of the changefeed's JSON messages, chosen by
/// subprotocol (docs/changefeeds.md): each server message is the same
/// object, encoded as MessagePack or CBOR (nlohmann::json's to_msgpack /
/// to_cbor) in one binary frame. Pure, no sockets.

#include <optional>
#include <string>
#include <string_view>

namespace themis::ws {

enum class message_encoding { json, msgpack, cbor };

/// The subprotocol names: "themis.changes.msgpack", "themis.changes.cbor".
std::string_view subprotocol_name(message_encoding e);

/// The JSON text frames' own name, for clients that must offer some
/// protocol (a browser sending its credential as a subprotocol, issue 29):
/// echoed when offered and no binary encoding is.
inline constexpr std::string_view json_subprotocol = "themis.changes.json";

/// Whether `name` is one of the offered subprotocols (comma separated).
bool offers_subprotocol(std::string_view offered, std::string_view name);

/// The first of the offered subprotocols (a Sec-WebSocket-Protocol value,
/// comma separated) that names a binary encoding; json if none does.
message_encoding pick_encoding(std::string_view offered);

/// JSON text → the binary encoding; nullopt if the text is not JSON.
std::optional<std::string> encode_json_text(std::string_view json_text,
                                            message_encoding e);

/// Largest binary message a client may send in these encodings: the
/// decoder recurses per nesting level, so the input is kept small enough
/// that no nesting it can hold exhausts the stack. Control messages
/// (subscribe, unsubscribe) are a few hundred bytes.
constexpr size_t max_binary_client_message = 2048;

/// A client's binary message → JSON text; nullopt if it is not a valid
/// encoding, holds a byte string (no JSON for it), or is larger than
/// max_binary_client_message.
std::optional<std::string> decode_to_json_text(std::string_view bytes,
                                               message_encoding e);

} // namespace themis::ws
