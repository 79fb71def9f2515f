#include "auth/authenticator.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include "engine/security/api_key_store.hpp"

namespace themis::auth {

namespace {

std::string read_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return {};
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Scopes from a claim: an array of strings or RFC 8693's space-separated
/// string.
void add_scopes(const nlohmann::json& claims, const std::string& name,
                std::vector<std::string>& out) {
  if (name.empty() || !claims.contains(name))
    return;
  auto& c = claims[name];
  if (c.is_array()) {
    for (auto& x : c)
      if (x.is_string())
        out.push_back(x.get<std::string>());
    return;
  }
  if (!c.is_string())
    return;
  std::istringstream words(c.get<std::string>());
  std::string w;
  while (words >> w)
    out.push_back(w);
}

} // namespace

bool parse_principal_entry(std::string_view text, std::string& user,
                           std::string& tenant,
                           std::vector<std::string>& scopes,
                           std::string& error) {
  std::istringstream in{std::string(text)};
  std::string w;
  if (!(in >> user)) {
    error = "empty principal entry";
    return false;
  }
  while (in >> w) {
    if (w.rfind("tenant=", 0) == 0) {
      tenant = w.substr(7);
      if (!valid_tenant_id(tenant)) {
        error = "invalid tenant id '" + tenant + "' (1-32 of a-z, 0-9, -)";
        return false;
      }
    } else if (w.rfind("scope=", 0) == 0 && w.size() > 6) {
      scopes.push_back(w.substr(6));
    } else {
      error = "unknown word '" + w + "' in principal entry for " + user +
              " (expected tenant=ID or scope=NAME)";
      return false;
    }
  }
  return true;
}

/// Every configured JWT key: the secret, the PEM key and the JWKS file's.
static std::shared_ptr<jwks> load_keys(const auth_section& cfg,
                                       std::string& error) {
  auto set = std::make_shared<jwks>();
  if (!cfg.jwt_secret.empty())
    set->add(jwt_key::hmac("", cfg.jwt_secret));
  if (!cfg.jwt_public_key_file.empty()) {
    auto pem = read_file(cfg.jwt_public_key_file, error);
    auto k = pem.empty() ? nullptr : jwt_key::pem("", pem, error);
    if (!k)
      return nullptr;
    set->add(std::move(k));
  }
  if (!cfg.jwt_jwks_file.empty()) {
    auto text = read_file(cfg.jwt_jwks_file, error);
    size_t skipped = 0;
    if (text.empty() || !set->add_json(text, skipped, error))
      return nullptr;
  }
  return set;
}

std::shared_ptr<const authenticator>
authenticator::create(const auth_section& cfg, engine::api_key_store* keys,
                      std::string& error) {
  auto set = load_keys(cfg, error);
  if (!set)
    return nullptr;
  // Somebody must be able to administer a server that requires auth: a
  // JWT key, an admin API key (`themisctl init` mints the first one), or
  // (issue 24) USB admin keys or an external IdP's tokens.
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  bool other_admin = cfg.usb_admin_enabled || !cfg.trusted_issuers.empty();
  if (cfg.required && set->size() == 0 && !other_admin &&
      !(keys && keys->live_admin(now_ms))) {
    error = keys ? "auth.required needs an admin API key (create the first "
                   "one with `themisctl init --data-dir DIR` while themisd "
                   "is stopped) or a JWT key (auth.jwt_secret, "
                   "auth.jwt_public_key_file or auth.jwt_jwks_file)"
                 : "auth.required with auth.api_keys off needs "
                   "auth.jwt_secret, auth.jwt_public_key_file or "
                   "auth.jwt_jwks_file";
    return nullptr;
  }
  auto a = std::make_shared<authenticator>(cfg, std::move(set), keys);
  if (!a->set_principals(cfg.principals, error))
    return nullptr;
  return a;
}

bool authenticator::set_principals(const std::vector<std::string>& entries,
                                   std::string& error) const {
  auto users = std::make_shared<user_map>();
  for (auto& entry : entries) {
    std::string user, tenant;
    std::vector<std::string> scopes;
    if (!parse_principal_entry(entry, user, tenant, scopes, error)) {
      error = "auth.principals: " + error;
      return false;
    }
    (*users)[user] = {tenant, scopes};
  }
  std::lock_guard<std::mutex> g(users_mtx_);
  users_ = std::move(users);
  return true;
}

authenticator::authenticator(auth_section cfg,
                             std::shared_ptr<const jwks> jwt_keys,
                             engine::api_key_store* keys) :
  cfg_(std::move(cfg)),
  jwt_keys_(std::move(jwt_keys)), keys_(keys) {
  policy_.issuer = cfg_.jwt_issuer;
  std::istringstream aud(cfg_.jwt_audience);
  std::string a;
  while (std::getline(aud, a, ','))
    if (!a.empty())
      policy_.audience.push_back(a);
  policy_.skew_s = cfg_.jwt_skew_s;
  std::error_code ec;
  if (!cfg_.jwt_jwks_file.empty())
    jwks_mtime_ = std::filesystem::last_write_time(cfg_.jwt_jwks_file, ec);
}

void authenticator::refresh_keys(int64_t now_s, bool unknown_kid) const {
  if (cfg_.jwt_jwks_file.empty())
    return;
  {
    std::lock_guard<std::mutex> g(keys_mtx_);
    if (unknown_kid ? now_s == last_forced_s_ : now_s < next_refresh_s_)
      return;
    if (unknown_kid)
      last_forced_s_ = now_s;
    next_refresh_s_ = now_s + cfg_.jwks_refresh_s;
    std::error_code ec;
    auto m = std::filesystem::last_write_time(cfg_.jwt_jwks_file, ec);
    if (ec || m == jwks_mtime_)
      return;
    jwks_mtime_ = m;
  }
  std::string error;
  auto set = load_keys(cfg_, error); // outside the lock: file I/O
  if (!set)
    return;
  std::lock_guard<std::mutex> g(keys_mtx_);
  jwt_keys_ = std::move(set);
}

bool authenticator::looks_like_token(std::string_view s) {
  if (engine::api_key_store::looks_like_key(s))
    return true;
  // a compact JWS: three base64url parts, the header starting "eyJ" ({")
  return s.rfind("eyJ", 0) == 0 && std::count(s.begin(), s.end(), '.') == 2;
}

auth_outcome authenticator::from_token(std::string_view token,
                                       int64_t now_s) const {
  if (!engine::api_key_store::looks_like_key(token))
    return from_jwt(token, now_s);
  auth_outcome out;
  if (!keys_) {
    out.error = "API keys are not enabled";
    return out;
  }
  engine::api_key_record r;
  switch (keys_->verify(token, now_s * 1000, r)) {
    case engine::api_key_check::ok:
      break;
    case engine::api_key_check::revoked:
      out.error = "the API key was revoked";
      return out;
    case engine::api_key_check::expired:
      out.error = "the API key expired";
      return out;
    default:
      out.error = "unknown API key";
      return out;
  }
  out.ok = true;
  out.who.user = r.user;
  out.who.tenant = r.tenant;
  out.who.scopes = r.scopes;
  out.who.via = "api_key";
  out.who.key_id = r.id;
  return out;
}

auth_outcome authenticator::from_jwt(std::string_view token,
                                     int64_t now_s) const {
  auth_outcome out;
  if (local_verifier_) {
    bool mine = false;
    auto claims = local_verifier_(token, now_s, out.error, mine);
    if (claims)
      return from_claims(*claims);
    if (mine)
      return out;
    out.error.clear();
  }
  refresh_keys(now_s, false);
  auto keys = current_keys();
  if (keys->size() == 0) {
    out.error = "no JWT keys are configured";
    return out;
  }
  auto r = verify_jwt(token, *keys, policy_, now_s);
  if (r.status == jwt_status::unknown_key && !cfg_.jwt_jwks_file.empty()) {
    refresh_keys(now_s, true); // a new kid: maybe the file was rotated
    if (auto fresh = current_keys(); fresh != keys)
      r = verify_jwt(token, *fresh, policy_, now_s);
  }
  if (r.status != jwt_status::ok) {
    out.error = r.error;
    return out;
  }
  return from_claims(r.claims);
}

auth_outcome authenticator::from_claims(const nlohmann::json& c) const {
  auth_outcome out;
  if (c.contains("sub") && c["sub"].is_string())
    out.who.user = c["sub"].get<std::string>();
  if (!cfg_.tenant_claim.empty() && c.contains(cfg_.tenant_claim)) {
    auto& t = c[cfg_.tenant_claim];
    if (!t.is_string() || !valid_tenant_id(t.get<std::string>())) {
      out.error = "the " + cfg_.tenant_claim + " claim is not a tenant id";
      return out;
    }
    out.who.tenant = t.get<std::string>();
  }
  add_scopes(c, cfg_.scope_claim, out.who.scopes);
  add_scopes(c, cfg_.roles_claim, out.who.scopes);
  out.who.via = "jwt";
  out.ok = true;
  return out;
}

principal authenticator::for_user(const std::string& user) const {
  principal p;
  p.user = user;
  p.via = "password";
  auto users = current_users();
  auto i = users->find(user);
  if (i != users->end()) {
    p.tenant = i->second.tenant;
    p.scopes = i->second.scopes;
  } else {
    // a user the protocol's own list admits and auth.principals does not
    // name keeps what it always had: the global namespace, every scope
    p.scopes = {"admin"};
  }
  return p;
}

std::string authenticator::common_name(const std::string& subject) {
  // RFC 2253: attributes separated by unescaped ',', values with '\\'
  // escapes; the most specific CN is the first one printed
  size_t i = 0;
  while (i < subject.size()) {
    size_t end = i;
    std::string value;
    bool escaped = false;
    for (; end < subject.size(); ++end) {
      char c = subject[end];
      if (escaped) {
        value.push_back(c);
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == ',') {
        break;
      } else {
        value.push_back(c);
      }
    }
    if (value.rfind("CN=", 0) == 0)
      return value.substr(3);
    i = end + 1;
  }
  return {};
}

bool authenticator::lookup_user(const std::string& user, std::string& tenant,
                                std::vector<std::string>& scopes) const {
  auto users = current_users();
  auto i = users->find(user);
  if (i == users->end())
    return false;
  tenant = i->second.tenant;
  scopes = i->second.scopes;
  return true;
}

principal authenticator::for_certificate(const std::string& subject) const {
  principal p;
  p.user = common_name(subject);
  p.via = "certificate";
  auto users = current_users();
  auto i = users->find(p.user);
  if (!p.user.empty() && i != users->end()) {
    p.tenant = i->second.tenant;
    p.scopes = i->second.scopes;
  }
  return p;
}

} // namespace themis::auth
