/// libFuzzer target for gRPC message framing and decompression, and the
/// gRPC-web/Connect codecs (base64 text bodies, trailer blocks): arbitrary
/// request bodies, a limit from the input. Invariants: no crash, every
/// decoded message lies inside the input, consumed bytes add up, and a
/// decompressed message never passes the limit.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocols/grpc/connect_protocol.hpp"
#include "protocols/grpc/grpc_frame.hpp"
#include "protocols/grpc/grpc_metadata.hpp"
#include "protocols/grpc/grpc_status.hpp"
#include "protocols/grpc/grpc_web.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2)
    return 0;
  size_t limit = 1 + (data[0] % 64) * 64;
  auto coding = static_cast<themis::grpc::message_coding>(data[1] % 4);
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  auto split = themis::grpc::split_body(in, limit, 64);
  size_t used = 0;
  for (auto& m : split.messages) {
    if (m.message.data() < in.data() ||
        m.message.data() + m.message.size() > in.data() + in.size())
      std::abort();
    used += m.consumed;
    if (m.compressed) {
      std::string out;
      auto rc = themis::grpc::decompress_message(coding, m.message, limit, out);
      if (rc == themis::compression::inflate_status::ok && out.size() > limit)
        std::abort();
    }
  }
  if (used > in.size())
    std::abort();
  // gRPC-web: base64 text bodies round-trip, trailer blocks parse or
  // refuse, content types and CORS header lists never throw
  std::string raw;
  if (themis::grpc::base64_decode_chunks(in, raw)) {
    if (raw.size() > in.size() / 4 * 3)
      std::abort();
    std::string again;
    if (!themis::grpc::base64_decode_chunks(themis::grpc::base64_encode(raw),
                                            again) ||
        again != raw)
      std::abort();
  }
  if (auto t = themis::grpc::parse_trailer_block(in.substr(0, 256))) {
    auto frame = themis::grpc::encode_trailer_frame(*t);
    if (frame.size() < 5 || static_cast<uint8_t>(frame[0]) != 0x80)
      std::abort();
  }
  (void)themis::grpc::parse_web_content_type(in.substr(0, 64));
  (void)themis::grpc::cors_request_headers(in.substr(0, 128));
  (void)themis::grpc::parse_connect_timeout_ms(in.substr(0, 12));
  (void)themis::grpc::connect_error_json(static_cast<int>(data[0]),
                                         in.substr(0, 64));
  (void)themis::grpc::parse_timeout_ms(in.substr(0, 12));
  (void)themis::grpc::percent_decode(in.substr(0, 64));
  return 0;
}
