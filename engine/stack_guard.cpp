#include "engine/stack_guard.hpp"

#include <pthread.h>

#include <cstdint>

namespace themis::engine {

namespace {

/// Lowest usable address of this thread's stack (stacks grow down on
/// every platform we build for), 0 when unknown.
uintptr_t stack_low() {
  thread_local uintptr_t low = [] {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0)
      return uintptr_t{0};
    void* addr = nullptr;
    size_t size = 0;
    uintptr_t out = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0)
      out = reinterpret_cast<uintptr_t>(addr);
    pthread_attr_destroy(&attr);
    return out;
  }();
  return low;
}

} // namespace

bool stack_exhausted(size_t reserve) {
  auto low = stack_low();
  if (low == 0)
    return false;
  char probe;
  auto here = reinterpret_cast<uintptr_t>(&probe);
  return here < low + reserve;
}

bool set_default_thread_stack(size_t bytes) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0)
    return false;
  bool ok = pthread_attr_setstacksize(&attr, bytes) == 0 &&
            pthread_setattr_default_np(&attr) == 0;
  pthread_attr_destroy(&attr);
  return ok;
}

} // namespace themis::engine
