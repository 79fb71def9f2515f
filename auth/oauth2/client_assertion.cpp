#include "auth/oauth2/client_assertion.hpp"

#include "auth/jwt.hpp"
#include "themis/base64.hpp"

namespace themis::auth::oauth2 {

namespace {

/// A string member of the unverified header (part 0) or payload (part
/// 1): the payload's `iss` names the client whose key verifies it, the
/// header's `kid` is whatever the client calls that key.
std::string unverified(const std::string& jwt, int part, const char* name) {
  auto a = jwt.find('.');
  auto b = a == std::string::npos ? a : jwt.find('.', a + 1);
  std::string text;
  if (b == std::string::npos ||
      !base64url_decode(part == 0
                          ? std::string_view(jwt).substr(0, a)
                          : std::string_view(jwt).substr(a + 1, b - a - 1),
                        text))
    return {};
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_object() && j.contains(name) && j[name].is_string()
           ? j[name].get<std::string>()
           : std::string();
}

bool audience_ok(const nlohmann::json& aud, const std::string& issuer) {
  auto one = [&](const nlohmann::json& a) {
    if (!a.is_string())
      return false;
    auto s = a.get<std::string>();
    return s == issuer || s.rfind(issuer + "/api/v1/auth/", 0) == 0;
  };
  if (aud.is_array()) {
    for (auto& a : aud)
      if (one(a))
        return true;
    return false;
  }
  return one(aud);
}

} // namespace

client_auth authenticate_assertion(const client_registry& reg,
                                   const form_map& body,
                                   const std::string* authorization,
                                   const assertion_context& ctx) {
  client_auth r;
  if (authorization && !authorization->empty()) {
    r.error = "invalid_request";
    r.description = "more than one client authentication method";
    return r;
  }
  if (form_get(body, "client_assertion_type") != jwt_bearer_assertion ||
      form_get(body, "client_assertion").empty() ||
      body.count("client_secret")) {
    r.error = "invalid_request";
    r.description = "client_assertion_type must be " +
                    std::string(jwt_bearer_assertion) +
                    " with a client_assertion";
    return r;
  }
  auto& jwt = form_get(body, "client_assertion");
  auto id = unverified(jwt, 1, "iss");
  auto c = id.empty() ? std::nullopt : reg.find(id);
  r.description = "client authentication failed";
  if (!c || c->public_key_pem.empty())
    return r;
  if (body.count("client_id") && form_get(body, "client_id") != id)
    return r;
  std::string error;
  auto key = jwt_key::pem(unverified(jwt, 0, "kid"), c->public_key_pem, error);
  if (!key)
    return r;
  jwks keys;
  keys.add(std::move(key));
  jwt_policy pol;
  pol.issuer = id;
  pol.skew_s = 30;
  auto v = verify_jwt(jwt, keys, pol, ctx.now_s);
  if (v.status != jwt_status::ok) {
    r.description = "client assertion: " + v.error;
    return r;
  }
  auto& cl = v.claims;
  if (cl.value("sub", "") != id || !cl.contains("aud") ||
      !audience_ok(cl["aud"], ctx.issuer)) {
    r.description = "client assertion: wrong sub or aud";
    return r;
  }
  auto jti = cl.contains("jti") && cl["jti"].is_string()
               ? cl["jti"].get<std::string>()
               : std::string();
  int64_t exp = cl.value("exp", int64_t{0});
  if (jti.empty() || jti.size() > 256 || exp > ctx.now_s + 3600) {
    r.description = "client assertion: needs a jti and exp within an hour";
    return r;
  }
  if (!ctx.first_use || !ctx.first_use(id + ":" + jti, exp)) {
    r.description = "client assertion: jti already used";
    return r;
  }
  r.ok = true;
  r.error.clear();
  r.description.clear();
  r.client = std::move(*c);
  return r;
}

} // namespace themis::auth::oauth2
