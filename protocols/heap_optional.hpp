#pragma once
/// An optional that keeps its value on the heap: one pointer while empty.
/// For large, rarely set members of per-connection state (an MQTT will is
/// ~600 bytes and most clients have none), so an idle connection does not
/// carry their size inline (issue 30, idle connections).

#include <memory>
#include <optional>
#include <utility>

namespace themis {

template <class T>
class heap_optional {
public:
  heap_optional() = default;
  heap_optional(const heap_optional& o) :
    p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  heap_optional(heap_optional&&) noexcept = default;
  heap_optional& operator=(const heap_optional& o) {
    p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  heap_optional& operator=(heap_optional&&) noexcept = default;

  heap_optional& operator=(const std::optional<T>& o) {
    p_ = o ? std::make_unique<T>(*o) : nullptr;
    return *this;
  }
  heap_optional& operator=(std::optional<T>&& o) {
    p_ = o ? std::make_unique<T>(std::move(*o)) : nullptr;
    return *this;
  }
  heap_optional& operator=(T v) {
    p_ = std::make_unique<T>(std::move(v));
    return *this;
  }

  explicit operator bool() const { return p_ != nullptr; }
  bool has_value() const { return p_ != nullptr; }
  T& operator*() { return *p_; }
  const T& operator*() const { return *p_; }
  T* operator->() { return p_.get(); }
  const T* operator->() const { return p_.get(); }
  void reset() { p_.reset(); }

private:
  std::unique_ptr<T> p_;
};

} // namespace themis
