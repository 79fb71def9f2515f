#pragma once
/// The limits one serverless invocation runs under (issue 27). Defaults
/// come from the `functions.*` configuration keys; an upload may lower
/// them (never raise them past the server's caps).

#include <cstdint>

namespace themis::functions {

struct function_limits {
  /// Interpreter steps (one per executed wasm instruction) before the
  /// invocation is ended as out of CPU time (504).
  uint64_t fuel = 100'000'000;
  /// Wall-clock deadline of one invocation in milliseconds (504).
  uint32_t timeout_ms = 500;
  /// Linear memory cap in 64 KiB pages: a larger declared minimum is
  /// refused at upload, growing past it ends the invocation (500).
  uint32_t memory_pages = 1024;
  /// Bytes a function may write to stdout (the response body) (500).
  uint32_t output_bytes = 1u << 20;
  /// Bytes of stderr and log lines kept per invocation (more is cut).
  uint32_t log_bytes = 16u << 10;
  /// Invocations of one function running at once (more: 429).
  uint32_t max_concurrent = 4;
};

} // namespace themis::functions
