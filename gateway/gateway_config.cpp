#include "gateway/gateway_config.hpp"

#include "gateway/maglev_table.hpp"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace themis::gateway {

const char* to_string(lb_policy p) {
  switch (p) {
    case lb_policy::round_robin:
      return "round_robin";
    case lb_policy::weighted:
      return "weighted";
    case lb_policy::least_request:
      return "least_request";
    case lb_policy::random:
      return "random";
    case lb_policy::ring_hash:
      return "ring_hash";
    case lb_policy::smart:
      return "smart";
    case lb_policy::maglev:
      return "maglev";
  }
  return "?";
}

namespace {

/// Thrown inside the parser only, caught at its top: a key path and why.
struct bad_key {
  std::string key;
  std::string what;
  int line = -1;
};

constexpr size_t max_routes = 4096;
constexpr size_t max_clusters = 1024;
constexpr size_t max_endpoints = 1024;
constexpr size_t max_regex_bytes = 1024;

[[noreturn]] void fail(const std::string& key, const std::string& what,
                       const YAML::Node& n = YAML::Node()) {
  int line = n.IsDefined() && !n.Mark().is_null() ? n.Mark().line + 1 : -1;
  throw bad_key{key, what, line};
}

/// A mapping whose keys must all be in `allowed`.
void check_keys(const YAML::Node& n, const std::string& key,
                std::initializer_list<const char*> allowed) {
  if (!n.IsMap())
    fail(key, "must be a mapping", n);
  for (auto kv : n) {
    auto k = kv.first.as<std::string>();
    bool ok = false;
    for (auto a : allowed)
      ok |= k == a;
    if (!ok)
      fail(key.empty() ? k : key + "." + k, "unknown key", kv.first);
  }
}

std::string str(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar())
    fail(key, "expected a string", n);
  return n.as<std::string>();
}

uint64_t num(const YAML::Node& n, const std::string& key, uint64_t lo,
             uint64_t hi) {
  if (!n.IsScalar())
    fail(key, "expected an integer", n);
  auto s = n.as<std::string>();
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || x < lo ||
      x > hi)
    fail(key,
         "expected an integer in [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "], got '" + s + "'",
         n);
  return x;
}

bool boolean(const YAML::Node& n, const std::string& key) {
  auto s = str(n, key);
  if (s == "true" || s == "yes" || s == "on")
    return true;
  if (s == "false" || s == "no" || s == "off")
    return false;
  fail(key, "expected true or false, got '" + s + "'", n);
}

template <class T>
void opt_num(const YAML::Node& m, const char* name, const std::string& key,
             uint64_t lo, uint64_t hi, T& out) {
  if (auto n = m[name])
    out = static_cast<T>(num(n, key + "." + name, lo, hi));
}

endpoint_config parse_endpoint(const YAML::Node& n, const std::string& key) {
  endpoint_config e;
  std::string addr;
  if (n.IsScalar()) {
    addr = n.as<std::string>();
  } else {
    check_keys(n, key, {"address", "weight"});
    if (!n["address"])
      fail(key + ".address", "missing", n);
    addr = str(n["address"], key + ".address");
    opt_num(n, "weight", key, 1, 1000, e.weight);
  }
  auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0)
    fail(key, "expected HOST:PORT, got '" + addr + "'", n);
  e.host = addr.substr(0, colon);
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']')
    e.host = e.host.substr(1, e.host.size() - 2);
  YAML::Node port(addr.substr(colon + 1));
  e.port = static_cast<uint16_t>(num(port, key + " (port)", 1, 65535));
  return e;
}

cluster_config parse_cluster(const YAML::Node& n, const std::string& key) {
  check_keys(n, key,
             {"name", "lb", "hash_on", "endpoints", "connect_timeout_ms",
              "max_idle_per_endpoint", "idle_timeout_ms", "max_response_bytes",
              "health_check", "outlier", "breaker", "retry_budget", "smart",
              "tls", "maglev_table_size"});
  cluster_config c;
  if (!n["name"])
    fail(key + ".name", "missing", n);
  c.name = str(n["name"], key + ".name");
  if (c.name.empty() || c.name.size() > 64)
    fail(key + ".name", "must be 1 to 64 characters", n["name"]);
  if (auto lb = n["lb"]) {
    auto s = str(lb, key + ".lb");
    bool found = false;
    for (auto p : {lb_policy::round_robin, lb_policy::weighted,
                   lb_policy::least_request, lb_policy::random,
                   lb_policy::ring_hash, lb_policy::smart, lb_policy::maglev})
      if (s == to_string(p)) {
        c.lb = p;
        found = true;
      }
    if (!found)
      fail(key + ".lb",
           "expected one of round_robin|weighted|least_request|random|"
           "ring_hash|smart|maglev, got '" +
             s + "'",
           lb);
  }
  if (auto h = n["hash_on"]) {
    c.hash_on = str(h, key + ".hash_on");
    bool ok = c.hash_on == "source_ip" ||
              (c.hash_on.rfind("header:", 0) == 0 && c.hash_on.size() > 7) ||
              (c.hash_on.rfind("cookie:", 0) == 0 && c.hash_on.size() > 7);
    if (!ok)
      fail(key + ".hash_on",
           "expected header:NAME, cookie:NAME or source_ip, got '" + c.hash_on +
             "'",
           h);
  }
  auto eps = n["endpoints"];
  if (!eps || !eps.IsSequence() || eps.size() == 0)
    fail(key + ".endpoints", "must be a non-empty list of HOST:PORT", n);
  if (eps.size() > max_endpoints)
    fail(key + ".endpoints", "more than 1024 endpoints", eps);
  for (size_t i = 0; i < eps.size(); ++i)
    c.endpoints.push_back(
      parse_endpoint(eps[i], key + ".endpoints[" + std::to_string(i) + "]"));
  opt_num(n, "connect_timeout_ms", key, 1, 600000, c.connect_timeout_ms);
  opt_num(n, "max_idle_per_endpoint", key, 0, 100000, c.max_idle_per_endpoint);
  opt_num(n, "idle_timeout_ms", key, 1, 3600000, c.idle_timeout_ms);
  opt_num(n, "max_response_bytes", key, 0, uint64_t(1) << 32,
          c.max_response_bytes);
  if (auto m = n["maglev_table_size"]) {
    c.maglev_table_size = num(m, key + ".maglev_table_size", 7, 1000003);
    if (!maglev_table::is_prime(c.maglev_table_size))
      fail(key + ".maglev_table_size", "must be a prime number", m);
  }
  if (auto t = n["tls"]) {
    auto k = key + ".tls";
    check_keys(
      t, k, {"enabled", "verify", "ca_file", "sni", "cert_file", "key_file"});
    auto& tls = c.tls;
    tls.enabled = !t["enabled"] || boolean(t["enabled"], k + ".enabled");
    if (t["verify"])
      tls.verify = boolean(t["verify"], k + ".verify");
    for (auto [name, out] :
         {std::pair<const char*, std::string*>{"ca_file", &tls.ca_file},
          {"cert_file", &tls.cert_file},
          {"key_file", &tls.key_file}}) {
      if (!t[name])
        continue;
      *out = str(t[name], k + "." + name);
      if (FILE* f = std::fopen(out->c_str(), "rb"))
        std::fclose(f);
      else
        fail(k + "." + name, "cannot read '" + *out + "'", t[name]);
    }
    if (tls.cert_file.empty() != tls.key_file.empty())
      fail(k, "cert_file and key_file go together", t);
    if (t["sni"]) {
      tls.sni = str(t["sni"], k + ".sni");
      if (tls.sni.size() > 253)
        fail(k + ".sni", "longer than 253 characters", t["sni"]);
    }
  }
  if (auto h = n["health_check"]) {
    auto k = key + ".health_check";
    check_keys(h, k,
               {"path", "interval_ms", "timeout_ms", "healthy_threshold",
                "unhealthy_threshold"});
    if (h["path"]) {
      c.health.path = str(h["path"], k + ".path");
      if (c.health.path.empty() || c.health.path[0] != '/')
        fail(k + ".path", "must start with '/'", h["path"]);
    }
    opt_num(h, "interval_ms", k, 10, 3600000, c.health.interval_ms);
    opt_num(h, "timeout_ms", k, 1, 600000, c.health.timeout_ms);
    opt_num(h, "healthy_threshold", k, 1, 100, c.health.healthy_threshold);
    opt_num(h, "unhealthy_threshold", k, 1, 100, c.health.unhealthy_threshold);
  }
  if (auto o = n["outlier"]) {
    auto k = key + ".outlier";
    check_keys(o, k,
               {"consecutive_5xx", "base_ejection_ms", "max_ejection_ms",
                "max_ejection_percent"});
    opt_num(o, "consecutive_5xx", k, 0, 10000, c.outlier.consecutive_5xx);
    opt_num(o, "base_ejection_ms", k, 1, 3600000, c.outlier.base_ejection_ms);
    opt_num(o, "max_ejection_ms", k, 1, 86400000, c.outlier.max_ejection_ms);
    opt_num(o, "max_ejection_percent", k, 0, 100,
            c.outlier.max_ejection_percent);
  }
  if (auto b = n["breaker"]) {
    auto k = key + ".breaker";
    check_keys(
      b, k, {"max_connections", "max_pending", "max_requests", "max_retries"});
    opt_num(b, "max_connections", k, 1, 1000000, c.breaker.max_connections);
    opt_num(b, "max_pending", k, 0, 1000000, c.breaker.max_pending);
    opt_num(b, "max_requests", k, 1, 1000000, c.breaker.max_requests);
    opt_num(b, "max_retries", k, 0, 1000000, c.breaker.max_retries);
  }
  if (auto r = n["retry_budget"]) {
    auto k = key + ".retry_budget";
    check_keys(r, k, {"percent", "min_concurrent"});
    opt_num(r, "percent", k, 0, 100, c.retry_budget.percent);
    opt_num(r, "min_concurrent", k, 0, 100000, c.retry_budget.min_concurrent);
  }
  if (auto s = n["smart"]) {
    auto k = key + ".smart";
    check_keys(s, k, {"window", "p99_threshold_ms", "min_samples"});
    opt_num(s, "window", k, 8, 4096, c.smart.window);
    opt_num(s, "p99_threshold_ms", k, 0, 600000, c.smart.p99_threshold_ms);
    opt_num(s, "min_samples", k, 1, 4096, c.smart.min_samples);
  }
  if (c.lb == lb_policy::maglev && c.maglev_table_size <= c.endpoints.size())
    fail(key + ".maglev_table_size",
         "must be larger than the number of "
         "endpoints",
         n);
  return c;
}

header_edit parse_edit(const YAML::Node& n, const std::string& key) {
  check_keys(n, key, {"add", "remove"});
  header_edit e;
  if (auto a = n["add"]) {
    if (!a.IsMap())
      fail(key + ".add", "must be a mapping of header: value", a);
    for (auto kv : a)
      e.add.emplace_back(
        kv.first.as<std::string>(),
        str(kv.second, key + ".add." + kv.first.as<std::string>()));
  }
  if (auto r = n["remove"]) {
    if (!r.IsSequence())
      fail(key + ".remove", "must be a list of header names", r);
    for (auto x : r)
      e.remove.push_back(str(x, key + ".remove"));
  }
  for (auto& [k, v] : e.add)
    if (k.empty() || k.find_first_of(" :\r\n") != std::string::npos ||
        v.find_first_of("\r\n") != std::string::npos)
      fail(key + ".add." + k, "not a valid header", n);
  return e;
}

route_match parse_match(const YAML::Node& n, const std::string& key) {
  check_keys(
    n, key,
    {"host", "prefix", "exact", "regex", "methods", "headers", "query"});
  route_match m;
  if (n["host"]) {
    m.host = str(n["host"], key + ".host");
    auto star = m.host.find('*');
    if (star != std::string::npos &&
        (star != 0 || m.host.size() < 3 || m.host[1] != '.' ||
         m.host.find('*', 1) != std::string::npos))
      fail(key + ".host", "a wildcard is only allowed as '*.domain'",
           n["host"]);
  }
  int kinds = 0;
  if (n["prefix"]) {
    m.prefix = str(n["prefix"], key + ".prefix");
    ++kinds;
  }
  if (n["exact"]) {
    m.exact = str(n["exact"], key + ".exact");
    ++kinds;
  }
  if (n["regex"]) {
    m.regex = str(n["regex"], key + ".regex");
    if (m.regex.empty() || m.regex.size() > max_regex_bytes)
      fail(key + ".regex", "must be 1 to 1024 characters", n["regex"]);
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(1 << 20);
    RE2 re(m.regex, o);
    if (!re.ok())
      fail(key + ".regex", "invalid regular expression: " + re.error(),
           n["regex"]);
    ++kinds;
  }
  if (kinds > 1)
    fail(key, "at most one of prefix, exact and regex", n);
  for (auto* p : {&m.prefix, &m.exact})
    if (!p->empty() && (*p)[0] != '/')
      fail(key + (p == &m.prefix ? ".prefix" : ".exact"), "must start with '/'",
           n);
  if (auto ms = n["methods"]) {
    if (!ms.IsSequence())
      fail(key + ".methods", "must be a list", ms);
    for (auto x : ms)
      m.methods.push_back(str(x, key + ".methods"));
  }
  if (auto hs = n["headers"]) {
    if (!hs.IsMap())
      fail(key + ".headers", "must be a mapping of header: value", hs);
    for (auto kv : hs)
      m.headers.push_back(
        {kv.first.as<std::string>(),
         str(kv.second, key + ".headers." + kv.first.as<std::string>())});
  }
  if (auto qs = n["query"]) {
    if (!qs.IsMap())
      fail(key + ".query", "must be a mapping of name: value", qs);
    for (auto kv : qs)
      m.query.emplace_back(
        kv.first.as<std::string>(),
        str(kv.second, key + ".query." + kv.first.as<std::string>()));
  }
  return m;
}

forward_action parse_forward(const YAML::Node& n, const std::string& key,
                             const std::set<std::string>& clusters) {
  forward_action f;
  if (n.IsScalar()) {
    f.cluster = n.as<std::string>();
  } else {
    check_keys(n, key,
               {"cluster", "rewrite_prefix", "host_rewrite", "timeout_ms",
                "per_try_timeout_ms", "retries", "retry_base_ms",
                "retry_max_ms", "retry_on_5xx", "coalesce", "public",
                "max_waiters", "coalesce_wait_ms", "max_request_bytes",
                "stream_buffer_bytes", "stream_idle_timeout_ms"});
    if (!n["cluster"])
      fail(key + ".cluster", "missing", n);
    f.cluster = str(n["cluster"], key + ".cluster");
    if (n["rewrite_prefix"])
      f.rewrite_prefix = str(n["rewrite_prefix"], key + ".rewrite_prefix");
    if (n["host_rewrite"])
      f.host_rewrite = str(n["host_rewrite"], key + ".host_rewrite");
    opt_num(n, "timeout_ms", key, 1, 3600000, f.timeout_ms);
    opt_num(n, "per_try_timeout_ms", key, 1, 3600000, f.per_try_timeout_ms);
    opt_num(n, "retries", key, 0, 10, f.retries);
    opt_num(n, "retry_base_ms", key, 0, 60000, f.retry_base_ms);
    opt_num(n, "retry_max_ms", key, 0, 600000, f.retry_max_ms);
    if (n["retry_on_5xx"])
      f.retry_on_5xx = boolean(n["retry_on_5xx"], key + ".retry_on_5xx");
    if (n["coalesce"])
      f.coalesce = boolean(n["coalesce"], key + ".coalesce");
    if (n["public"])
      f.public_route = boolean(n["public"], key + ".public");
    opt_num(n, "max_waiters", key, 1, 100000, f.max_waiters);
    opt_num(n, "coalesce_wait_ms", key, 0, 3600000, f.coalesce_wait_ms);
    opt_num(n, "max_request_bytes", key, 0, uint64_t(1) << 32,
            f.max_request_bytes);
    opt_num(n, "stream_buffer_bytes", key, 1024, 64u << 20,
            f.stream_buffer_bytes);
    opt_num(n, "stream_idle_timeout_ms", key, 1, 86400000,
            f.stream_idle_timeout_ms);
  }
  if (!clusters.count(f.cluster))
    fail(key + ".cluster", "unknown cluster '" + f.cluster + "'", n);
  if (f.per_try_timeout_ms > f.timeout_ms)
    f.per_try_timeout_ms = f.timeout_ms;
  return f;
}

route_config parse_route(const YAML::Node& n, const std::string& key,
                         const std::set<std::string>& clusters) {
  check_keys(n, key,
             {"name", "match", "forward", "redirect", "direct", "themisd",
              "request_headers", "response_headers"});
  route_config r;
  r.name = n["name"] ? str(n["name"], key + ".name") : key;
  if (n["match"])
    r.match = parse_match(n["match"], key + ".match");
  int actions = 0;
  if (auto f = n["forward"]) {
    r.action = action_kind::forward;
    r.forward = parse_forward(f, key + ".forward", clusters);
    ++actions;
  }
  if (auto rd = n["redirect"]) {
    r.action = action_kind::redirect;
    auto k = key + ".redirect";
    check_keys(rd, k, {"location", "status"});
    if (!rd["location"])
      fail(k + ".location", "missing", rd);
    r.redirect_location = str(rd["location"], k + ".location");
    if (rd["status"]) {
      r.redirect_status =
        static_cast<int>(num(rd["status"], k + ".status", 301, 308));
      if (r.redirect_status > 303 && r.redirect_status < 307)
        fail(k + ".status", "expected 301, 302, 303, 307 or 308", rd["status"]);
    }
    ++actions;
  }
  if (auto d = n["direct"]) {
    r.action = action_kind::direct;
    auto k = key + ".direct";
    check_keys(d, k, {"status", "body", "content_type"});
    if (d["status"])
      r.direct_status =
        static_cast<int>(num(d["status"], k + ".status", 200, 599));
    if (d["body"])
      r.direct_body = str(d["body"], k + ".body");
    if (d["content_type"])
      r.direct_content_type = str(d["content_type"], k + ".content_type");
    ++actions;
  }
  if (auto t = n["themisd"]) {
    if (!boolean(t, key + ".themisd"))
      fail(key + ".themisd", "only 'true' is meaningful", t);
    r.action = action_kind::themisd;
    ++actions;
  }
  if (actions != 1)
    fail(key, "needs exactly one of forward, redirect, direct, themisd", n);
  if (n["request_headers"])
    r.request_headers =
      parse_edit(n["request_headers"], key + ".request_headers");
  if (n["response_headers"])
    r.response_headers =
      parse_edit(n["response_headers"], key + ".response_headers");
  return r;
}

} // namespace

std::optional<gateway_config> parse_gateway_yaml(const std::string& text,
                                                 std::string& error) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    error =
      "line " + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg;
    return std::nullopt;
  }
  gateway_config out;
  try {
    if (root.IsNull())
      return out;
    check_keys(root, "", {"clusters", "routes"});
    std::set<std::string> names;
    if (auto cs = root["clusters"]) {
      if (!cs.IsSequence())
        fail("clusters", "must be a list", cs);
      if (cs.size() > max_clusters)
        fail("clusters", "more than 1024 clusters", cs);
      for (size_t i = 0; i < cs.size(); ++i) {
        auto key = "clusters[" + std::to_string(i) + "]";
        out.clusters.push_back(parse_cluster(cs[i], key));
        if (!names.insert(out.clusters.back().name).second)
          fail(key + ".name",
               "duplicate cluster '" + out.clusters.back().name + "'", cs[i]);
      }
    }
    if (auto rs = root["routes"]) {
      if (!rs.IsSequence())
        fail("routes", "must be a list", rs);
      if (rs.size() > max_routes)
        fail("routes", "more than 4096 routes", rs);
      for (size_t i = 0; i < rs.size(); ++i)
        out.routes.push_back(
          parse_route(rs[i], "routes[" + std::to_string(i) + "]", names));
    }
  } catch (const bad_key& b) {
    error = (b.line > 0 ? "line " + std::to_string(b.line) + ": " : "") +
            (b.key.empty() ? "" : b.key + ": ") + b.what;
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    error = "line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    return std::nullopt;
  }
  return out;
}

std::optional<gateway_config> load_gateway_file(const std::string& path,
                                                std::string& error) {
  std::ifstream f(path);
  if (!f) {
    error = path + ": cannot read";
    return std::nullopt;
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto c = parse_gateway_yaml(ss.str(), error);
  if (!c)
    error = path + ": " + error;
  return c;
}

} // namespace themis::gateway
