#include "handlers/auth_gate.hpp"

#include <fstream>
#include <sstream>

#include "handlers/http_json.hpp"

namespace themis {

namespace {

bool starts(const std::string& s, const char* p) {
  return s.rfind(p, 0) == 0;
}

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

/// RFC 6750 §3 challenge.
api_response challenge(int status, const std::string& error,
                       const std::string& description,
                       const std::string& scope = {}) {
  auto r = error_response(status, description.empty() ? "authentication "
                                                        "required"
                                                      : description);
  std::string v = "Bearer realm=\"themis\"";
  if (!error.empty())
    v += ", error=\"" + error + "\", error_description=\"" + description + "\"";
  if (!scope.empty())
    v += ", scope=\"" + scope + "\"";
  r.set_header("WWW-Authenticate", v);
  return r;
}

bool has_scope(const nlohmann::json& claims, const std::string& claim,
               const std::string& want) {
  if (!claims.contains(claim))
    return false;
  auto& c = claims[claim];
  auto match = [&](const std::string& s) { return s == want || s == "admin"; };
  if (c.is_array()) {
    for (auto& x : c)
      if (x.is_string() && match(x.get<std::string>()))
        return true;
    return false;
  }
  if (!c.is_string())
    return false;
  std::istringstream words(c.get<std::string>()); // RFC 8693 "scope"
  std::string w;
  while (words >> w)
    if (match(w))
      return true;
  return false;
}

} // namespace

auth_gate::auth_gate(auth_section cfg, std::shared_ptr<const auth::jwks> keys) :
  cfg_(std::move(cfg)), keys_(std::move(keys)) {
  policy_.issuer = cfg_.jwt_issuer;
  std::istringstream aud(cfg_.jwt_audience);
  std::string a;
  while (std::getline(aud, a, ','))
    if (!a.empty())
      policy_.audience.push_back(a);
  policy_.skew_s = cfg_.jwt_skew_s;
}

std::shared_ptr<const auth_gate> auth_gate::create(const auth_section& cfg,
                                                   std::string& error) {
  auto keys = std::make_shared<auth::jwks>();
  if (!cfg.jwt_secret.empty())
    keys->add(auth::jwt_key::hmac("", cfg.jwt_secret));
  if (!cfg.jwt_public_key_file.empty()) {
    auto pem = read_file(cfg.jwt_public_key_file, error);
    auto k = pem.empty() ? nullptr : auth::jwt_key::pem("", pem, error);
    if (!k)
      return nullptr;
    keys->add(std::move(k));
  }
  if (!cfg.jwt_jwks_file.empty()) {
    auto text = read_file(cfg.jwt_jwks_file, error);
    size_t skipped = 0;
    if (text.empty() || !keys->add_json(text, skipped, error))
      return nullptr;
  }
  if (cfg.required && keys->size() == 0) {
    error = "auth.required needs auth.jwt_secret, auth.jwt_public_key_file "
            "or auth.jwt_jwks_file";
    return nullptr;
  }
  return std::make_shared<auth_gate>(cfg, std::move(keys));
}

std::string auth_gate::required_scope(const std::string& method,
                                      const std::string& path,
                                      bool open_metrics) {
  if (starts(path, "/health") || (open_metrics && path == "/metrics"))
    return "";
  bool read = method == "GET" || method == "HEAD";
  if (starts(path, "/changefeed") || starts(path, "/v1/changes") ||
      starts(path, "/v2/changes"))
    return "cdc:read";
  if (starts(path, "/v2/jobs"))
    return "jobs";
  if (starts(path, "/query") || starts(path, "/v1/query") ||
      starts(path, "/v1/cursor"))
    return "query";
  if (starts(path, "/v1/collections") || starts(path, "/entities") ||
      starts(path, "/v2/documents"))
    return read ? "data:read" : "data:write";
  return "admin"; // metrics when closed, debug and admin routes
}

std::optional<api_response> auth_gate::check(const api_request& req,
                                             int64_t now_s) const {
  if (!cfg_.required)
    return std::nullopt;
  auto scope = required_scope(req.method, req.path, cfg_.open_metrics);
  if (scope.empty())
    return std::nullopt;
  auto h = req.header("Authorization");
  if (!h || h->size() < 7 || !iequals(h->substr(0, 7), "Bearer "))
    return challenge(401, "", "");
  auto r =
    auth::verify_jwt(std::string_view(*h).substr(7), *keys_, policy_, now_s);
  if (r.status != auth::jwt_status::ok)
    return challenge(401, "invalid_token", r.error);
  if (!has_scope(r.claims, cfg_.scope_claim, scope))
    return challenge(403, "insufficient_scope",
                     "the token lacks the scope " + scope, scope);
  return std::nullopt;
}

} // namespace themis
