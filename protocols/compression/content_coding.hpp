#pragma once
/// HTTP content codings (RFC 9110 §8.4): gzip (zlib), br (brotli) and
/// zstd. Pure functions over bytes — negotiation from Accept-Encoding,
/// whole-body compression, a streaming compressor that flushes per piece
/// (for SSE and chunked results), and bounded decompression of request
/// bodies (a decompressed-size limit stops zip bombs).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace themis::compression {

enum class coding : uint8_t { identity, gzip, br, zstd };

std::string_view name(coding c);
/// A Content-Encoding token (case-insensitive; "x-gzip" too).
bool parse_coding(std::string_view token, coding& out);

/// The coding to use for `accept_encoding` (RFC 9110 §12.5.3): the
/// highest q-value among `offered` (server preference breaks ties); "*"
/// covers codings not named; q=0 refuses. No header: identity.
coding negotiate(std::string_view accept_encoding,
                 const std::vector<coding>& offered);

struct levels {
  int gzip = 6; ///< 1–9
  int br = 4;   ///< 0–11 (4–5: gzip's speed, better ratio)
  int zstd = 3; ///< 1–19
};

/// Whole-body compression; false only on a library failure.
bool compress(coding c, std::string_view in, const levels& lv,
              std::string& out);

enum class inflate_status { ok, too_large, corrupt };

/// Decompresses `in` into `out`, stopping with too_large as soon as the
/// output would pass `max_out` bytes.
inflate_status decompress(coding c, std::string_view in, size_t max_out,
                          std::string& out);

/// Compresses a stream piece by piece; each add() returns bytes the
/// client can decode at once (a flush per piece).
class stream_compressor {
public:
  static std::unique_ptr<stream_compressor> create(coding c, const levels& lv);
  virtual ~stream_compressor() = default;
  virtual std::string add(std::string_view piece) = 0;
  virtual std::string finish() = 0;
};

/// Whether a Content-Type is worth compressing (text, JSON, XML,
/// JavaScript, SSE, NDJSON …; not images, archives or other compressed
/// data). `extra` are configured additions (prefix match).
bool compressible(std::string_view content_type,
                  const std::vector<std::string>& extra = {});

} // namespace themis::compression
