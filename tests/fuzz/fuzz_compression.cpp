/// libFuzzer target for content codings: the first byte picks gzip, br or
/// zstd and a limit; the rest is decompressed with that limit (never more
/// output than the limit), then an Accept-Encoding header is negotiated
/// from the same bytes. Invariant: no crash, output within the limit, and
/// whatever decodes re-encodes and decodes to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "protocols/compression/content_coding.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace themis::compression;
  if (size == 0)
    return 0;
  static const coding codings[] = {coding::gzip, coding::br, coding::zstd};
  coding c = codings[data[0] % 3];
  size_t limit = 1u << (8 + data[0] % 12);
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string out;
  auto st = decompress(c, in, limit, out);
  if (out.size() > limit)
    std::abort();
  if (st == inflate_status::ok) {
    std::string z, back;
    if (!compress(c, out, {}, z) ||
        decompress(c, z, limit, back) != inflate_status::ok || back != out)
      std::abort();
  }
  negotiate(in, {coding::br, coding::zstd, coding::gzip});
  return 0;
}
