/// One invocation: a fresh wabt store, instance and thread; `_start` is
/// entered and then run in slices of `slice_steps` instructions so the
/// step budget, the deadline, the memory cap and server shutdown are
/// checked between slices.

#include "functions/wasm_runtime.hpp"

#include <chrono>

#include "functions/wasi_host.hpp"
#include "functions/wasm_module_impl.hpp"

namespace wi = wabt::interp;

namespace {

/// wabt 1.0.32 (the Debian package this build pins) offers
/// `Thread::Run(num_instructions)` but enters a function only through
/// `Func::Call`, which runs it to the end. Entering `_start` without
/// running it needs the private `Thread::PushCall`; an explicit template
/// instantiation may name private members ([temp.spec.general]/6), which
/// is how its address is taken here. If wabt changes the signature this
/// stops compiling rather than misbehaving.
using push_call_fn = wi::RunResult (wi::Thread::*)(const wi::DefinedFunc&,
                                                   wi::Trap::Ptr*);
struct push_call_tag {
  friend push_call_fn member_of(push_call_tag);
};
template <push_call_fn M>
struct expose_push_call {
  friend push_call_fn member_of(push_call_tag) { return M; }
};
template struct expose_push_call<&wi::Thread::PushCall>;

} // namespace

namespace themis::functions {

namespace {

/// Instructions between checks: a few tens of microseconds of work.
constexpr int slice_steps = 20'000;

void end(invocation_result& r, outcome k, std::string message) {
  r.kind = k;
  r.message = std::move(message);
}

} // namespace

const char* outcome_name(outcome o) {
  switch (o) {
    case outcome::ok:
      return "ok";
    case outcome::exit:
      return "exit";
    case outcome::trap:
      return "trap";
    case outcome::deadline:
      return "deadline";
    case outcome::fuel:
      return "fuel";
    case outcome::memory:
      return "memory";
    case outcome::output:
      return "output";
    case outcome::stopped:
      return "stopped";
  }
  return "?";
}

invocation_result invoke(const compiled_module& m, const invocation_input& in,
                         const function_limits& lim) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + std::chrono::milliseconds(lim.timeout_ms);
  invocation_result res;
  invocation_state st{in, lim, res, {}};

  wi::Store store;
  auto module = wi::Module::New(store, m.desc);
  std::vector<wi::HostFunc::Ptr> hosts;
  wi::RefVec imports;
  for (size_t i = 0; i < m.bindings.size(); ++i) {
    auto& ft = *wabt::cast<wi::FuncType>(m.desc.imports[i].type.type.get());
    hosts.push_back(
      wi::HostFunc::New(store, ft, host_callback(m.bindings[i], st)));
    imports.push_back(hosts.back().ref());
  }
  wi::Trap::Ptr trap;
  auto instance =
    wi::Instance::Instantiate(store, module.ref(), imports, &trap);
  if (!instance) {
    end(res, outcome::trap,
        "instantiation failed: " + (trap ? trap->message() : "unknown"));
    return res;
  }
  st.memory = store.UnsafeGet<wi::Memory>(instance->exports()[m.memory_export]);
  auto start =
    store.UnsafeGet<wi::DefinedFunc>(instance->exports()[m.start_export]);

  auto pages = [&] { return static_cast<uint32_t>(st.memory->PageSize()); };
  wi::Thread thread(store);
  wi::RunResult rr = (thread.*member_of(push_call_tag{}))(*start, &trap);
  while (rr == wi::RunResult::Ok) {
    rr = thread.Run(slice_steps, &trap);
    res.steps += slice_steps; // an upper bound on the last slice
    if (pages() > m.memory_pages) {
      end(res, outcome::memory,
          "linear memory grew past " + std::to_string(m.memory_pages) +
            " pages");
      break;
    }
    if (rr != wi::RunResult::Ok)
      break;
    if (res.steps >= lim.fuel) {
      end(res, outcome::fuel,
          "the step budget of " + std::to_string(lim.fuel) + " ran out");
      break;
    }
    if (clock::now() >= deadline) {
      end(res, outcome::deadline,
          "the deadline of " + std::to_string(lim.timeout_ms) + " ms passed");
      break;
    }
    if (in.stop && in.stop->load(std::memory_order_relaxed)) {
      end(res, outcome::stopped, "the server is shutting down");
      break;
    }
  }
  res.memory_pages = pages();
  if (res.kind != outcome::ok)
    return res;
  if (rr == wi::RunResult::Trap || rr == wi::RunResult::Exception) {
    if (st.output_over)
      end(res, outcome::output,
          "stdout passed the limit of " + std::to_string(lim.output_bytes) +
            " bytes");
    else if (st.exited && res.exit_code != 0)
      end(res, outcome::exit,
          "proc_exit(" + std::to_string(res.exit_code) + ")");
    else if (!st.exited)
      end(res, outcome::trap,
          "trap: " + (trap ? trap->message() : std::string("exception")));
  }
  return res;
}

} // namespace themis::functions
