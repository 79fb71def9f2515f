/// Per-IP connection counts (see ip_slots.hpp).

#include "actors/ip_slots.hpp"

#include "actors/server_context.hpp"

namespace themis {

ip_slot take_ip_slot(server_context& ctx, const std::string& ip) {
  ip_slot s;
  auto per_ip = ctx.config.overload.max_connections_per_ip;
  if (!per_ip)
    return s;
  std::lock_guard<std::mutex> guard(ctx.ip_mtx);
  auto& n = ctx.ip_connections[ip];
  if (n >= per_ip) {
    s.full = true;
    return s;
  }
  ++n;
  s.counted = true;
  return s;
}

void release_ip_slot(server_context& ctx, const std::string& ip) {
  std::lock_guard<std::mutex> guard(ctx.ip_mtx);
  auto it = ctx.ip_connections.find(ip);
  if (it != ctx.ip_connections.end() && --it->second == 0)
    ctx.ip_connections.erase(it);
}

} // namespace themis
