#include "auth/oauth2/client_registry.hpp"

#include <algorithm>
#include <sstream>

#include "auth/password.hpp"
#include "themis/api_message.hpp"
#include "themis/base64.hpp"
#include "themis/principal.hpp"

namespace themis::auth::oauth2 {

namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool valid_client_id(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

/// An absolute http(s) URI without a fragment (§3.1.2).
bool valid_redirect(std::string_view u) {
  if (u.size() > 2000 || u.find('#') != std::string_view::npos)
    return false;
  return u.rfind("https://", 0) == 0 || u.rfind("http://", 0) == 0;
}

std::vector<std::string> strings(const nlohmann::json& j, const char* k) {
  std::vector<std::string> out;
  if (j.contains(k) && j[k].is_array())
    for (auto& x : j[k])
      if (x.is_string())
        out.push_back(x.get<std::string>());
  return out;
}

} // namespace

bool oauth2_client::has_redirect(std::string_view uri) const {
  return contains(redirect_uris, uri);
}

bool oauth2_client::has_logout_redirect(std::string_view uri) const {
  return contains(post_logout_redirect_uris, uri);
}

bool oauth2_client::allows_redirect(std::string_view uri,
                                    std::string_view issuer) const {
  return has_redirect(uri) || (console && console_redirect(uri, issuer));
}

bool oauth2_client::allows_logout_redirect(std::string_view uri,
                                           std::string_view issuer) const {
  return has_logout_redirect(uri) || (console && console_redirect(uri, issuer));
}

bool console_redirect(std::string_view uri, std::string_view issuer) {
  auto sep = issuer.find("://");
  if (sep == std::string_view::npos || uri.size() > 2000)
    return false;
  auto origin = issuer.substr(0, issuer.find('/', sep + 3));
  if (origin.size() <= sep + 3 || uri.substr(0, origin.size()) != origin)
    return false;
  constexpr std::string_view tail = "/console/";
  auto path = uri.substr(origin.size());
  if (path.size() < tail.size() ||
      path.substr(path.size() - tail.size()) != tail)
    return false;
  // "" or "/seg/seg": right after the origin, so ":port" or "@host" that
  // would extend the authority cannot appear
  auto prefix = path.substr(0, path.size() - tail.size());
  int segments = 0;
  while (!prefix.empty()) {
    if (prefix[0] != '/' || ++segments > 8)
      return false;
    prefix.remove_prefix(1);
    auto end = prefix.find('/');
    auto seg = prefix.substr(0, end);
    if (seg.empty() || seg[0] == '.')
      return false;
    for (char c : seg)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~'))
        return false;
    prefix =
      end == std::string_view::npos ? std::string_view{} : prefix.substr(end);
  }
  return true;
}

oauth2_client make_console_client() {
  oauth2_client c;
  c.id = console_client_id;
  c.name = "themisd console";
  c.is_public = true;
  c.console = true;
  c.from_config = true; // built in: the admin API cannot delete it
  return c;
}

bool oauth2_client::allows_scope(std::string_view s) const {
  return scopes.empty() || contains(scopes, s);
}

nlohmann::json oauth2_client::to_json(bool with_hash) const {
  nlohmann::json j = {
    {"client_id", id},
    {"client_name", name},
    {"token_endpoint_auth_method", is_public ? "none" : "client_secret_basic"},
    {"public", is_public},
    {"redirect_uris", redirect_uris},
    {"post_logout_redirect_uris", post_logout_redirect_uris},
    {"scopes", scopes},
    {"tenant", tenant},
    {"from_config", from_config},
  };
  if (console) {
    j["console"] = true;
    j["redirect_uri_rule"] = "<issuer origin>[/prefix]/console/";
  }
  if (!public_key_pem.empty()) {
    j["token_endpoint_auth_method"] = "private_key_jwt";
    j["public_key_pem"] = public_key_pem;
  }
  if (with_hash)
    j["secret_hash"] = secret_hash;
  return j;
}

std::optional<oauth2_client> oauth2_client::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("client_id") || !j["client_id"].is_string())
    return std::nullopt;
  oauth2_client c;
  c.id = j["client_id"].get<std::string>();
  c.name = j.value("client_name", "");
  c.secret_hash = j.value("secret_hash", "");
  c.is_public = j.value("public", false);
  c.redirect_uris = strings(j, "redirect_uris");
  c.post_logout_redirect_uris = strings(j, "post_logout_redirect_uris");
  c.scopes = strings(j, "scopes");
  c.tenant = j.value("tenant", "");
  c.public_key_pem = j.value("public_key_pem", "");
  return c;
}

bool validate_client(const oauth2_client& c, std::string& error) {
  if (!valid_client_id(c.id)) {
    error = "client_id must be 1-128 of A-Z a-z 0-9 - _ .";
    return false;
  }
  if (c.redirect_uris.empty() || c.redirect_uris.size() > 32) {
    error = "a client needs 1-32 redirect_uris";
    return false;
  }
  for (auto* list : {&c.redirect_uris, &c.post_logout_redirect_uris})
    for (auto& u : *list)
      if (!valid_redirect(u)) {
        error = "redirect URIs must be absolute http(s) URIs without a "
                "fragment: " +
                u;
        return false;
      }
  if (!c.tenant.empty() && !valid_tenant_id(c.tenant)) {
    error = "invalid tenant id '" + c.tenant + "'";
    return false;
  }
  if (!c.is_public && c.secret_hash.empty() && c.public_key_pem.empty() &&
      c.public_key_file.empty()) {
    error = "a confidential client needs a secret or a public key";
    return false;
  }
  if (c.scopes.size() > 64) {
    error = "too many scopes";
    return false;
  }
  return true;
}

bool parse_client_entry(std::string_view text, oauth2_client& out,
                        std::string& error) {
  std::istringstream in{std::string(text)};
  std::string w;
  out = {};
  out.from_config = true;
  if (!(in >> out.id)) {
    error = "empty client entry";
    return false;
  }
  auto take = [&](const char* prefix, std::string& dst) {
    size_t n = std::char_traits<char>::length(prefix);
    if (w.compare(0, n, prefix) != 0)
      return false;
    dst = w.substr(n);
    return true;
  };
  while (in >> w) {
    std::string v;
    if (w == "public")
      out.is_public = true;
    else if (take("secret=", v))
      out.secret_hash = v;
    else if (take("redirect_uri=", v))
      out.redirect_uris.push_back(v);
    else if (take("post_logout_redirect_uri=", v))
      out.post_logout_redirect_uris.push_back(v);
    else if (take("scope=", v))
      out.scopes.push_back(v);
    else if (take("tenant=", v))
      out.tenant = v;
    else if (take("name=", v))
      out.name = v;
    else if (take("public_key_file=", v))
      out.public_key_file = v;
    else {
      error = "unknown word '" + w + "' in client entry " + out.id;
      return false;
    }
  }
  if (out.is_public && !out.secret_hash.empty()) {
    error = "client " + out.id + " is public and has a secret";
    return false;
  }
  if (!validate_client(out, error)) {
    error = "client " + out.id + ": " + error;
    return false;
  }
  return true;
}

bool client_registry::add(oauth2_client c) {
  std::lock_guard<std::mutex> g(mtx_);
  auto id = c.id;
  return clients_.emplace(id, std::move(c)).second;
}

bool client_registry::remove(const std::string& id) {
  std::lock_guard<std::mutex> g(mtx_);
  auto i = clients_.find(id);
  if (i == clients_.end() || i->second.from_config)
    return false;
  clients_.erase(i);
  return true;
}

std::optional<oauth2_client>
client_registry::find(const std::string& id) const {
  std::lock_guard<std::mutex> g(mtx_);
  auto i = clients_.find(id);
  if (i == clients_.end())
    return std::nullopt;
  return i->second;
}

std::vector<oauth2_client> client_registry::list() const {
  std::lock_guard<std::mutex> g(mtx_);
  std::vector<oauth2_client> out;
  for (auto& [_, c] : clients_)
    out.push_back(c);
  return out;
}

client_auth authenticate_client(const client_registry& reg,
                                const form_map& body,
                                const std::string* authorization) {
  client_auth r;
  std::string id, secret;
  bool has_secret = false;
  if (authorization && authorization->size() > 6 &&
      iequals(authorization->substr(0, 6), "Basic ")) {
    auto raw = base64_decode(std::string_view(*authorization).substr(6));
    auto colon = raw ? raw->find(':') : std::string::npos;
    if (!raw || colon == std::string::npos) {
      r.description = "malformed Basic credentials";
      r.basic = true;
      return r;
    }
    // §2.3.1: both parts are form-urlencoded before base64
    auto parts =
      parse_form("i=" + raw->substr(0, colon) + "&s=" + raw->substr(colon + 1));
    if (!parts.ok) {
      r.description = "malformed Basic credentials";
      r.basic = true;
      return r;
    }
    id = form_get(parts.params, "i");
    secret = form_get(parts.params, "s");
    has_secret = true;
    r.basic = true;
    if (body.count("client_secret")) {
      r.error = "invalid_request";
      r.description = "more than one client authentication method";
      return r;
    }
    if (body.count("client_id") && form_get(body, "client_id") != id) {
      r.error = "invalid_request";
      r.description = "client_id differs from the authenticated client";
      return r;
    }
  } else {
    id = form_get(body, "client_id");
    has_secret = body.count("client_secret") > 0;
    secret = form_get(body, "client_secret");
  }
  if (id.empty()) {
    r.description = "client authentication is required";
    return r;
  }
  auto c = reg.find(id);
  if (!c) {
    // the same words as a wrong secret: ids are not to be probed
    r.description = "client authentication failed";
    return r;
  }
  if (c->is_public) {
    if (has_secret) {
      r.description = "client authentication failed";
      return r;
    }
  } else if (!has_secret || secret.empty() ||
             !check_password(c->secret_hash, secret)) {
    r.description = "client authentication failed";
    return r;
  }
  r.ok = true;
  r.client = std::move(*c);
  r.error.clear();
  return r;
}

} // namespace themis::auth::oauth2
