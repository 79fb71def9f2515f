/// libFuzzer target for function uploads (issue 27): the input is a module
/// binary. Decode and check it with a 16-page cap; a module that is
/// accepted is then invoked once under small limits (10k steps, 50 ms,
/// 1 KiB of output). Invariants: no crash or hang, a refusal always has a
/// reason, an invocation always ends with a known outcome.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "functions/wasm_runtime.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fn = themis::functions;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto c = fn::compile_module(bytes, 16);
  if (!c.module) {
    if (c.error.empty())
      std::abort();
    return 0;
  }
  fn::function_limits lim;
  lim.fuel = 10'000;
  lim.timeout_ms = 50;
  lim.memory_pages = 16;
  lim.output_bytes = 1024;
  fn::invocation_input in;
  in.body = "fuzz";
  in.args = {"fuzz"};
  auto r = fn::invoke(*c.module, in, lim);
  if (r.kind != fn::outcome::ok && r.message.empty())
    std::abort();
  if (r.out.size() > lim.output_bytes)
    std::abort();
  return 0;
}
