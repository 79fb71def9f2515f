#pragma once
/// RFC 6455 frame codec: pure functions over bytes. Decoding is for frames
/// from a client (masking required); encoding is for server frames
/// (unmasked). Errors carry the close code to send (1002 protocol error,
/// 1009 message too big). No I/O, no exceptions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace themis::ws {

enum class opcode : uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

inline bool is_control(opcode op) {
  return (static_cast<uint8_t>(op) & 0x8) != 0;
}

struct frame {
  bool fin = true;
  bool rsv1 = false; ///< permessage-deflate: the message is compressed
  opcode op = opcode::text;
  std::string payload; ///< unmasked
};

enum class decode_status { ok, need_more, error };

struct decode_result {
  size_t consumed = 0;
  decode_status status = decode_status::need_more;
  uint16_t close_code = 0; ///< set on error
  const char* reason = ""; ///< set on error
};

struct codec_limits {
  uint64_t max_frame_payload = 1 << 20;
  /// RSV1 is meaningful (permessage-deflate was negotiated, RFC 7692);
  /// otherwise a set RSV1 fails the connection like RSV2/RSV3.
  bool allow_rsv1 = false;
};

/// Decodes one client frame from the start of `in`.
decode_result decode_frame(std::string_view in, const codec_limits& limits,
                           frame& out);

/// Appends an unmasked server frame (`rsv1`: a compressed message's
/// first frame).
void encode_frame(opcode op, std::string_view payload, bool fin,
                  std::string& out, bool rsv1 = false);

/// Appends a close frame with a status code and (truncated) reason.
void encode_close(uint16_t code, std::string_view reason, std::string& out);

/// Strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most
/// U+10FFFF).
bool valid_utf8(std::string_view s);

/// True for close codes a peer may send (RFC 6455 §7.4).
bool valid_close_code(uint16_t code);

/// Sec-WebSocket-Accept for a Sec-WebSocket-Key (SHA-1 + base64).
std::string accept_key(std::string_view client_key);

/// True if `key` is base64 of exactly 16 bytes (RFC 6455 §4.1).
bool valid_client_key(std::string_view key);

} // namespace themis::ws
