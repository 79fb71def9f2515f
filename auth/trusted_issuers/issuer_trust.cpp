#include "auth/trusted_issuers/issuer_trust.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "engine/json_bounded.hpp"
#include "themis/base64.hpp"
#include "themis/clock.hpp"

namespace themis::auth::trusted {

namespace {

using json = nlohmann::json;

int64_t wall_s() {
  return unix_now_ms() / 1000;
}

std::optional<json> parse(const std::string& text) {
  json j;
  if (engine::parse_untrusted_json(text, j) != engine::json_parse_status::ok)
    return std::nullopt;
  return j;
}

/// The unverified payload's `iss`: which issuer's keys to try.
std::string issuer_of(std::string_view token) {
  if (token.size() > 16384)
    return {};
  auto a = token.find('.');
  auto b = a == std::string_view::npos ? a : token.find('.', a + 1);
  std::string payload;
  if (b == std::string_view::npos ||
      !base64url_decode(token.substr(a + 1, b - a - 1), payload))
    return {};
  auto j = parse(payload);
  if (!j || !j->is_object() || !j->contains("iss") || !(*j)["iss"].is_string())
    return {};
  return (*j)["iss"].get<std::string>();
}

void add_words(const json& v, std::vector<std::string>& out) {
  if (v.is_string()) {
    std::istringstream in(v.get<std::string>());
    std::string w;
    while (in >> w)
      out.push_back(w);
  } else if (v.is_array()) {
    for (auto& x : v)
      if (x.is_string() && !x.get<std::string>().empty())
        out.push_back(x.get<std::string>());
  }
}

} // namespace

issuer_trust::issuer_trust(std::vector<issuer_config> issuers, trust_settings s,
                           fetch_fn fetch) :
  settings_(std::move(s)),
  fetch_(std::move(fetch)) {
  if (!fetch_)
    fetch_ = [](const std::string& url, const std::string& ca, long ms) {
      return https_get(url, ca, ms);
    };
  for (auto& c : issuers) {
    state st;
    st.cfg = std::move(c);
    states_.push_back(std::move(st));
  }
}

issuer_trust::~issuer_trust() {
  {
    std::lock_guard g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  done_cv_.notify_all(); // waiting requests give up at once
  if (thread_.joinable())
    thread_.join();
}

void issuer_trust::start() {
  {
    std::lock_guard g(mu_);
    for (auto& st : states_)
      st.wanted = true;
  }
  thread_ = std::thread([this] { run(); });
}

uint64_t issuer_trust::fetches() const {
  std::lock_guard g(mu_);
  return fetches_;
}

void issuer_trust::run() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    auto now = wall_s();
    int64_t next = now + 3600;
    std::vector<size_t> due;
    for (size_t i = 0; i < states_.size(); ++i) {
      auto& st = states_[i];
      if (st.wanted || now >= st.next_refresh_s)
        due.push_back(i);
      else
        next = std::min(next, st.next_refresh_s);
    }
    if (due.empty()) {
      cv_.wait_for(lk, std::chrono::seconds(std::max<int64_t>(1, next - now)));
      continue;
    }
    lk.unlock();
    for (auto i : due)
      if (!stop_)
        fetch_now(i, wall_s());
    lk.lock();
  }
}

bool issuer_trust::fetch_now(size_t i, int64_t now_s) {
  issuer_config cfg;
  {
    std::lock_guard g(mu_);
    auto& st = states_.at(i);
    st.fetching = true;
    st.wanted = false;
    cfg = st.cfg;
  }
  long timeout = static_cast<long>(settings_.fetch_timeout_ms);
  std::string error;
  std::shared_ptr<jwks> keys;
  auto jwks_uri = cfg.jwks_uri;
  if (jwks_uri.empty()) {
    auto base = cfg.issuer;
    while (!base.empty() && base.back() == '/')
      base.pop_back();
    auto url = base + "/.well-known/openid-configuration";
    auto r = fetch_(url, cfg.ca_file, timeout);
    auto doc = r.status == 200 ? parse(r.body) : std::nullopt;
    if (r.status != 200)
      error = "discovery " + url + ": " +
              (r.status ? "HTTP " + std::to_string(r.status) : r.error);
    else if (!doc || !doc->is_object() || !doc->contains("jwks_uri") ||
             !(*doc)["jwks_uri"].is_string())
      error = "discovery " + url + ": no jwks_uri";
    else if (doc->value("issuer", "") != cfg.issuer)
      // OpenID Connect Discovery §4.3: the document must name this issuer
      error = "discovery " + url + ": issuer is " + doc->value("issuer", "") +
              ", not " + cfg.issuer;
    else if (!acceptable_url((*doc)["jwks_uri"].get<std::string>()))
      error = "discovery " + url + ": jwks_uri is not https://";
    else
      jwks_uri = (*doc)["jwks_uri"].get<std::string>();
  }
  if (error.empty()) {
    auto r = fetch_(jwks_uri, cfg.ca_file, timeout);
    auto doc = r.status == 200 ? parse(r.body) : std::nullopt;
    if (r.status != 200) {
      error = "jwks " + jwks_uri + ": " +
              (r.status ? "HTTP " + std::to_string(r.status) : r.error);
    } else if (!doc || !doc->is_object() || !doc->contains("keys") ||
               !(*doc)["keys"].is_array()) {
      error = "jwks " + jwks_uri + ": not a JWKS document";
    } else {
      // public keys only: an "oct" key in a published JWKS would let
      // anyone who reads it sign tokens
      json pub = {{"keys", json::array()}};
      for (auto& k : (*doc)["keys"])
        if (k.is_object() && k.value("kty", "") != "oct")
          pub["keys"].push_back(k);
      keys = std::make_shared<jwks>();
      size_t skipped = 0;
      if (!keys->add_json(pub.dump(), skipped, error) || keys->size() == 0) {
        error = "jwks " + jwks_uri + ": no usable RS256/ES256 key" +
                (error.empty() ? "" : ": " + error);
        keys.reset();
      }
    }
  }
  std::lock_guard g(mu_);
  auto& st = states_.at(i);
  ++fetches_;
  st.fetching = false;
  st.last_attempt_s = std::max(st.last_attempt_s, now_s);
  ++st.generation;
  if (keys) {
    st.keys = std::move(keys); // a failure keeps the keys that worked
    st.error.clear();
    st.next_refresh_s = now_s + settings_.refresh_s;
  } else {
    st.error = error;
    st.next_refresh_s =
      now_s + std::min<int64_t>(settings_.refresh_s,
                                std::max<int64_t>(settings_.min_refetch_s, 1));
    std::fprintf(stderr, "trusted issuer %s: %s\n", cfg.issuer.c_str(),
                 error.c_str());
  }
  done_cv_.notify_all();
  return st.keys != nullptr;
}

void issuer_trust::request_and_wait(std::unique_lock<std::mutex>& lk, state& st,
                                    int64_t now_s, bool wait) {
  auto gen = st.generation;
  if (!st.fetching) {
    st.wanted = true;
    // the bound counts from the request: the next one within
    // min_refetch_s waits for nothing new
    st.last_attempt_s = std::max(st.last_attempt_s, now_s);
    cv_.notify_all();
  }
  if (wait)
    done_cv_.wait_for(lk, std::chrono::milliseconds(settings_.wait_ms),
                      [&] { return st.generation != gen || stop_; });
}

std::optional<json> issuer_trust::verify(std::string_view token, int64_t now_s,
                                         std::string& error, bool& mine) {
  mine = false;
  auto iss = issuer_of(token);
  if (iss.empty())
    return std::nullopt;
  std::unique_lock lk(mu_);
  auto it = std::find_if(states_.begin(), states_.end(),
                         [&](const state& s) { return s.cfg.issuer == iss; });
  if (it == states_.end())
    return std::nullopt;
  mine = true;
  auto& st = *it;
  bool may_fetch =
    st.fetching || now_s - st.last_attempt_s >= settings_.min_refetch_s;
  // Only the first fetch after start is waited for: once one failed (the
  // IdP is down) or keys exist, a request never holds its thread for the
  // fetcher, so tokens naming this issuer cannot stall the server.
  if (!st.keys && may_fetch)
    request_and_wait(lk, st, now_s, st.error.empty());
  if (!st.keys) {
    error = "the keys of issuer " + iss + " are not available" +
            (st.error.empty() ? "" : ": " + st.error);
    return std::nullopt;
  }
  jwt_policy policy;
  policy.issuer = st.cfg.issuer;
  policy.audience = {st.cfg.audience};
  policy.skew_s = settings_.skew_s;
  auto keys = st.keys;
  const auto& cfg = st.cfg; // set at construction, read-only since
  lk.unlock();
  auto r = verify_jwt(token, *keys, policy, now_s);
  if (r.status == jwt_status::unknown_key) {
    // a rotated key (or a made-up kid): refetch in the background, bounded
    // per issuer, and refuse this token now; the next one finds the key
    lk.lock();
    if (!st.fetching && now_s - st.last_attempt_s >= settings_.min_refetch_s)
      request_and_wait(lk, st, now_s, false);
    if (st.keys != keys) { // a fetch finished meanwhile
      keys = st.keys;
      lk.unlock();
      r = verify_jwt(token, *keys, policy, now_s);
    } else {
      lk.unlock();
    }
  }
  if (r.status != jwt_status::ok) {
    error = r.error;
    return std::nullopt;
  }
  return map_claims(cfg, r.claims, error);
}

std::optional<json> issuer_trust::map_claims(const issuer_config& c,
                                             const json& claims,
                                             std::string& error) const {
  if (!claims.contains(c.user_claim) || !claims[c.user_claim].is_string() ||
      claims[c.user_claim].get<std::string>().empty()) {
    error = "the token has no " + c.user_claim + " claim";
    return std::nullopt;
  }
  std::vector<std::string> asked, scopes;
  if (claims.contains(c.scope_claim))
    add_words(claims[c.scope_claim], asked);
  for (auto& s : asked) {
    bool ok = c.allow_scopes.empty()
                ? (s != "admin" || c.allow_admin)
                : std::find(c.allow_scopes.begin(), c.allow_scopes.end(), s) !=
                    c.allow_scopes.end();
    if (ok && std::find(scopes.begin(), scopes.end(), s) == scopes.end())
      scopes.push_back(s);
  }
  std::string tenant = c.tenant;
  if (tenant.empty() && !c.tenant_claim.empty()) {
    // an entry that maps tenants never yields a global principal: a token
    // without its tenant is refused, not let into every tenant's data
    auto t = claims.find(c.tenant_claim);
    if (t == claims.end() || !t->is_string() ||
        t->get_ref<const std::string&>().empty()) {
      error = "the token has no " + c.tenant_claim + " claim (a tenant)";
      return std::nullopt;
    }
    tenant = t->get<std::string>();
  }
  if (!tenant.empty() && settings_.tenant_claim.empty()) {
    error = "auth.tenant_claim is empty: the tenant cannot be carried";
    return std::nullopt;
  }
  std::string scope_text;
  for (auto& s : scopes)
    scope_text += (scope_text.empty() ? "" : " ") + s;
  json out = {{"sub", claims[c.user_claim]},
              {"iss", c.issuer},
              {settings_.scope_claim, scope_text}};
  if (!tenant.empty() && !settings_.tenant_claim.empty())
    out[settings_.tenant_claim] = tenant; // checked by the authenticator
  return out;
}

} // namespace themis::auth::trusted
