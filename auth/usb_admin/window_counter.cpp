#include "auth/usb_admin/window_counter.hpp"

namespace themis::auth::usb_admin {

void window_counter::drop_front() {
  auto it = per_key_.find(order_.front().second);
  if (it != per_key_.end() && --it->second == 0)
    per_key_.erase(it);
  order_.pop_front();
}

void window_counter::sweep(int64_t now_s) {
  while (!order_.empty() && order_.front().first <= now_s - window_s_)
    drop_front();
}

uint32_t window_counter::count(const std::string& key, int64_t now_s) {
  sweep(now_s);
  auto it = per_key_.find(key);
  return it == per_key_.end() ? 0 : it->second;
}

bool window_counter::try_add(const std::string& key, int64_t now_s,
                             uint32_t per_key) {
  sweep(now_s);
  if (order_.size() >= max_events_)
    return false;
  auto& n = per_key_[key];
  if (n >= per_key) {
    if (n == 0)
      per_key_.erase(key); // per_key 0: nothing recorded, no empty entry
    return false;
  }
  ++n;
  order_.emplace_back(now_s, key);
  return true;
}

void window_counter::add(const std::string& key, int64_t now_s) {
  sweep(now_s);
  while (!order_.empty() && order_.size() >= max_events_)
    drop_front();
  if (max_events_ == 0)
    return;
  ++per_key_[key];
  order_.emplace_back(now_s, key);
}

} // namespace themis::auth::usb_admin
