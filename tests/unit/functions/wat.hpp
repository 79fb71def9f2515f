#pragma once
/// Test helper: WebAssembly text to binary with wabt's own parser, so the
/// unit tests state their modules readably.

#include <wabt/binary-writer.h>
#include <wabt/error-formatter.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include <stdexcept>
#include <string>

namespace themis::functions::test {

inline std::string wat_to_wasm(const std::string& text) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("t.wat", text.data(),
                                                  text.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::Features features;
  wabt::WastParseOptions options(features);
  if (wabt::Failed(
        wabt::ParseWatModule(lexer.get(), &module, &errors, &options)))
    throw std::runtime_error(
      wabt::FormatErrorsToString(errors, wabt::Location::Type::Text));
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions wopts;
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), wopts)))
    throw std::runtime_error("cannot write the module");
  auto& buf = stream.output_buffer().data;
  return std::string(buf.begin(), buf.end());
}

/// A WASI command around `body` (the `_start` function's instructions),
/// with fd_read/fd_write/proc_exit imported and one page of memory.
inline std::string wasi_module(const std::string& body,
                               const std::string& extra = "") {
  return wat_to_wasm(R"((module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  )" + extra + R"(
  (memory (export "memory") 1)
  (func (export "_start") )" +
                     body + "))");
}

} // namespace themis::functions::test
