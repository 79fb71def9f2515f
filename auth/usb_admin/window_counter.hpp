#pragma once
/// Events per key (a client address) over a sliding window, with a cap on
/// all keys together: the challenge rate and the login-failure count of
/// USB admin keys (issue 24). Memory is bounded by `max_events` — every
/// key in the map has at least one event in the window — and the sweep
/// is amortized O(1): the oldest events leave from the front of one
/// queue. Not thread-safe (the owner locks); time is passed in.

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

namespace themis::auth::usb_admin {

class window_counter {
public:
  window_counter(int64_t window_s, size_t max_events) :
    window_s_(window_s), max_events_(max_events) {}

  /// Events of `key` in the window ending at `now_s`.
  uint32_t count(const std::string& key, int64_t now_s);
  /// Records one event unless `key` already has `per_key` in the window
  /// or the window holds `max_events` in all: false, nothing recorded.
  bool try_add(const std::string& key, int64_t now_s, uint32_t per_key);
  /// Records one event; past `max_events` the oldest are forgotten (a
  /// failure counter must not refuse to count).
  void add(const std::string& key, int64_t now_s);
  /// Keys with an event in the window (after the last sweep).
  size_t keys() const { return per_key_.size(); }
  size_t events() const { return order_.size(); }

private:
  void sweep(int64_t now_s);
  void drop_front();

  int64_t window_s_;
  size_t max_events_;
  std::deque<std::pair<int64_t, std::string>> order_; ///< (time, key)
  std::unordered_map<std::string, uint32_t> per_key_;
};

} // namespace themis::auth::usb_admin
