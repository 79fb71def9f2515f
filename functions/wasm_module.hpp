#pragma once
/// Upload-time checks of a WebAssembly module (issue 27): the binary is
/// decoded and validated by wabt's interpreter reader once, checked to be
/// a WASI command this runtime can host, and kept as a compiled module
/// that every invocation instantiates afresh.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace themis::functions {

/// What a module's import is bound to at instantiation.
enum class host_import : uint8_t {
  // wasi_snapshot_preview1
  args_get,
  args_sizes_get,
  environ_get,
  environ_sizes_get,
  clock_res_get,
  clock_time_get,
  fd_read,
  fd_write,
  fd_close,
  fd_seek,
  fd_fdstat_get,
  fd_prestat_get,
  proc_exit,
  random_get,
  sched_yield,
  /// any other preview 1 call (files, sockets, polling): answers an
  /// errno (EBADF for fds, ENOTCAPABLE otherwise), never touches the host
  wasi_denied_badf,
  wasi_denied_notcapable,
  // themis (the host API, docs/functions.md)
  set_status,
  set_header,
  log,
  doc_get,
  doc_put,
  aql_query,
  mqtt_publish,
};

struct compiled_module; // wabt's decoded module (wasm_module.cpp)

struct compile_result {
  std::shared_ptr<const compiled_module> module; ///< null: refused
  std::string error;                             ///< why refused
};

/// Decodes and validates `bytes`; refuses what is not a WASI command
/// (no `_start`/`memory` exports, imports from other modules, a start
/// section, a memory whose minimum exceeds `memory_pages`).
compile_result compile_module(std::string_view bytes, uint32_t memory_pages);

/// Facts shown in a function's metadata.
struct module_info {
  uint32_t imports = 0;
  uint32_t functions = 0;
  uint32_t memory_min_pages = 0;
  std::vector<std::string> host_calls; ///< "module.name" of each import
};
module_info describe(const compiled_module& m);

} // namespace themis::functions
