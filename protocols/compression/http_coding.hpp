#pragma once
/// Content codings applied to protocol-blind requests and responses (so
/// HTTP/1.1 and HTTP/2 share them): request bodies decoded per
/// Content-Encoding with a decompressed-size limit, responses encoded per
/// Accept-Encoding (whole bodies, or a stream compressor for streamed
/// ones), with Vary: Accept-Encoding.

#include <memory>
#include <string>
#include <vector>

#include "protocols/compression/content_coding.hpp"
#include "themis/api_message.hpp"

namespace themis::compression {

struct http_options {
  bool enabled = true;
  size_t min_bytes = 256; ///< smaller bodies go as they are
  std::vector<coding> offered = {coding::br, coding::zstd, coding::gzip};
  std::vector<std::string> extra_types; ///< more compressible types
  levels lv;
  size_t max_request_bytes = 16u << 20; ///< decoded request body limit
};

/// Decodes `req.body` per its Content-Encoding (codings in the order
/// applied, undone last to first). 0 when done (the header is removed),
/// else the status to answer: 415 for an unknown coding, 413 past the
/// limit, 400 for a corrupt body; `why` says which.
int decode_request(api_request& req, const http_options& o, std::string& why);

/// Compresses a complete response (for a request with this
/// Accept-Encoding, null if none) when it is worth it (RFC 9110
/// §8.4, §12.5.3): compressible type, at least min_bytes, not already
/// encoded, no `Cache-Control: no-transform`, a coding the client
/// accepts; a strong ETag becomes weak. Adds Vary: Accept-Encoding to
/// every response whose encoding depended on the request.
void encode_response(const std::string* accept_encoding, api_response& resp,
                     const http_options& o);

/// For a streamed response: sets the headers and returns the compressor
/// its pieces go through, or null to send them as they are.
std::unique_ptr<stream_compressor>
encode_stream(const std::string* accept_encoding, api_response& resp,
              const http_options& o);

} // namespace themis::compression
