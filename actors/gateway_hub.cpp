#include "actors/gateway_hub.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/gateway_cluster.hpp"
#include "handlers/prometheus_text.hpp"

namespace themis {

namespace {

const char* action_name(gateway::action_kind k) {
  switch (k) {
    case gateway::action_kind::forward:
      return "forward";
    case gateway::action_kind::redirect:
      return "redirect";
    case gateway::action_kind::direct:
      return "direct";
    case gateway::action_kind::themisd:
      return "themisd";
  }
  return "?";
}

void histogram(prometheus_text& out, std::string_view name,
               const gateway::latency_histogram& h,
               std::initializer_list<prometheus_text::label> labels) {
  std::string bucket = std::string(name) + "_bucket";
  uint64_t cum = 0;
  for (size_t i = 0; i <= gateway::latency_buckets.size(); ++i) {
    cum += h.counts[i].load(std::memory_order_relaxed);
    std::string le;
    if (i == gateway::latency_buckets.size())
      le = "+Inf";
    else
      prometheus_text::number(le, gateway::latency_buckets[i]);
    std::vector<prometheus_text::label> ls(labels);
    ls.emplace_back("le", le);
    // (prometheus_text takes an initializer_list: up to three labels here)
    if (ls.size() == 2)
      out.sample(bucket, cum, {ls[0], ls[1]});
    else
      out.sample(bucket, cum, {ls[0], ls[1], ls[2]});
  }
  out.sample(std::string(name) + "_sum",
             static_cast<double>(h.sum_us.load()) / 1e6, labels);
  out.sample(std::string(name) + "_count", cum, labels);
}

} // namespace

gateway_hub::gateway_hub(caf::actor_system& sys, boost::asio::io_context& io) :
  sys_(sys), io_(io), current_(std::make_shared<gateway_snapshot>()) {}

gateway_hub::~gateway_hub() = default;

std::optional<std::string> gateway_hub::prepare(
  const std::string& file,
  std::shared_ptr<const gateway::gateway_config>& out) const {
  if (file.empty()) {
    out = std::make_shared<gateway::gateway_config>();
    return std::nullopt;
  }
  std::string err;
  auto c = gateway::load_gateway_file(file, err);
  if (!c)
    return "gateway.file: " + err;
  out = std::make_shared<gateway::gateway_config>(std::move(*c));
  return std::nullopt;
}

void gateway_hub::install(std::shared_ptr<const gateway::gateway_config> cfg,
                          const std::string& file) {
  auto snap = std::make_shared<gateway_snapshot>();
  snap->config = cfg;
  snap->routes = std::make_unique<gateway::route_table>(*cfg);
  snap->file = file;
  std::vector<caf::actor> retire;
  std::map<std::string, std::pair<gateway::cluster_config, caf::actor>> next;
  size_t kept = 0;
  for (auto& c : cfg->clusters) {
    auto& st = cstats_[c.name];
    if (!st) {
      st = std::make_shared<gateway::cluster_stats>();
      st->name = c.name;
    }
    auto old = live_.find(c.name);
    if (old != live_.end() && old->second.first == c) {
      next[c.name] = old->second;
      ++kept;
    } else {
      next[c.name] = {c, spawn_gateway_cluster(sys_, io_, c, st)};
    }
    snap->clusters[c.name] = next[c.name].second;
    snap->cluster_stats.push_back(st);
  }
  for (auto& [name, entry] : live_) {
    auto n = next.find(name);
    if (n == next.end() || n->second.second != entry.second)
      retire.push_back(entry.second);
  }
  for (auto& r : cfg->routes) {
    auto& st = rstats_[r.name];
    if (!st) {
      st = std::make_shared<gateway::route_stats>();
      st->name = r.name;
    }
    st->action = action_name(r.action);
    snap->route_stats.push_back(st);
  }
  {
    std::lock_guard<std::mutex> g(mtx_);
    snap->generation = current_->generation + 1;
    current_ = snap;
  }
  live_ = std::move(next);
  for (auto& a : retire)
    caf::anon_send<caf::message_priority::high>(a, gw_retire_atom::value);
  spdlog::info("gateway: {} routes, {} clusters ({} kept, {} retired){}{}",
               cfg->routes.size(), cfg->clusters.size(), kept, retire.size(),
               file.empty() ? "" : " from ", file);
}

void gateway_hub::stop() {
  for (auto& [name, entry] : live_)
    caf::anon_send_exit(entry.second, caf::exit_reason::user_shutdown);
  live_.clear();
  std::lock_guard<std::mutex> g(mtx_);
  current_ = std::make_shared<gateway_snapshot>();
}

std::string gateway_hub::upstreams_json() const {
  auto snap = current();
  nlohmann::json out;
  out["file"] = snap->file;
  out["generation"] = snap->generation;
  out["routes"] = snap->config ? snap->config->routes.size() : 0;
  auto clusters = nlohmann::json::array();
  if (snap->config)
    for (size_t ci = 0; ci < snap->config->clusters.size(); ++ci) {
      auto& c = snap->config->clusters[ci];
      auto& st = *snap->cluster_stats[ci];
      nlohmann::json j;
      j["name"] = c.name;
      j["lb"] = gateway::to_string(c.lb);
      j["requests"] = st.requests.load();
      j["failures"] = st.failures.load();
      j["retries"] = st.retries.load();
      j["retries_refused"] = st.retries_refused.load();
      j["ejections"] = st.ejections.load();
      j["overflows"] = st.overflows.load();
      j["coalesced"] = st.coalesced.load();
      j["timeouts"] = st.timeouts.load();
      j["breaker_open"] = st.breaker_open.load() != 0;
      j["open_connections"] = st.open_connections.load();
      j["active_requests"] = st.active.load();
      j["health_check"] = c.health.path.empty() ? nlohmann::json(nullptr)
                                                : nlohmann::json(c.health.path);
      auto eps = nlohmann::json::array();
      {
        std::lock_guard<std::mutex> g(st.mtx);
        for (auto& e : st.endpoints)
          eps.push_back({{"address", e.address},
                         {"weight", e.weight},
                         {"healthy", e.healthy},
                         {"ejected", e.ejected},
                         {"ejected_for_ms", e.ejected_for_ms},
                         {"available", e.healthy && !e.ejected},
                         {"active_requests", e.active},
                         {"latency_avg_ms", e.avg_ms},
                         {"latency_p99_ms", e.p99_ms},
                         {"requests", e.requests},
                         {"failures", e.failures}});
      }
      j["endpoints"] = std::move(eps);
      clusters.push_back(std::move(j));
    }
  out["clusters"] = std::move(clusters);
  return out.dump();
}

void gateway_hub::render_metrics(prometheus_text& out) const {
  auto snap = current();
  if (!snap->config ||
      (snap->config->routes.empty() && snap->config->clusters.empty()))
    return;
  out.family("themis_gateway_route_requests_total", "counter",
             "Gateway requests by route and status class.");
  for (auto& r : snap->route_stats)
    for (int k = 0; k < 5; ++k) {
      std::string cls = std::to_string(k + 1) + "xx";
      out.sample("themis_gateway_route_requests_total", r->by_class[k].load(),
                 {{"route", r->name}, {"action", r->action}, {"code", cls}});
    }
  out.family("themis_gateway_route_duration_seconds", "histogram",
             "Gateway request time by route, upstream retries included.");
  for (auto& r : snap->route_stats)
    histogram(out, "themis_gateway_route_duration_seconds", r->latency,
              {{"route", r->name}});
  auto& cs = snap->cluster_stats;
  auto counter = [&](const char* name, const char* help, auto get) {
    out.family(name, "counter", help);
    for (auto& c : cs)
      out.sample(name, static_cast<uint64_t>(get(*c)), {{"cluster", c->name}});
  };
  counter("themis_gateway_upstream_requests_total",
          "Upstream attempts (retries included).",
          [](auto& c) { return c.requests.load(); });
  counter("themis_gateway_upstream_failures_total",
          "Upstream attempts that ended in 5xx or a gateway error.",
          [](auto& c) { return c.failures.load(); });
  counter("themis_gateway_upstream_retries_total", "Retries started.",
          [](auto& c) { return c.retries.load(); });
  counter("themis_gateway_upstream_retries_refused_total",
          "Retries the retry budget refused.",
          [](auto& c) { return c.retries_refused.load(); });
  counter("themis_gateway_upstream_ejections_total",
          "Endpoints ejected by outlier detection.",
          [](auto& c) { return c.ejections.load(); });
  counter("themis_gateway_upstream_overflows_total",
          "Requests the cluster's breaker limits refused (503).",
          [](auto& c) { return c.overflows.load(); });
  counter("themis_gateway_upstream_timeouts_total", "Upstream timeouts.",
          [](auto& c) { return c.timeouts.load(); });
  counter("themis_gateway_coalesced_total",
          "Requests answered by another request's upstream call.",
          [](auto& c) { return c.coalesced.load(); });
  out.family("themis_gateway_breaker_open", "gauge",
             "1 while the cluster's limits refuse requests.");
  for (auto& c : cs)
    out.sample("themis_gateway_breaker_open",
               static_cast<int64_t>(c->breaker_open.load()),
               {{"cluster", c->name}});
  out.family("themis_gateway_upstream_connections", "gauge",
             "Open upstream connections.");
  for (auto& c : cs)
    out.sample("themis_gateway_upstream_connections",
               static_cast<uint64_t>(c->open_connections.load()),
               {{"cluster", c->name}});
  out.family("themis_gateway_endpoint_available", "gauge",
             "1 when the endpoint is healthy and not ejected.");
  for (auto& c : cs) {
    std::lock_guard<std::mutex> g(c->mtx);
    for (auto& e : c->endpoints)
      out.sample("themis_gateway_endpoint_available",
                 static_cast<int64_t>(e.healthy && !e.ejected),
                 {{"cluster", c->name}, {"endpoint", e.address}});
  }
  out.family("themis_gateway_upstream_duration_seconds", "histogram",
             "Time to a complete upstream response, per attempt.");
  for (auto& c : cs)
    histogram(out, "themis_gateway_upstream_duration_seconds", c->latency,
              {{"cluster", c->name}});
}

} // namespace themis
