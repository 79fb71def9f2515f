/// libFuzzer target for the PostgreSQL protocol codec: the first bytes as
/// a startup packet, the rest as typed messages through every payload
/// decoder, with tiny limits taken from the input. Invariants: no crash,
/// `consumed` never beyond the input, errors carry an SQLSTATE.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocols/pgwire/pg_codec.hpp"

using namespace themis::pgwire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  codec_limits lim;
  if (!in.empty()) {
    lim.max_message = 5 + static_cast<uint8_t>(in[0]) * 64;
    lim.max_params = static_cast<uint8_t>(in[0]) % 8;
    in.remove_prefix(1);
  }
  decode_error err;
  startup_packet sp;
  size_t used = 0;
  auto st = decode_startup(in, lim, sp, used, err);
  if (st == decode_status::ok) {
    if (used > in.size())
      std::abort();
    in.remove_prefix(used);
  } else if (st == decode_status::error && err.sqlstate.size() != 5) {
    std::abort();
  }
  for (int i = 0; i < 64 && !in.empty(); ++i) {
    frame f;
    if (decode_frame(in, lim, f, used, err) != decode_status::ok)
      break;
    if (used > in.size())
      std::abort();
    std::string s;
    parse_msg p;
    bind_msg b;
    describe_msg d;
    execute_msg e;
    sasl_initial si;
    decode_query(f.payload, s, err);
    decode_parse(f.payload, lim, p, err);
    decode_bind(f.payload, lim, b, err);
    decode_describe(f.payload, d, err);
    decode_execute(f.payload, e, err);
    decode_password(f.payload, s, err);
    decode_sasl_initial(f.payload, si, err);
    decode_copy_fail(f.payload, s, err);
    in.remove_prefix(used);
  }
  return 0;
}
