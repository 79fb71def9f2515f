#include "handlers/rate_groups.hpp"

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "handlers/metrics_registry.hpp"
#include "handlers/prometheus_text.hpp"
#include "handlers/route_registry.hpp"

namespace themis {

namespace {

/// Group names come from the registry, never from clients: a small set.
struct counts {
  std::mutex mtx;
  std::map<std::string, std::pair<uint64_t, uint64_t>> by_group;
};

counts& group_counts() {
  static counts c;
  return c;
}

} // namespace

std::optional<limits::check_result>
rate_group_check(limits::rate_limiter& limiter, std::string_view method,
                 std::string_view path, std::string_view peer,
                 std::string_view token, int64_t now_ns) {
  auto group = rate_group_of(limiter, method, path);
  if (!group)
    return std::nullopt;
  auto res = limiter.check_group(*group, path, peer, token, now_ns);
  if (res)
    count_rate_group(*group, res->refused);
  return res;
}

std::optional<std::string> rate_group_of(const limits::rate_limiter& limiter,
                                         std::string_view method,
                                         std::string_view path) {
  if (limiter.config()->groups.empty())
    return std::nullopt;
  std::vector<std::string> params;
  auto entry = route_registry::global().match(split_template(std::string(path)),
                                              false, false, params);
  auto op = entry ? entry->op(std::string(method)) : nullptr;
  if (!op)
    return std::nullopt;
  return op->rate_group;
}

void count_rate_group(const std::string& group, bool refused) {
  auto& c = group_counts();
  std::lock_guard<std::mutex> g(c.mtx);
  auto& n = c.by_group[group];
  ++(refused ? n.second : n.first);
}

void add_rate_group_collector(metrics_registry& m) {
  m.add_collector(
    [](prometheus_text& out) {
      auto& c = group_counts();
      std::lock_guard<std::mutex> g(c.mtx);
      out.family("themis_rate_group_requests_total", "counter",
                 "Requests checked against a registry rate group's limit "
                 "(rate_limiting.groups), by group and outcome");
      for (auto& [group, n] : c.by_group) {
        out.sample("themis_rate_group_requests_total", n.first,
                   {{"group", group}, {"outcome", "allowed"}});
        out.sample("themis_rate_group_requests_total", n.second,
                   {{"group", group}, {"outcome", "refused"}});
      }
    },
    &group_counts());
}

} // namespace themis
