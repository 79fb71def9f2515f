#include "handlers/cache_middleware.hpp"

#include <chrono>
#include <mutex>
#include <unordered_map>

#include "handlers/cache_policy.hpp"
#include "handlers/http_conditional.hpp"
#include "handlers/version_handlers.hpp"
#include "themis/server_config.hpp"

namespace themis {

namespace {

/// Representations built once per process date from its start.
const int64_t process_start_s =
  std::chrono::duration_cast<std::chrono::seconds>(
    std::chrono::system_clock::now().time_since_epoch())
    .count();

void append_encoded(std::string& out, std::string_view part) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : part) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
}

void add_directive(std::string& out, const char* name, int32_t v) {
  if (v < 0)
    return;
  out += ", ";
  out += name;
  out += '=';
  out += std::to_string(v);
}

/// Credentials proven by the gate (auth off: "anonymous", the same answer
/// for everyone).
bool proven(const principal& p) {
  return p.via != "none" && p.via != "anonymous";
}

/// The ETag of a representation built once per process (the policy says
/// so: modified_at_start), hashed once per route instead of per request
/// (/openapi.json is 320 KB). Keyed by the registry's policy object.
std::string static_etag(const cache_policy& p, std::string_view body) {
  static std::mutex mtx;
  static std::unordered_map<const cache_policy*, std::pair<size_t, std::string>>
    memo;
  std::lock_guard<std::mutex> g(mtx);
  auto& m = memo[&p];
  if (m.second.empty() || m.first != body.size())
    m = {body.size(), body_etag(body)};
  return m.second;
}

bool has_field(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    if (iequals(item, name))
      return true;
    list = comma == std::string_view::npos ? std::string_view{}
                                           : list.substr(comma + 1);
  }
  return false;
}

} // namespace

void cache_policy::render() {
  std::string tail;
  add_directive(tail, "max-age", max_age);
  private_value = "private" + tail;
  if (!is_public) {
    shared_value = private_value;
    return;
  }
  add_directive(tail, "s-maxage", s_maxage);
  add_directive(tail, "stale-while-revalidate", stale_while_revalidate);
  add_directive(tail, "stale-if-error", stale_if_error);
  shared_value = "public" + tail;
}

std::string collection_surrogate_key(std::string_view tenant,
                                     std::string_view collection) {
  std::string k = "coll:";
  append_encoded(k, tenant);
  k += '/';
  append_encoded(k, collection);
  return k;
}

std::string document_surrogate_key(std::string_view tenant,
                                   std::string_view collection,
                                   std::string_view key) {
  std::string k = "doc:";
  append_encoded(k, tenant);
  k += '/';
  append_encoded(k, collection);
  k += '/';
  append_encoded(k, key);
  return k;
}

void append_vary(api_response& resp, std::string_view fields) {
  auto cur = resp.header("Vary");
  std::string out = cur ? *cur : std::string();
  if (out == "*")
    return;
  while (!fields.empty()) {
    auto comma = fields.find(',');
    auto f = fields.substr(0, comma);
    while (!f.empty() && f.front() == ' ')
      f.remove_prefix(1);
    if (!f.empty() && !has_field(out, f))
      out += (out.empty() ? "" : ", ") + std::string(f);
    fields = comma == std::string_view::npos ? std::string_view{}
                                             : fields.substr(comma + 1);
  }
  if (!out.empty())
    resp.set_header("Vary", std::move(out));
}

std::shared_ptr<const cache_request>
begin_cache(const cache_policy& policy, const std::string* route_scope,
            const api_request& req, const std::vector<std::string>& params,
            const cache_section& cfg) {
  if (!cfg.enabled)
    return nullptr;
  auto c = std::make_shared<cache_request>();
  c->policy = &policy;
  if (auto v = req.header("If-None-Match")) {
    c->has_if_none_match = true;
    c->if_none_match = *v;
  }
  if (auto v = req.header("If-Modified-Since")) {
    c->has_if_modified_since = true;
    c->if_modified_since = *v;
  }
  c->shared =
    policy.is_public && (!proven(req.who) || cfg.authenticated_public ||
                         policy.shareable_when_authenticated);
  // a public route ("") answers the same to everyone; any other may
  // answer by principal (tenant namespaces, scopes)
  c->vary_on_auth = !route_scope || !route_scope->empty();
  auto& t = req.who.tenant;
  auto param = [&](uint8_t i) -> const std::string* {
    return i < params.size() ? &params[i] : nullptr;
  };
  using k = cache_policy::keys;
  if (policy.key_kind != k::none)
    if (auto coll = param(policy.collection_param)) {
      if (policy.key_kind == k::collection)
        c->surrogate_keys = collection_surrogate_key(t, *coll);
      else if (auto key = param(policy.key_param))
        c->surrogate_keys = document_surrogate_key(t, *coll, *key);
    }
  c->surrogate_keys += c->surrogate_keys.empty() ? "" : " ";
  c->surrogate_keys += all_surrogate_key;
  return c;
}

void apply_cache(const cache_request& c, api_response& resp) {
  // 304: a handler that checked its own validator (get_document); it
  // still carries the headers its 200 would (RFC 9110 §15.4.5)
  if ((resp.status != 200 && resp.status != 304) || resp.stream)
    return;
  auto& p = *c.policy;
  // a handler that forbids storing knows something the route does not
  if (auto cc = resp.header("Cache-Control");
      cc && cc->find("no-store") != std::string::npos)
    return;
  resp.set_header("Cache-Control", c.shared ? p.shared_value : p.private_value);
  std::string etag;
  if (auto e = resp.header("ETag")) {
    etag = *e;
  } else if (resp.status == 200) {
    etag =
      p.modified_at_start ? static_etag(p, resp.body) : body_etag(resp.body);
    resp.set_header("ETag", etag);
  }
  int64_t modified = p.modified_at_start ? process_start_s : -1;
  if (modified >= 0)
    resp.set_header("Last-Modified", http_date(modified));
  if (!p.vary.empty())
    append_vary(resp, p.vary);
  if (c.vary_on_auth)
    append_vary(resp, "Authorization, X-API-Key");
  if (c.shared) { // private answers are nobody's to purge
    resp.set_header("Surrogate-Key", c.surrogate_keys);
    std::string tags = c.surrogate_keys;
    for (auto& ch : tags)
      if (ch == ' ')
        ch = ',';
    resp.set_header("Cache-Tag", std::move(tags));
  }
  // RFC 9110 §13.2.2: If-None-Match, when present, decides alone;
  // If-Modified-Since only without it, and only where a date exists
  if (resp.status == 304)
    return;
  bool not_modified = false;
  if (c.has_if_none_match) {
    not_modified = if_none_match_matches(c.if_none_match, etag);
  } else if (c.has_if_modified_since && modified >= 0) {
    auto since = parse_http_date(c.if_modified_since);
    not_modified = since && modified <= *since;
  }
  if (!not_modified)
    return;
  resp.status = 304;
  resp.body.clear();
  auto& hs = resp.headers;
  for (auto i = hs.begin(); i != hs.end();)
    i = iequals(i->first, "Content-Type") ? hs.erase(i) : std::next(i);
}

} // namespace themis
