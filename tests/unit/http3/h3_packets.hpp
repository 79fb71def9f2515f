#pragma once
/// Hand-built QUIC packets for the HTTP/3 tests (headers only: the
/// payloads are not encrypted, so a connection drops them after the
/// header checks the endpoint does).

#include <arpa/inet.h>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <string>

namespace themis::http3::testing {

/// A client Initial datagram (RFC 9000 §17.2.2) padded to `size`.
inline std::string initial(const std::string& dcid, const std::string& scid,
                           const std::string& token = "", uint32_t version = 1,
                           size_t size = 1200) {
  std::string p;
  p += static_cast<char>(0xc0); // long header, Initial, 1-byte PN
  for (int s = 24; s >= 0; s -= 8)
    p += static_cast<char>((version >> s) & 0xff);
  p += static_cast<char>(dcid.size());
  p += dcid;
  p += static_cast<char>(scid.size());
  p += scid;
  // token length: 2-byte varint
  p += static_cast<char>(0x40 | (token.size() >> 8));
  p += static_cast<char>(token.size() & 0xff);
  p += token;
  size_t rest = size > p.size() + 2 ? size - p.size() - 2 : 21;
  p += static_cast<char>(0x40 | (rest >> 8));
  p += static_cast<char>(rest & 0xff);
  p += std::string(rest, '\x5a'); // packet number + "payload"
  return p;
}

/// A 1-RTT (short header) packet for connection `dcid`.
inline std::string short_packet(const std::string& dcid, size_t payload) {
  return std::string(1, '\x41') + dcid + std::string(payload, '\x33');
}

inline std::string addr(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return std::string(reinterpret_cast<const char*>(&a), sizeof a);
}

} // namespace themis::http3::testing
