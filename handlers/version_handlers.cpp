#include "handlers/version_handlers.hpp"

#include <ctime>
#include <map>
#include <mutex>
#include <set>

#include "handlers/http_json.hpp"
#include "handlers/metrics_registry.hpp"
#include "handlers/openapi_document.hpp"
#include "handlers/prometheus_text.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"

namespace themis {

using json = nlohmann::json;

namespace {

struct deprecation_counts {
  std::mutex mtx;
  std::set<std::string> principals; ///< told apart, at most the cap
  std::map<std::pair<std::string, std::string>, uint64_t> calls;
};

deprecation_counts& counts() {
  static deprecation_counts c;
  return c;
}

std::string iso_date(int64_t s) {
  std::time_t t = s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

std::string http_date(int64_t epoch_s) {
  std::time_t t = epoch_s;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

header_list deprecation_headers(const route_entry& e, const route_op& op,
                                const std::vector<std::string>& params) {
  header_list h;
  auto& d = op.deprecation;
  if (!d.active())
    return h;
  h.emplace_back("Deprecation", "@" + std::to_string(d.deprecated_at));
  if (d.sunset_at)
    h.emplace_back("Sunset", http_date(d.sunset_at));
  if (!d.successor.empty()) {
    // the successor's placeholders in order, from the request's captures
    // (after the leading parameters the route adds itself)
    std::string url;
    size_t k = e.leading_params.size();
    for (auto& seg : split_template(d.successor)) {
      bool cap = seg.size() > 2 && seg.front() == '{';
      url += "/" + (cap && k < params.size() ? params[k++] : seg);
    }
    h.emplace_back("Link", "<" + url + ">; rel=\"successor-version\"");
  }
  return h;
}

void count_deprecated_call(const std::string& principal,
                           const std::string& route) {
  auto& c = counts();
  std::lock_guard<std::mutex> g(c.mtx);
  auto who = principal.empty() ? std::string("anonymous") : principal;
  if (!c.principals.count(who)) {
    if (c.principals.size() >= max_deprecation_principals)
      who = "other";
    else
      c.principals.insert(who);
  }
  ++c.calls[{who, route}];
}

size_t deprecation_principals() {
  auto& c = counts();
  std::lock_guard<std::mutex> g(c.mtx);
  return c.principals.size();
}

void add_deprecation_collector(metrics_registry& m) {
  m.add_collector(
    [](prometheus_text& out) {
      auto& c = counts();
      std::lock_guard<std::mutex> g(c.mtx);
      out.family("themis_deprecated_requests_total", "counter",
                 "Calls to deprecated routes by principal (at most 256 "
                 "principals, the rest as other) and route template");
      for (auto& [k, n] : c.calls)
        out.sample("themis_deprecated_requests_total", n,
                   {{"principal", k.first}, {"route", k.second}});
    },
    &counts());
}

void api_version_info(route_context& ctx) {
  auto v = ctx.env.metrics.version();
  json deprecated = json::array();
  deprecated.push_back({{"prefix", "/v1/"},
                        {"successor", "/api/v1/"},
                        {"deprecation", iso_date(v1_deprecated_at)},
                        {"sunset", iso_date(v1_sunset_at)}});
  json body = {
    {"server", {{"name", "themisd"}, {"version", v.empty() ? "0.1.0" : v}}},
    {"api",
     {{"current", "v1"},
      {"version", api_version()},
      {"supported", {"v1"}},
      {"prefix", "/api/v1"},
      {"deprecated", deprecated},
      {"openapi", "/api/v1/openapi.json"}}}};
  ctx.respond(json_response(200, body.dump()));
}

} // namespace themis
