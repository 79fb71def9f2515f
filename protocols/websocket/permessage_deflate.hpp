#pragma once
/// permessage-deflate (RFC 7692): negotiation of the extension offer a
/// client sends in Sec-WebSocket-Extensions, and the per-connection codec
/// (raw DEFLATE, the 00 00 FF FF tail removed and restored). Pure: zlib
/// only, no sockets.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace themis::ws {

/// What both sides agreed on.
struct deflate_params {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15; ///< our compressor's window
  int client_max_window_bits = 15; ///< the client's (we inflate with 15)
};

/// What the server is willing to do.
struct deflate_config {
  bool enabled = true;
  /// Reset our compressor after every message even if the client did not
  /// ask (less memory kept per idle connection, worse ratio).
  bool server_no_context_takeover = false;
};

struct deflate_negotiation {
  std::optional<deflate_params> params; ///< empty: declined (no extension)
  std::string response; ///< the Sec-WebSocket-Extensions answer ("" if none)
};

/// Picks the first acceptable permessage-deflate offer of a
/// Sec-WebSocket-Extensions header (several headers joined by ", ").
/// An offer with an unknown, duplicated or invalid parameter is declined
/// (RFC 7692 §5: the server declines such an offer) and the next one is
/// tried; other extensions are ignored. A `server_max_window_bits=8`
/// offer is declined too: zlib's raw deflate has no 256-byte window.
deflate_negotiation negotiate_deflate(std::string_view header,
                                      const deflate_config& cfg);

/// One connection's compressor and decompressor (zlib streams).
class deflate_codec {
public:
  explicit deflate_codec(const deflate_params& p);
  ~deflate_codec();
  deflate_codec(const deflate_codec&) = delete;
  deflate_codec& operator=(const deflate_codec&) = delete;

  enum class inflate_status { ok, too_big, corrupt };
  /// Decompresses one message's payload (all its frames joined) into
  /// `out`, stopping as soon as more than `max_out` bytes would result:
  /// a small message cannot make us allocate a huge one (a zip bomb).
  inflate_status decompress(std::string_view in, size_t max_out,
                            std::string& out);
  /// Compresses one message (the tail removed, RFC 7692 §7.2.1).
  std::string compress(std::string_view in);

private:
  struct streams;
  deflate_params params_;
  std::unique_ptr<streams> z_;
};

} // namespace themis::ws
