#pragma once
/// The host functions a module's imports are bound to (WASI preview 1
/// subset and the themis host API), over one invocation's state.

#include <wabt/interp/interp.h>

#include "functions/wasm_runtime.hpp"

namespace themis::functions {

/// What the host functions of one invocation read and write.
struct invocation_state {
  const invocation_input& in;
  const function_limits& lim;
  invocation_result& res;
  wabt::interp::Memory::Ptr memory; ///< set after instantiation
  size_t stdin_pos = 0;
  bool exited = false;      ///< proc_exit was called
  bool output_over = false; ///< stdout passed the cap
};

/// The callback for one import; traps it raises carry a message the
/// runtime recognises (proc_exit, output cap).
wabt::interp::HostFunc::Callback host_callback(host_import what,
                                               invocation_state& st);

/// Trap messages that are not wasm traps.
inline constexpr const char* exit_trap = "themis: proc_exit";
inline constexpr const char* output_trap = "themis: output limit";

} // namespace themis::functions
