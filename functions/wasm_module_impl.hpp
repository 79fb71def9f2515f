#pragma once
/// The compiled module as the runtime sees it (not part of the API:
/// only wasm_module.cpp and wasm_runtime.cpp include wabt).

#include <wabt/interp/interp.h>

#include "functions/wasm_module.hpp"

namespace themis::functions {

struct compiled_module {
  wabt::interp::ModuleDesc desc;
  std::vector<host_import> bindings; ///< one per import, in order
  uint32_t start_export = 0;         ///< index of `_start` in the exports
  uint32_t memory_export = 0;        ///< index of `memory` in the exports
  /// Growing past this ends the invocation; the module's maximum was
  /// clamped to one page more so the overrun is observable.
  uint32_t memory_pages = 0;
};

} // namespace themis::functions
