/// Upload-time decoding and checks (see wasm_module.hpp).

#include "functions/wasm_module.hpp"

#include <wabt/binary-reader.h>
#include <wabt/error-formatter.h>
#include <wabt/interp/binary-reader-interp.h>

#include <map>

#include "functions/wasm_module_impl.hpp"

namespace themis::functions {

namespace wi = wabt::interp;

namespace {

using wabt::Type;

struct import_sig {
  host_import what;
  std::vector<Type> params;
  std::vector<Type> results;
};

/// The WASI preview 1 calls this runtime implements, with their exact
/// signatures, and the host API (module "themis").
const std::map<std::string, import_sig>& wasi_table() {
  static const Type i32 = Type::I32, i64 = Type::I64;
  static const std::map<std::string, import_sig> t = {
    {"args_get", {host_import::args_get, {i32, i32}, {i32}}},
    {"args_sizes_get", {host_import::args_sizes_get, {i32, i32}, {i32}}},
    {"environ_get", {host_import::environ_get, {i32, i32}, {i32}}},
    {"environ_sizes_get", {host_import::environ_sizes_get, {i32, i32}, {i32}}},
    {"clock_res_get", {host_import::clock_res_get, {i32, i32}, {i32}}},
    {"clock_time_get", {host_import::clock_time_get, {i32, i64, i32}, {i32}}},
    {"fd_read", {host_import::fd_read, {i32, i32, i32, i32}, {i32}}},
    {"fd_write", {host_import::fd_write, {i32, i32, i32, i32}, {i32}}},
    {"fd_close", {host_import::fd_close, {i32}, {i32}}},
    {"fd_seek", {host_import::fd_seek, {i32, i64, i32, i32}, {i32}}},
    {"fd_fdstat_get", {host_import::fd_fdstat_get, {i32, i32}, {i32}}},
    {"fd_prestat_get", {host_import::fd_prestat_get, {i32, i32}, {i32}}},
    {"proc_exit", {host_import::proc_exit, {i32}, {}}},
    {"random_get", {host_import::random_get, {i32, i32}, {i32}}},
    {"sched_yield", {host_import::sched_yield, {}, {i32}}},
  };
  return t;
}

const std::map<std::string, import_sig>& themis_table() {
  static const Type i32 = Type::I32;
  static const std::map<std::string, import_sig> t = {
    {"set_status", {host_import::set_status, {i32}, {i32}}},
    {"set_header", {host_import::set_header, {i32, i32, i32, i32}, {i32}}},
    {"log", {host_import::log, {i32, i32}, {i32}}},
    {"doc_get", {host_import::doc_get, {i32, i32, i32, i32, i32, i32}, {i32}}},
    {"doc_put", {host_import::doc_put, {i32, i32, i32, i32, i32, i32}, {i32}}},
    {"aql_query", {host_import::aql_query, {i32, i32, i32, i32}, {i32}}},
    {"mqtt_publish", {host_import::mqtt_publish, {i32, i32, i32, i32}, {i32}}},
  };
  return t;
}

std::string sig_text(const std::vector<Type>& p, const std::vector<Type>& r) {
  auto list = [](const std::vector<Type>& v) {
    std::string s = "(";
    for (size_t i = 0; i < v.size(); ++i)
      s += (i ? ", " : "") + std::string(v[i].GetName());
    return s + ")";
  };
  return list(p) + " -> " + list(r);
}

/// The binding of one function import, or a reason it cannot be hosted.
std::string bind_import(const wi::ImportType& imp, host_import& out) {
  std::string name = imp.module + "." + imp.name;
  auto* ft = wabt::dyn_cast<wi::FuncType>(imp.type.get());
  if (!ft)
    return "import " + name +
           " is not a function (only functions are "
           "provided; the module must define its own memory)";
  const std::map<std::string, import_sig>* table = nullptr;
  if (imp.module == "wasi_snapshot_preview1")
    table = &wasi_table();
  else if (imp.module == "themis")
    table = &themis_table();
  else
    return "import " + name +
           " is not provided: a WASI module imports "
           "only wasi_snapshot_preview1 and themis";
  auto it = table->find(imp.name);
  if (it == table->end()) {
    bool preview1 = imp.module == "wasi_snapshot_preview1";
    // any other preview 1 call is answered with an errno, never hosted
    if (preview1 && ft->results.size() == 1 && ft->results[0] == Type::I32 &&
        (imp.name.rfind("fd_", 0) == 0 || imp.name.rfind("path_", 0) == 0 ||
         imp.name.rfind("sock_", 0) == 0 || imp.name == "poll_oneoff" ||
         imp.name == "proc_raise")) {
      out = imp.name.rfind("fd_", 0) == 0 ? host_import::wasi_denied_badf
                                          : host_import::wasi_denied_notcapable;
      return {};
    }
    return "import " + name + " is not provided";
  }
  if (ft->params != it->second.params || ft->results != it->second.results)
    return "import " + name + " has the signature " +
           sig_text(ft->params, ft->results) + ", expected " +
           sig_text(it->second.params, it->second.results);
  out = it->second.what;
  return {};
}

/// Tables beyond this many entries are refused (each costs host memory
/// at instantiation, before any limit applies).
constexpr uint64_t max_table_entries = 100'000;

std::string check_shape(compiled_module& m, uint32_t memory_pages) {
  auto& d = m.desc;
  if (!d.starts.empty())
    return "the module has a start section: a WASI command starts at its "
           "`_start` export (a start function would run without limits)";
  if (d.memories.size() != 1)
    return "the module must define exactly one memory (it defines " +
           std::to_string(d.memories.size()) + ")";
  for (auto& t : d.tables)
    if (t.type.limits.initial > max_table_entries)
      return "a table of " + std::to_string(t.type.limits.initial) +
             " entries exceeds the limit of " +
             std::to_string(max_table_entries);
  bool start = false, memory = false;
  size_t imported_funcs = d.imports.size();
  for (size_t i = 0; i < d.exports.size(); ++i) {
    auto& e = d.exports[i];
    if (e.type.name == "_start") {
      auto* ft = wabt::dyn_cast<wi::FuncType>(e.type.type.get());
      if (!ft || !ft->params.empty() || !ft->results.empty() ||
          e.index < imported_funcs)
        return "the `_start` export must be a function of the module "
               "taking and returning nothing";
      start = true;
      m.start_export = static_cast<uint32_t>(i);
    } else if (e.type.name == "memory") {
      if (e.type.type->kind != wabt::ExternalKind::Memory)
        return "the `memory` export must be a memory";
      memory = true;
      m.memory_export = static_cast<uint32_t>(i);
    }
  }
  if (!start)
    return "not a WASI command: no `_start` export";
  if (!memory)
    return "not a WASI module: no `memory` export";
  auto& lim = d.memories[0].type.limits;
  if (lim.is_64 || lim.is_shared)
    return "64-bit and shared memories are not supported";
  if (lim.initial > memory_pages)
    return "the memory's minimum of " + std::to_string(lim.initial) +
           " pages exceeds the limit of " + std::to_string(memory_pages) +
           " pages";
  if (!lim.has_max || lim.max > uint64_t{memory_pages} + 1) {
    lim.has_max = true;
    lim.max = uint64_t{memory_pages} + 1;
  }
  m.memory_pages = memory_pages;
  return {};
}

} // namespace

compile_result compile_module(std::string_view bytes, uint32_t memory_pages) {
  compile_result r;
  if (bytes.size() < 8 || bytes.substr(0, 4) != std::string_view("\0asm", 4)) {
    r.error = "not a WebAssembly binary (no \\0asm header)";
    return r;
  }
  auto m = std::make_shared<compiled_module>();
  wabt::Features features; // the reader's defaults; threads stay off
  wabt::ReadBinaryOptions options(features, nullptr, false, true, false);
  wabt::Errors errors;
  if (wabt::Failed(wi::ReadBinaryInterp("module.wasm", bytes.data(),
                                        bytes.size(), options, &errors,
                                        &m->desc))) {
    r.error = "invalid module: " +
              wabt::FormatErrorsToString(errors, wabt::Location::Type::Binary);
    while (!r.error.empty() &&
           (r.error.back() == '\n' || r.error.back() == ' '))
      r.error.pop_back();
    return r;
  }
  for (auto& imp : m->desc.imports) {
    host_import h{};
    if (auto why = bind_import(imp.type, h); !why.empty()) {
      r.error = why;
      return r;
    }
    m->bindings.push_back(h);
  }
  if (auto why = check_shape(*m, memory_pages); !why.empty()) {
    r.error = why;
    return r;
  }
  r.module = std::move(m);
  return r;
}

module_info describe(const compiled_module& m) {
  module_info i;
  i.imports = static_cast<uint32_t>(m.desc.imports.size());
  i.functions = static_cast<uint32_t>(m.desc.funcs.size());
  i.memory_min_pages =
    static_cast<uint32_t>(m.desc.memories[0].type.limits.initial);
  for (auto& imp : m.desc.imports)
    i.host_calls.push_back(imp.type.module + "." + imp.type.name);
  return i;
}

} // namespace themis::functions
