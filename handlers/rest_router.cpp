#include "handlers/rest_router.hpp"
#include "limits/tenant_quotas.hpp"

#include <cctype>
#include <chrono>
#include <optional>
#include <random>

#include "handlers/access_log.hpp"
#include "handlers/cache_middleware.hpp"
#include "handlers/http_json.hpp"
#include "handlers/rate_groups.hpp"
#include "handlers/request_validation.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_table.hpp"
#include "handlers/version_handlers.hpp"
#include "handlers/ws_bearer.hpp"
#include "handlers/traced_ports.hpp"
#include "limits/limit_wire.hpp"
#include "limits/rate_limiter.hpp"
#include "tracing/tracer.hpp"

namespace themis {

const std::vector<std::string>& priority_prefixes() {
  static const std::vector<std::string> p = {"/health", "/metrics",
                                             "/v1/_admin", "/api/v1/admin"};
  return p;
}

namespace {

/// "GET /v1/collections/{c}": the method (the span's first name) and the
/// route template, low-cardinality as OpenTelemetry's HTTP conventions ask.
std::string span_name(const tracing::span& s, const std::string& route) {
  return s.name() + " " + route;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v)
    out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool valid_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e)
      return false;
  return true;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(32, '0');
  auto a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) {
    out[i] = hex[(a >> (i * 4)) & 0xf];
    out[16 + i] = hex[(b >> (i * 4)) & 0xf];
  }
  return out;
}

bool priority_path(const std::string& path) {
  for (auto& p : priority_prefixes())
    if (path.rfind(p, 0) == 0)
      return true;
  return false;
}

/// The key for `key=token` rules: a bearer token or X-API-Key.
std::string_view api_token(const api_request& req) {
  if (auto a = req.header("Authorization");
      a && a->size() > 7 && iequals(a->substr(0, 7), "Bearer "))
    return std::string_view(*a).substr(7);
  if (auto k = req.header("X-API-Key"))
    return *k;
  return {};
}

/// "10.0.0.1:5000" → "10.0.0.1" (and "::1:5000" → "::1"): limits are per
/// client address, not per connection.
std::string_view peer_ip(std::string_view addr) {
  auto colon = addr.rfind(':');
  return colon == std::string_view::npos ? addr : addr.substr(0, colon);
}

int64_t ceil_seconds(int64_t ns) {
  return ns <= 0 ? 0 : (ns + 999'999'999) / 1'000'000'000;
}

/// ThemisDB's X-RateLimit-* and the IETF RateLimit-Policy / RateLimit
/// fields (draft-ietf-httpapi-ratelimit-headers).
header_list rate_limit_headers(const limits::check_result& r) {
  auto& d = r.d;
  auto reset = std::to_string(ceil_seconds(d.reset_ns));
  auto window = std::to_string(
    std::max<int64_t>(1, ceil_seconds(r.matched->spec.window_ns)));
  auto policy = "\"" + r.matched->policy + "\"";
  return {{"X-RateLimit-Limit", std::to_string(d.limit)},
          {"X-RateLimit-Remaining", std::to_string(d.remaining)},
          {"X-RateLimit-Reset", reset},
          {"RateLimit-Policy",
           policy + ";q=" + std::to_string(d.limit) + ";w=" + window},
          {"RateLimit",
           policy + ";r=" + std::to_string(d.remaining) + ";t=" + reset}};
}

api_response too_many_requests(const limits::check_result& r) {
  auto retry = ceil_seconds(r.d.retry_after_ns);
  return too_many_response(
    "rate limit exceeded: " + std::to_string(r.d.limit) + " requests per " +
      std::to_string(r.matched->spec.window_ns / 1000000) + " ms for " +
      r.matched->policy + "; retry after " +
      std::to_string(std::max<int64_t>(1, retry)) + " s",
    retry);
}

/// The tenant's quota answer: 429 naming the tenant and the quota.
api_response quota_refusal(const std::string& tenant, const char* quota,
                           uint64_t limit, int64_t retry_s,
                           const std::string& message) {
  api_response r;
  r.status = 429;
  r.body = dump({{"error", true},
                 {"message", message},
                 {"status_code", 429},
                 {"tenant_id", tenant},
                 {"quota", quota},
                 {"limit", limit},
                 {"retry_after_seconds", std::max<int64_t>(1, retry_s)}});
  r.set_header("Content-Type", "application/json");
  r.set_header("Retry-After", std::to_string(std::max<int64_t>(1, retry_s)));
  return r;
}

} // namespace

rest_router::rest_router(handler_env env) : env_(env) {
  set_cors(env_.config.cors);
  add_deprecation_collector(env_.metrics); // issue 22
  add_rate_group_collector(env_.metrics);  // issue 22
}

void rest_router::set_cors(const cors_section& c) {
  auto p = std::make_shared<cors_policy>();
  p->cfg = c;
  p->allow_methods = join(c.allowed_methods);
  p->allow_headers = join(c.allowed_headers);
  p->expose_headers = join(c.exposed_headers);
  std::lock_guard<std::mutex> g(cors_mtx_);
  cors_ = std::move(p);
}

bool rest_router::cors_policy::allowed(const std::string& origin) const {
  for (auto& o : cfg.allowed_origins)
    if (o == "*" || o == origin)
      return true;
  return false;
}

void rest_router::add_cors(const std::string& origin_value,
                           api_response& resp) const {
  auto origin = &origin_value;
  auto policy = cors();
  if (origin->empty() || !policy->allowed(*origin))
    return;
  auto& c = policy->cfg;
  bool any = !c.allow_credentials &&
             std::find(c.allowed_origins.begin(), c.allowed_origins.end(),
                       "*") != c.allowed_origins.end();
  resp.set_header("Access-Control-Allow-Origin", any ? "*" : *origin);
  if (!any) // beside a cached answer's own Vary fields
    append_vary(resp, "Origin");
  if (c.allow_credentials)
    resp.set_header("Access-Control-Allow-Credentials", "true");
  if (!policy->expose_headers.empty())
    resp.set_header("Access-Control-Expose-Headers", policy->expose_headers);
}

api_response rest_router::preflight(const api_request& req) const {
  auto origin = req.header("Origin");
  auto policy = cors();
  if (!policy->allowed(*origin))
    return error_response(403, "CORS origin not allowed: " + *origin);
  api_response r;
  r.status = 204;
  r.set_header("Access-Control-Allow-Methods", policy->allow_methods);
  r.set_header("Access-Control-Allow-Headers", policy->allow_headers);
  r.set_header("Access-Control-Max-Age",
               std::to_string(policy->cfg.max_age_seconds));
  return r;
}

std::optional<api_response>
rest_router::tenant_quota_refusal(const api_request& req,
                                  std::chrono::steady_clock::time_point now) {
  auto& t = req.who.tenant;
  auto q = env_.quotas->of(t);
  int64_t retry_ns = 0;
  auto now_ns =
    std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch())
      .count();
  if (!env_.quotas->take_request(t, now_ns, retry_ns))
    return quota_refusal(t, "requests_per_s", q.requests_per_s,
                         ceil_seconds(retry_ns),
                         "tenant " + t + " is over its quota of " +
                           std::to_string(q.requests_per_s) + " requests/s");
  bool writes =
    req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  bool data = req.path.rfind("/v1/collections", 0) == 0 ||
              req.path.rfind("/entities", 0) == 0 ||
              req.path.rfind("/v2/documents", 0) == 0 ||
              req.path.rfind("/query", 0) == 0 ||
              // issue 22: the versioned twins of the same routes
              req.path.rfind("/api/v1/collections", 0) == 0 ||
              req.path.rfind("/api/v1/entities", 0) == 0 ||
              req.path.rfind("/api/v1/query", 0) == 0;
  if (q.documents && writes && data) {
    auto n = env_.reader.tenant_documents(t);
    if (n >= static_cast<int64_t>(q.documents))
      return quota_refusal(t, "documents", q.documents, 60,
                           "tenant " + t + " stores " + std::to_string(n) +
                             " documents; its quota is " +
                             std::to_string(q.documents));
  }
  return std::nullopt;
}

/// Decisions the distributed limiter (issue 25) made for one request.
struct rest_router::decided_limits {
  std::optional<limits::check_result> rule, group;
};

void rest_router::handle(api_request req, request_ports ports,
                         responder respond) {
  // issue 29: a browser's WebSocket credential (a themis.bearer.*
  // subprotocol) becomes Authorization before limits and auth read it
  if (auto bad = ws::lift_bearer_protocol(req))
    return respond(error_response(400, *bad));
  // issue 25: with the Redis backend the buckets live in Redis; the
  // question goes to the limiter actor and the request continues here, on
  // this connection's context, when it answers (or its timeout decides).
  if (env_.config.rate_limiting.backend == "redis" &&
      !priority_path(req.path)) {
    auto peer = peer_ip(req.remote_addr);
    auto token = api_token(req);
    auto b = env_.limiter.bucket_for(req.path, peer, token);
    auto group = rate_group_of(env_.limiter, req.method, req.path);
    std::optional<limits::rate_limiter::bucket_ref> g;
    if (group)
      g = env_.limiter.bucket_for_group(*group, req.path, peer, token);
    if (b || g) {
      std::vector<limits::limit_item> items;
      auto algo = (b ? b : g)->cfg->algo;
      if (b)
        items.push_back({algo, b->matched->spec, b->key});
      if (g)
        items.push_back({algo, g->matched->spec, g->key});
      api_request q;
      q.method = "POST";
      q.path = "/_limit";
      q.body = limits::encode_query(items);
      auto n = items.size();
      ports.services.ask(
        service_id::rate_limit, std::move(q),
        [this, b, g, group, n, req = std::move(req), ports,
         respond = std::move(respond)](api_response r) mutable {
          auto answers =
            r.status == 200 ? limits::decode_answers(r.body, n) : std::nullopt;
          if (!answers) { // the limiter actor is gone: local buckets decide
            admit(std::move(req), ports, std::move(respond), nullptr);
            return;
          }
          decided_limits pre;
          size_t i = 0;
          if (b)
            pre.rule = env_.limiter.result_of(*b, (*answers)[i++].d);
          if (g) {
            pre.group = env_.limiter.result_of(*g, (*answers)[i++].d);
            count_rate_group(*group, pre.group->refused);
          }
          admit(std::move(req), ports, std::move(respond), &pre);
        });
      return;
    }
  }
  admit(std::move(req), ports, std::move(respond), nullptr);
}

void rest_router::admit(api_request req, request_ports ports, responder respond,
                        const decided_limits* pre) {
  auto started = std::chrono::steady_clock::now();
  auto rid = req.header("X-Request-ID");
  req.request_id = rid && valid_request_id(*rid) ? *rid : new_request_id();
  // A server span per request, joined to the caller's trace when it sent
  // a W3C traceparent; named by the route once it is known.
  auto& tracer = tracing::tracer::global();
  std::shared_ptr<tracing::span> span, handler_span;
  if (tracer.enabled()) {
    std::optional<tracing::trace_context> parent;
    if (auto tp = req.header("traceparent"))
      parent = tracing::parse_traceparent(*tp);
    span = std::make_shared<tracing::span>(
      tracer.start_span(req.method, tracing::span_kind::server,
                        parent ? &*parent : nullptr, true));
    req.traceparent = span->traceparent();
    span->set("http.request.method", req.method);
    span->set("url.path", req.path);
    span->set("client.address", std::string(peer_ip(req.remote_addr)));
    span->set("themis.request_id", req.request_id);
    handler_span = std::make_shared<tracing::span>();
  }

  std::string label = "unmatched";
  // Admission: health, metrics and admin traffic are never limited or
  // shed; everything else passes the rate limiter and the in-flight cap.
  bool priority = priority_path(req.path);
  header_list limit_headers;
  std::optional<api_response> refusal;
  if (!priority) {
    auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    started.time_since_epoch())
                    .count();
    auto res = pre ? pre->rule
                   : env_.limiter.check(req.path, peer_ip(req.remote_addr),
                                        api_token(req), now_ns);
    if (res) {
      limit_headers = rate_limit_headers(*res);
      if (res->refused) {
        ++env_.metrics.rate_limited;
        refusal = too_many_requests(*res);
      }
    }
    // issue 22: the route's registry rate group, on top of the prefix rule
    if (!refusal)
      if (auto g = pre ? pre->group
                       : rate_group_check(env_.limiter, req.method, req.path,
                                          peer_ip(req.remote_addr),
                                          api_token(req), now_ns)) {
        if (g->refused) {
          ++env_.metrics.rate_limited;
          limit_headers = rate_limit_headers(*g);
          refusal = too_many_requests(*g);
        }
      }
    if (!refusal &&
        env_.metrics.inflight_requests.load() >=
          static_cast<int64_t>(env_.config.overload.max_inflight_requests)) {
      ++env_.metrics.shed_requests;
      refusal = error_response(503, "the server is busy; retry later");
      refusal->set_header("Retry-After",
                          std::to_string(env_.config.overload.retry_after_s));
    }
  }
  // Counted until answered — or until the request is dropped unanswered
  // (its connection went away): the guard's destructor releases it then.
  struct inflight_guard {
    std::atomic<int64_t>& n;
    std::atomic<bool> released{false};
    explicit inflight_guard(std::atomic<int64_t>& c) : n(c) { ++n; }
    void release() {
      if (!released.exchange(true))
        --n;
    }
    ~inflight_guard() { release(); }
  };
  auto inflight =
    std::make_shared<inflight_guard>(env_.metrics.inflight_requests);
  // The final responder adds the common headers and records metrics; it
  // owns a copy of what it needs because it may run after `req` is gone.
  // the principal's tenant as the auth gate leaves it (set below)
  auto tenant = std::make_shared<std::string>();
  // headers the auth gate adds to any answer (SPNEGO mutual auth, issue 24)
  auto auth_reply = std::make_shared<header_list>();
  // what the access log needs after `req` is gone; nothing when it is off
  struct access_info {
    std::string method, path, remote, principal = "-";
  };
  std::shared_ptr<access_info> acc;
  if (access_log::enabled())
    acc = std::make_shared<access_info>(
      access_info{req.method, req.path, req.remote_addr});
  auto finish = [this, respond = std::move(respond), started, inflight, tenant,
                 auth_reply, acc, rid = req.request_id, limit_headers,
                 origin =
                   req.header("Origin") ? *req.header("Origin") : std::string(),
                 span,
                 handler_span](api_response resp, const std::string& route) {
    inflight->release();
    if (span) {
      handler_span->end();
      span->rename(span_name(*span, route));
      span->set("http.route", route);
      span->set("http.response.status_code", int64_t{resp.status});
      if (!tenant->empty())
        span->set("themis.tenant", *tenant);
      if (resp.status >= 500)
        span->set_error("HTTP " + std::to_string(resp.status));
      span->end();
    }
    if (resp.status >= 400 && !tenant->empty())
      strip_tenant_prefix(resp.body, *tenant);
    resp.set_header("X-Request-ID", rid);
    for (auto& h : *auth_reply)
      resp.headers.push_back(h);
    for (auto& [k, v] : limit_headers)
      resp.set_header(k, v);
    add_cors(origin, resp);
    auto secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
        .count();
    env_.metrics.record_request(route, resp.status, secs);
    if (acc) // bytes: the body as the handler made it (before compression)
      access_log::write("http", "request",
                        {{"method", acc->method},
                         {"path", acc->path},
                         {"status", resp.status},
                         {"bytes", resp.body.size()},
                         {"duration_ms", secs * 1e3},
                         {"principal", acc->principal},
                         {"tenant", *tenant},
                         {"request_id", rid},
                         {"remote", acc->remote},
                         {"route", route}});
    respond(std::move(resp));
  };

  if (refusal) {
    finish(std::move(*refusal),
           refusal->status == 429 ? "rate_limited" : "shed");
    return;
  }
  if (req.method == "OPTIONS" && req.header("Origin") &&
      req.header("Access-Control-Request-Method")) {
    finish(preflight(req), "preflight");
    return;
  }
  if (auth_) {
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    tracing::span auth_span;
    if (span) {
      auto parent = span->context();
      auth_span =
        tracer.start_span("auth", tracing::span_kind::internal, &parent);
    }
    auto denied = auth_->check(req, now_s, auth_reply.get());
    auth_span.end();
    if (denied) {
      if (denied->status == 401)
        ++env_.metrics.http_auth_failures;
      finish(std::move(*denied), "unauthorized");
      return;
    }
  }
  *tenant = req.who.tenant;
  if (acc)
    acc->principal = req.who.user.empty() ? req.who.via : req.who.user;
  if (env_.quotas && !req.who.tenant.empty() && !priority) {
    if (auto over = tenant_quota_refusal(req, started)) {
      finish(std::move(*over), "tenant_quota");
      return;
    }
  }
  auto segs = split_template(req.path);
  method_map m;
  std::vector<std::string> params;
  if (!match_route(segs, env_.config.debug.crash_routes,
                   env_.config.debug.fault_injection, m, params, label)) {
    finish(error_response(404, "no route for " + req.method + " " + req.path),
           "unmatched");
    return;
  }
  handler_fn fn = nullptr;
  auto& meth = req.method;
  if (meth == "GET" || meth == "HEAD")
    fn = m.get;
  else if (meth == "POST")
    fn = m.post;
  else if (meth == "PUT")
    fn = m.put;
  else if (meth == "PATCH")
    fn = m.patch;
  else if (meth == "DELETE")
    fn = m.del;
  if (!fn)
    fn = m.any;
  if (!fn) {
    std::string allow;
    auto add = [&](handler_fn f, const char* name) {
      if (f)
        allow += (allow.empty() ? "" : ", ") + std::string(name);
    };
    add(m.get, "GET");
    add(m.get, "HEAD");
    add(m.post, "POST");
    add(m.put, "PUT");
    add(m.patch, "PATCH");
    add(m.del, "DELETE");
    auto r =
      error_response(405, "method " + meth + " not allowed on " + req.path);
    r.set_header("Allow", allow);
    finish(std::move(r), label);
    return;
  }
  // issue 22: the registry's operation — request validation against its
  // schemas, deprecation headers and metric, and a versioned twin's
  // handler sees the path it was written for (/api/v1/x → /v1/x or /x)
  header_list deprecation;
  std::shared_ptr<const cache_request> cached; // issue 22: docs/caching.md
  {
    std::vector<std::string> caps;
    auto entry = route_registry::global().match(
      segs, env_.config.debug.crash_routes, env_.config.debug.fault_injection,
      caps);
    auto op = entry ? entry->op(meth) : nullptr;
    if (op && op->deprecation.active()) {
      deprecation = deprecation_headers(*entry, *op, params);
      count_deprecated_call(
        req.who.user.empty() ? req.who.via : req.who.display(), label);
    }
    if (op)
      if (auto bad = validate_request(*op, req)) {
        for (auto& h : deprecation)
          bad->headers.push_back(h);
        finish(std::move(*bad), label);
        return;
      }
    if (op && op->cache.active && (meth == "GET" || meth == "HEAD"))
      cached = begin_cache(op->cache, op->scope ? &*op->scope : nullptr, req,
                           params, env_.config.cache);
    if (entry && !entry->serve_as_prefix.empty()) {
      auto skip = split_template(entry->own_prefix).size();
      std::string p = entry->serve_as_prefix;
      for (size_t k = skip; k < segs.size(); ++k)
        p += (k > skip ? "/" : "") + segs[k];
      req.path = std::move(p);
    }
  }
  write_port* writer = &ports.writer;
  work_port* work = &ports.work;
  std::shared_ptr<traced_ports> traced; // lives until the answer
  if (span) {
    auto parent = span->context();
    *handler_span = tracer.start_span("handler " + label,
                                      tracing::span_kind::internal, &parent);
    if (!req.who.user.empty())
      span->set("enduser.id", req.who.user);
    if (handler_span->recording()) {
      traced = std::make_shared<traced_ports>(ports.writer, ports.work,
                                              handler_span->context());
      writer = traced.get();
      work = traced.get();
    }
  }
  route_context ctx{env_,
                    req,
                    std::move(params),
                    *writer,
                    ports.notifier,
                    ports.streams,
                    *work,
                    ports.services,
                    [finish, label, traced, deprecation,
                     cached](api_response r) mutable {
                      for (auto& h : deprecation) // issue 22
                        r.headers.push_back(h);
                      if (cached)
                        apply_cache(*cached, r);
                      finish(std::move(r), label);
                    }};
  fn(ctx);
}

} // namespace themis
