#include "auth/oauth2/provider.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <openssl/sha.h>

#include "auth/oauth2/client_assertion.hpp"
#include "auth/password.hpp"
#include "themis/base64.hpp"

namespace themis::auth::oauth2 {

namespace {

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w)
    out.push_back(w);
  return out;
}

bool is_oidc_scope(const std::string& s) {
  return s == "openid" || s == "profile" || s == "offline_access";
}

/// OIDC Core §3.1.3.6: left half of SHA-256 of the access token.
std::string at_hash(const std::string& token) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), d);
  return base64url_encode(std::string_view(reinterpret_cast<char*>(d), 16));
}

} // namespace

answer oauth_error(int status, const std::string& error,
                   const std::string& description) {
  answer a;
  a.status = status;
  nlohmann::json j = {{"error", error}};
  if (!description.empty())
    j["error_description"] = description;
  a.body = j.dump();
  a.headers = {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
  return a;
}

std::unique_ptr<provider>
provider::create(const oauth2_section& cfg, const std::string& db_path,
                 int busy_timeout_ms, user_directory users, claim_names claims,
                 std::string& error) {
  auto store = std::make_unique<grant_store>(db_path, busy_timeout_ms);
  auto p = std::make_unique<provider>(cfg, std::move(store), std::move(users),
                                      std::move(claims));
  for (auto& entry : cfg.clients) {
    oauth2_client c;
    if (!parse_client_entry(entry, c, error)) {
      error = "oauth2.clients: " + error;
      return nullptr;
    }
    if (!c.public_key_file.empty()) {
      std::ifstream in(c.public_key_file);
      std::stringstream ss;
      ss << in.rdbuf();
      c.public_key_pem = ss.str();
      if (!in || !jwt_key::pem("", c.public_key_pem, error)) {
        error = "oauth2.clients: " + c.id + ": public_key_file " +
                c.public_key_file + " is not a PEM public key";
        return nullptr;
      }
    }
    if (!p->clients_.add(c)) {
      error = "oauth2.clients: client " + c.id + " is listed twice";
      return nullptr;
    }
  }
  // the console's client unless the configuration defines one of that id
  if (cfg.console_client)
    p->clients_.add(make_console_client());
  for (auto& text : p->store_->clients()) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (auto c = oauth2_client::from_json(j))
      p->clients_.add(*c); // a config client of the same id wins
  }
  if (!p->load_keys(error))
    return nullptr;
  return p;
}

provider::provider(const oauth2_section& cfg, std::unique_ptr<grant_store> s,
                   user_directory users, claim_names claims) :
  cfg_(cfg),
  store_(std::move(s)), users_(std::move(users)), claims_(std::move(claims)) {}

bool provider::load_keys(std::string& error) {
  std::vector<std::shared_ptr<signing_key>> keys;
  if (!cfg_.signing_key_file.empty()) {
    std::ifstream in(cfg_.signing_key_file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto k = in ? signing_key::from_pem(ss.str(), error) : nullptr;
    if (!k) {
      error = "oauth2.signing_key_file: " +
              (in ? error : "cannot read " + cfg_.signing_key_file);
      return false;
    }
    key_from_file_ = true;
    keys.push_back(std::move(k));
  } else {
    for (auto& [kid, pem] : store_->keys()) {
      std::string e;
      if (auto k = signing_key::from_pem(pem, e))
        keys.push_back(std::move(k));
      if (keys.size() == 2)
        break;
    }
    if (keys.empty()) {
      auto k = signing_key::generate(error);
      if (!k)
        return false;
      store_->put_key(k->kid(), k->private_pem(), 0);
      keys.push_back(std::move(k));
    }
  }
  set_keys(std::move(keys));
  return true;
}

void provider::set_keys(std::vector<std::shared_ptr<signing_key>> keys) {
  auto r = std::make_shared<key_ring>();
  r->current = keys.front();
  r->all = std::move(keys);
  for (auto& k : r->all) {
    nlohmann::json set = {{"keys", {k->public_jwk()}}};
    size_t skipped = 0;
    std::string e;
    r->verify.add_json(set.dump(), skipped, e);
  }
  std::lock_guard<std::mutex> g(ring_mtx_);
  ring_ = std::move(r);
}

std::shared_ptr<const provider::key_ring> provider::ring() const {
  std::lock_guard<std::mutex> g(ring_mtx_);
  return ring_;
}

std::string provider::issuer_for(const std::string* host, bool tls) const {
  if (!cfg_.issuer.empty())
    return cfg_.issuer;
  std::string h = host ? *host : "localhost";
  // a Host header is attacker-chosen: keep it to host[:port] characters
  std::string clean;
  for (char c : h)
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' ||
        c == '[' || c == ']')
      clean.push_back(c);
  return (tls ? "https://" : "http://") + clean;
}

nlohmann::json provider::metadata(const std::string& iss, bool openid) const {
  std::vector<std::string> pkce = {"S256"};
  if (cfg_.allow_plain_pkce)
    pkce.push_back("plain");
  std::vector<std::string> auth_methods = {
    "client_secret_basic", "client_secret_post", "private_key_jwt", "none"};
  nlohmann::json m = {
    {"issuer", iss},
    {"authorization_endpoint", iss + "/api/v1/auth/authorize"},
    {"token_endpoint", iss + "/api/v1/auth/token"},
    {"jwks_uri", iss + "/api/v1/auth/jwks"},
    {"introspection_endpoint", iss + "/api/v1/auth/token/introspect"},
    {"revocation_endpoint", iss + "/api/v1/auth/token/revoke"},
    {"response_types_supported", {"code"}},
    {"response_modes_supported", {"query"}},
    {"grant_types_supported",
     {"authorization_code", "refresh_token", "client_credentials"}},
    {"token_endpoint_auth_methods_supported", auth_methods},
    {"token_endpoint_auth_signing_alg_values_supported", {"RS256", "ES256"}},
    {"introspection_endpoint_auth_methods_supported",
     {"client_secret_basic", "client_secret_post", "private_key_jwt"}},
    {"revocation_endpoint_auth_methods_supported", auth_methods},
    {"code_challenge_methods_supported", pkce},
    {"scopes_supported",
     {"openid", "profile", "offline_access", "data:read", "data:write", "query",
      "jobs", "cdc:read", "admin"}},
    {"authorization_response_iss_parameter_supported", true},
  };
  if (openid) {
    m["userinfo_endpoint"] = iss + "/api/v1/auth/userinfo";
    m["end_session_endpoint"] = iss + "/api/v1/auth/logout";
    m["subject_types_supported"] = {"public"};
    m["id_token_signing_alg_values_supported"] = {ring()->current->alg()};
    m["claims_supported"] = {
      "iss",         "sub",   "aud", "exp",     "iat",
      "auth_time",   "nonce", "azp", "at_hash", "preferred_username",
      claims_.tenant};
  }
  return m;
}

nlohmann::json provider::jwks() const {
  nlohmann::json keys = nlohmann::json::array();
  for (auto& k : ring()->all)
    keys.push_back(k->public_jwk());
  return {{"keys", keys}};
}

std::string provider::grant_scope(const std::string& requested,
                                  const oauth2_client& c,
                                  const principal& who) const {
  std::vector<std::string> want = words(requested);
  if (want.empty()) // no scope asked: what the client is registered for
    want = c.scopes;
  std::set<std::string> seen;
  std::string out;
  for (auto& s : want) {
    if (!seen.insert(s).second || !c.allows_scope(s))
      continue;
    // a themisd scope only if the user holds it (admin covers all)
    if (!is_oidc_scope(s) && !who.has_scope(s))
      continue;
    out += (out.empty() ? "" : " ") + s;
  }
  return out;
}

nlohmann::json provider::mint(const grant& g, const std::string& iss,
                              const std::string& family, bool id_token,
                              int64_t now_s) {
  auto r = ring();
  auto jti = grant_store::random_token().substr(0, 22);
  nlohmann::json at = {
    {"iss", iss},   {"sub", g.user},
    {"aud", iss},   {"client_id", g.client_id},
    {"iat", now_s}, {"exp", now_s + cfg_.access_token_ttl_s},
    {"jti", jti},   {claims_.scope, g.scope},
  };
  if (!g.tenant.empty())
    at[claims_.tenant] = g.tenant;
  if (!family.empty())
    at["fam"] = family; // revoking the family revokes this token too
  auto access = r->current->sign_jwt(at, "at+jwt");
  nlohmann::json out = {{"access_token", access},
                        {"token_type", "Bearer"},
                        {"expires_in", cfg_.access_token_ttl_s},
                        {"scope", g.scope}};
  if (id_token) {
    nlohmann::json id = {
      {"iss", iss},
      {"sub", g.user},
      {"aud", g.client_id},
      {"azp", g.client_id},
      {"iat", now_s},
      {"exp", now_s + cfg_.id_token_ttl_s},
      {"auth_time", g.auth_time_s},
      {"at_hash", at_hash(access)},
      {"preferred_username", g.user},
    };
    if (!g.nonce.empty())
      id["nonce"] = g.nonce;
    if (!g.tenant.empty())
      id[claims_.tenant] = g.tenant;
    out["id_token"] = r->current->sign_jwt(id, "JWT");
  }
  return out;
}

nlohmann::json provider::issue_for(const principal& who,
                                  const std::string& client_id,
                                  const std::string& issuer, int64_t now_s,
                                  std::string& family) {
  grant g;
  g.client_id = client_id;
  g.user = who.user;
  g.tenant = who.tenant;
  for (auto& s : who.scopes)
    g.scope += (g.scope.empty() ? "" : " ") + s;
  g.auth_time_s = now_s;
  family = store_->new_family(g, now_s * 1000);
  return mint(g, issuer, family, false, now_s);
}

std::optional<nlohmann::json>
provider::verify_access_token(std::string_view token, int64_t now_s,
                              std::string& error, bool& mine) const {
  mine = false;
  auto dot = token.find('.');
  std::string head;
  if (dot == std::string_view::npos ||
      !base64url_decode(token.substr(0, dot), head))
    return std::nullopt;
  auto h = nlohmann::json::parse(head, nullptr, false);
  if (!h.is_object() || !h.contains("kid") || !h["kid"].is_string())
    return std::nullopt;
  auto r = ring();
  if (!r->verify.find(h["kid"].get<std::string>()))
    return std::nullopt; // not one of our keys
  mine = true;
  if (h.value("typ", "") != "at+jwt") {
    error = "not an access token";
    return std::nullopt;
  }
  jwt_policy pol;
  pol.issuer = cfg_.issuer;
  pol.skew_s = 0; // our own clock issued it: no skew to allow for
  auto v = verify_jwt(token, r->verify, pol, now_s);
  if (v.status != jwt_status::ok) {
    error = v.error;
    return std::nullopt;
  }
  auto& c = v.claims;
  if (c.contains("jti") && c["jti"].is_string() &&
      store_->jti_revoked(c["jti"].get<std::string>())) {
    error = "the token was revoked";
    return std::nullopt;
  }
  if (c.contains("fam") && c["fam"].is_string() &&
      store_->family_revoked(c["fam"].get<std::string>())) {
    error = "the token's grant was revoked";
    return std::nullopt;
  }
  return std::move(v.claims);
}

client_auth provider::authenticate(const form_map& body,
                                   const std::string* authorization,
                                   const std::string& issuer, int64_t now_s) {
  if (!has_client_assertion(body))
    return authenticate_client(clients_, body, authorization);
  assertion_context ctx;
  ctx.issuer = issuer;
  ctx.now_s = now_s;
  ctx.first_use = [this](const std::string& key, int64_t exp_s) {
    return store_->use_once(key, exp_s * 1000);
  };
  return authenticate_assertion(clients_, body, authorization, ctx);
}

answer provider::admin_create_client(const nlohmann::json& body) {
  auto c = oauth2_client::from_json(body);
  if (!c)
    return oauth_error(400, "invalid_client_metadata",
                       "a JSON object with client_id is required");
  std::string secret;
  c->is_public = body.value("public", false) ||
                 body.value("token_endpoint_auth_method", "") == "none";
  c->secret_hash.clear();
  if (!c->public_key_pem.empty()) {
    std::string e;
    if (c->is_public || !jwt_key::pem("", c->public_key_pem, e))
      return oauth_error(400, "invalid_client_metadata",
                         "public_key_pem is not a PEM public key (RSA or EC "
                         "P-256) of a confidential client");
  } else if (!c->is_public) {
    secret = grant_store::random_token();
    c->secret_hash = hash_password(secret);
  }
  std::string error;
  if (!validate_client(*c, error))
    return oauth_error(400, "invalid_client_metadata", error);
  if (!clients_.add(*c))
    return oauth_error(409, "invalid_client_metadata",
                       "client " + c->id + " exists");
  store_->put_client(c->id, c->to_json(true).dump());
  answer a;
  a.status = 201;
  auto j = c->to_json(false);
  if (!secret.empty())
    j["client_secret"] = secret; // shown once
  a.body = j.dump();
  a.audit = audit_note{"oauth2.client.create", "ok", "", "", "client " + c->id};
  a.headers = {{"Cache-Control", "no-store"}};
  return a;
}

nlohmann::json provider::admin_list_clients() const {
  nlohmann::json out = nlohmann::json::array();
  for (auto& c : clients_.list())
    out.push_back(c.to_json(false));
  return {{"clients", out}};
}

answer provider::admin_delete_client(const std::string& id) {
  auto c = clients_.find(id);
  if (!c)
    return oauth_error(404, "not_found", "no client " + id);
  if (c->from_config)
    return oauth_error(409, "invalid_request",
                       "client " + id +
                         (c->console ? " is built in (oauth2.console_client)"
                                     : " comes from oauth2.clients"));
  clients_.remove(id);
  store_->delete_client(id);
  answer a;
  a.body = nlohmann::json{{"client_id", id}, {"deleted", true}}.dump();
  a.audit = audit_note{"oauth2.client.delete", "ok", "", "", "client " + id};
  return a;
}

answer provider::admin_rotate_keys(int64_t now_s, const std::string& alg) {
  if (key_from_file_)
    return oauth_error(409, "invalid_request",
                       "the key comes from oauth2.signing_key_file: replace "
                       "the file and restart");
  std::string error;
  if (!alg.empty() && alg != "RS256" && alg != "ES256")
    return oauth_error(400, "invalid_request", "alg must be RS256 or ES256");
  auto k =
    signing_key::generate(error, alg.empty() ? ring()->current->alg() : alg);
  if (!k)
    return oauth_error(500, "server_error", error);
  store_->put_key(k->kid(), k->private_pem(), now_s * 1000);
  auto old = ring()->all;
  std::vector<std::shared_ptr<signing_key>> keys = {k, old.front()};
  for (size_t i = 1; i < old.size(); ++i)
    store_->delete_key(old[i]->kid()); // only one previous key stays
  set_keys(keys);
  answer a;
  a.body =
    nlohmann::json{{"current", k->kid()}, {"previous", old.front()->kid()}}
      .dump();
  a.audit =
    audit_note{"oauth2.keys.rotate", "ok", "", "", "new key " + k->kid()};
  return a;
}

} // namespace themis::auth::oauth2
