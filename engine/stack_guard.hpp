#pragma once
/// How much stack the calling thread has left (issue 17). Recursive walks
/// (SQL translation, AQL evaluation) bound their depth by configured
/// limits first; this guard is the second line, as PostgreSQL's
/// check_stack_depth(): a recursion limit, never the stack, decides.

#include <cstddef>

namespace themis::engine {

/// Bytes a guarded recursion must leave unused: room for the library
/// calls (SQLite, libpg_query, nlohmann) made from the deepest frame.
constexpr size_t stack_reserve_bytes = 256 * 1024;

/// True when fewer than `reserve` bytes of the calling thread's stack
/// remain. The thread's stack bounds are looked up once per thread.
bool stack_exhausted(size_t reserve = stack_reserve_bytes);

/// Sets the stack size of every thread created from now on (CAF workers,
/// detached actors, Asio threads): limits.thread_stack_kb. Call first
/// thing in main(). Returns false when the platform refused it.
bool set_default_thread_stack(size_t bytes);

} // namespace themis::engine
