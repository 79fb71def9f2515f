#include "protocols/websocket/frame_codec.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace themis::ws {

decode_result decode_frame(std::string_view in, const codec_limits& limits,
                           frame& out) {
  auto fail = [](uint16_t code, const char* why) {
    decode_result r;
    r.status = decode_status::error;
    r.close_code = code;
    r.reason = why;
    return r;
  };
  if (in.size() < 2)
    return {};
  auto b0 = static_cast<uint8_t>(in[0]);
  auto b1 = static_cast<uint8_t>(in[1]);
  if (b0 & 0x30)
    return fail(1002, "reserved bits set without an extension");
  bool rsv1 = (b0 & 0x40) != 0;
  if (rsv1 && !limits.allow_rsv1)
    return fail(1002, "reserved bits set without an extension");
  auto op = static_cast<opcode>(b0 & 0x0F);
  switch (op) {
    case opcode::continuation:
    case opcode::text:
    case opcode::binary:
    case opcode::close:
    case opcode::ping:
    case opcode::pong:
      break;
    default:
      return fail(1002, "reserved opcode");
  }
  bool fin = (b0 & 0x80) != 0;
  if (!(b1 & 0x80))
    return fail(1002, "client frames must be masked");
  uint64_t len = b1 & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    if (in.size() < 4)
      return {};
    len = (static_cast<uint64_t>(static_cast<uint8_t>(in[2])) << 8) |
          static_cast<uint8_t>(in[3]);
    pos = 4;
  } else if (len == 127) {
    if (in.size() < 10)
      return {};
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | static_cast<uint8_t>(in[2 + i]);
    if (len >> 63)
      return fail(1002, "64-bit length with the high bit set");
    pos = 10;
  }
  if (is_control(op) && (!fin || len > 125))
    return fail(1002, "control frames must be final and at most 125 bytes");
  // RFC 7692 §6.1: RSV1 marks a message's first frame only
  if (rsv1 && (is_control(op) || op == opcode::continuation))
    return fail(1002, "RSV1 on a control or continuation frame");
  if (len > limits.max_frame_payload)
    return fail(1009, "frame too big");
  if (in.size() < pos + 4 + len)
    return {};
  const char* mask = in.data() + pos;
  pos += 4;
  out.fin = fin;
  out.rsv1 = rsv1;
  out.op = op;
  out.payload.assign(in.data() + pos, static_cast<size_t>(len));
  for (size_t i = 0; i < out.payload.size(); ++i)
    out.payload[i] ^= mask[i & 3];
  decode_result r;
  r.status = decode_status::ok;
  r.consumed = pos + static_cast<size_t>(len);
  return r;
}

void encode_frame(opcode op, std::string_view payload, bool fin,
                  std::string& out, bool rsv1) {
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) |
                                  static_cast<uint8_t>(op)));
  auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(127));
    for (int i = 7; i >= 0; --i)
      out.push_back(
        static_cast<char>((static_cast<uint64_t>(n) >> (i * 8)) & 0xFF));
  }
  out.append(payload);
}

void encode_close(uint16_t code, std::string_view reason, std::string& out) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  // control payloads are at most 125 bytes; cut on a UTF-8 boundary
  auto r = reason.substr(0, 123);
  while (!r.empty() && !valid_utf8(r))
    r.remove_suffix(1);
  payload.append(r);
  encode_frame(opcode::close, payload, true, out);
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size())
      return false; // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

bool valid_close_code(uint16_t code) {
  if (code >= 3000 && code <= 4999)
    return true;
  switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
      return true;
    default:
      return false;
  }
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view guid =
    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string in(client_key);
  in.append(guid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

bool valid_client_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==")
    return false;
  for (size_t i = 0; i < 22; ++i) {
    char c = key[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!ok)
      return false;
  }
  return true;
}

} // namespace themis::ws
