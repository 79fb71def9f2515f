#include "auth/trusted_issuers/issuer_config.hpp"

#include <sstream>

#include "themis/principal.hpp"

namespace themis::auth::trusted {

bool acceptable_url(const std::string& url) {
  if (url.size() > 2048)
    return false;
  // no user info: "http://localhost:x@evil.example/" names evil.example
  auto scheme = url.find("://");
  auto authority_end =
    url.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
  if (url.find('@') < authority_end)
    return false;
  if (url.rfind("https://", 0) == 0)
    return url.size() > 8;
  for (auto host : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    std::string h = host;
    if (url.rfind(h, 0) == 0 && (url.size() == h.size() ||
                                 url[h.size()] == ':' || url[h.size()] == '/'))
      return true;
  }
  return false;
}

bool parse_issuer_config(std::string_view text, issuer_config& out,
                         std::string& error) {
  out = issuer_config{};
  std::istringstream in{std::string(text)};
  std::string word;
  if (!(in >> out.issuer) || !acceptable_url(out.issuer)) {
    error = "trusted issuer: the first word must be the issuer URL "
            "(https://…): " +
            std::string(text.substr(0, 80));
    return false;
  }
  while (in >> word) {
    auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      error =
        "trusted issuer " + out.issuer + ": expected key=value, got " + word;
      return false;
    }
    auto k = word.substr(0, eq), v = word.substr(eq + 1);
    if (k == "aud") {
      out.audience = v;
    } else if (k == "jwks_uri") {
      if (!acceptable_url(v)) {
        error = "trusted issuer " + out.issuer + ": jwks_uri must be https://";
        return false;
      }
      out.jwks_uri = v;
    } else if (k == "ca_file") {
      out.ca_file = v;
    } else if (k == "user_claim") {
      out.user_claim = v;
    } else if (k == "scope_claim") {
      out.scope_claim = v;
    } else if (k == "tenant_claim") {
      out.tenant_claim = v;
    } else if (k == "tenant") {
      if (!valid_tenant_id(v)) {
        error = "trusted issuer " + out.issuer + ": tenant " + v +
                " is not a tenant id";
        return false;
      }
      out.tenant = v;
    } else if (k == "allow_scope") { // repeated: the list config
      out.allow_scopes.push_back(v); // splits entries at commas
    } else if (k == "allow_admin") {
      out.allow_admin = v == "yes" || v == "true";
    } else {
      error = "trusted issuer " + out.issuer + ": unknown option " + k;
      return false;
    }
    if (v.empty()) {
      error = "trusted issuer " + out.issuer + ": " + k + " needs a value";
      return false;
    }
  }
  if (out.audience.empty()) {
    error = "trusted issuer " + out.issuer +
            ": aud= is required (a token for another service must not pass)";
    return false;
  }
  if (out.user_claim.empty() || out.scope_claim.empty()) {
    error = "trusted issuer " + out.issuer + ": empty claim name";
    return false;
  }
  return true;
}

} // namespace themis::auth::trusted
