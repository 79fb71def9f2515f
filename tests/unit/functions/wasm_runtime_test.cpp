/// The runtime core without a server: upload checks and every way an
/// invocation ends.

#include "functions/wasm_runtime.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/unit/functions/wat.hpp"

namespace themis::functions {
namespace {

using test::wasi_module;
using test::wat_to_wasm;

/// Writes the `len` bytes at 16 to fd `fd` (iovec at 0, count at 8).
std::string write_at16(int fd, int len) {
  return "(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) "
         "(i32.const " +
         std::to_string(len) + ")) (drop (call $fd_write (i32.const " +
         std::to_string(fd) + ") (i32.const 0) (i32.const 1) (i32.const 8)))";
}

std::shared_ptr<const compiled_module> compile_ok(const std::string& bytes,
                                                  uint32_t pages = 16) {
  auto c = compile_module(bytes, pages);
  EXPECT_TRUE(c.module) << c.error;
  return c.module;
}

invocation_result run(const std::string& bytes, const std::string& body = "",
                      function_limits lim = {}) {
  auto m = compile_ok(bytes, lim.memory_pages);
  if (!m)
    return {};
  invocation_input in;
  in.body = body;
  in.args = {"fn"};
  return invoke(*m, in, lim);
}

TEST(WasmRuntime, HelloWorldOnStdout) {
  auto r =
    run(wasi_module(write_at16(1, 5), R"((data (i32.const 16) "hello"))"));
  EXPECT_EQ(r.kind, outcome::ok) << r.message;
  EXPECT_EQ(r.out, "hello");
  EXPECT_GT(r.steps, 0u);
}

TEST(WasmRuntime, StdinEchoesAndStderrGoesToTheLog) {
  auto echo = wasi_module(R"(
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 4096))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))))");
  auto r = run(echo, "ping pong");
  EXPECT_EQ(r.kind, outcome::ok) << r.message;
  EXPECT_EQ(r.out, "ping pong");
  EXPECT_EQ(r.log, "ping pong");
}

TEST(WasmRuntime, InfiniteLoopEndsAtTheDeadline) {
  function_limits lim;
  lim.timeout_ms = 100;
  lim.fuel = UINT64_MAX;
  auto t0 = std::chrono::steady_clock::now();
  auto r = run(wasi_module("(loop $l (br $l))"), "", lim);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - t0)
              .count();
  EXPECT_EQ(r.kind, outcome::deadline) << r.message;
  EXPECT_LT(ms, 400);
}

TEST(WasmRuntime, StepBudgetRunsOut) {
  function_limits lim;
  lim.fuel = 100'000;
  lim.timeout_ms = 5000;
  auto r = run(wasi_module("(loop $l (br $l))"), "", lim);
  EXPECT_EQ(r.kind, outcome::fuel) << r.message;
}

TEST(WasmRuntime, MemoryGrowthPastTheCapIsKilled) {
  function_limits lim;
  lim.memory_pages = 8;
  auto bomb = wasi_module(
    "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))");
  auto r = run(bomb, "", lim);
  EXPECT_EQ(r.kind, outcome::memory) << r.message;
  EXPECT_EQ(r.memory_pages, 9u);
}

TEST(WasmRuntime, TrapsEndOnlyTheInvocation) {
  auto r = run(wasi_module("(unreachable)"));
  EXPECT_EQ(r.kind, outcome::trap);
  EXPECT_NE(r.message.find("unreachable"), std::string::npos) << r.message;
  auto oob = run(wasi_module("(drop (i32.load (i32.const 70000)))"));
  EXPECT_EQ(oob.kind, outcome::trap) << oob.message;
  auto deep = run(wasi_module("(call $rec)", "(func $rec (call $rec))"));
  EXPECT_EQ(deep.kind, outcome::trap) << deep.message;
}

TEST(WasmRuntime, ProcExit) {
  auto zero =
    run(wasi_module(write_at16(1, 2) + "(call $proc_exit (i32.const 0))",
                    R"((data (i32.const 16) "ok"))"));
  EXPECT_EQ(zero.kind, outcome::ok) << zero.message;
  EXPECT_EQ(zero.out, "ok");
  auto three = run(wasi_module("(call $proc_exit (i32.const 3))"));
  EXPECT_EQ(three.kind, outcome::exit);
  EXPECT_EQ(three.exit_code, 3);
}

TEST(WasmRuntime, OutputCap) {
  function_limits lim;
  lim.output_bytes = 100;
  auto r =
    run(wasi_module("(loop $l " + write_at16(1, 60) + " (br $l))"), "", lim);
  EXPECT_EQ(r.kind, outcome::output) << r.message;
  EXPECT_LE(r.out.size(), 100u);
}

TEST(WasmRuntime, FilesAndOtherFdsAreRefusedWithErrno) {
  // path_open's errno (ENOTCAPABLE, 76) and fd_write to fd 5 (EBADF, 8)
  // are stored as bytes and written out
  auto m = wasi_module(
    R"((i32.store8 (i32.const 16) (call $path_open (i32.const 3) (i32.const 0)
        (i32.const 100) (i32.const 4) (i32.const 0) (i64.const 0) (i64.const 0)
        (i32.const 0) (i32.const 200)))
      (i32.store8 (i32.const 17) (call $fd_write (i32.const 5) (i32.const 0)
        (i32.const 1) (i32.const 8))))" +
      write_at16(1, 2),
    R"((import "wasi_snapshot_preview1" "path_open"
        (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (data (i32.const 100) "/etc"))");
  auto r = run(m);
  ASSERT_EQ(r.kind, outcome::ok) << r.message;
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.out[0], 76);
  EXPECT_EQ(r.out[1], 8);
}

TEST(WasmModule, RefusesWhatItCannotHost) {
  EXPECT_NE(compile_module("hello world", 16).error.find("not a WebAssembly"),
            std::string::npos);
  std::string truncated = wasi_module("(nop)");
  truncated.resize(truncated.size() - 3);
  EXPECT_NE(compile_module(truncated, 16).error.find("invalid module"),
            std::string::npos);
  auto no_start = wat_to_wasm(R"((module (memory (export "memory") 1)))");
  EXPECT_NE(compile_module(no_start, 16).error.find("_start"),
            std::string::npos);
  auto env = wat_to_wasm(R"((module (import "env" "f" (func))
    (memory (export "memory") 1) (func (export "_start"))))");
  EXPECT_NE(compile_module(env, 16).error.find("env.f"), std::string::npos);
  auto start = wat_to_wasm(R"((module (memory (export "memory") 1)
    (func $s) (start $s) (func (export "_start"))))");
  EXPECT_NE(compile_module(start, 16).error.find("start section"),
            std::string::npos);
  auto big = wat_to_wasm(R"((module (memory (export "memory") 100)
    (func (export "_start"))))");
  EXPECT_NE(compile_module(big, 16).error.find("exceeds"), std::string::npos);
  auto sig = wat_to_wasm(R"((module (import "wasi_snapshot_preview1"
    "fd_write" (func (param i32))) (memory (export "memory") 1)
    (func (export "_start"))))");
  EXPECT_NE(compile_module(sig, 16).error.find("signature"), std::string::npos);
}

TEST(WasmModule, FreshInstanceEveryInvocation) {
  // a global counter printed as one digit: never carries over
  auto m = compile_ok(wasi_module(
    "(global.set $n (i32.add (global.get $n) (i32.const 1)))"
    "(i32.store8 (i32.const 16) (i32.add (i32.const 48) (global.get $n)))" +
      write_at16(1, 1),
    "(global $n (mut i32) (i32.const 0))"));
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(invoke(*m, {}, {}).out, "1");
}

} // namespace
} // namespace themis::functions
