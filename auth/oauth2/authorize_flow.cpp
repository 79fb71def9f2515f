/// The authorization endpoint (RFC 6749 §4.1.1-4.1.2, RFC 7636, OIDC Core
/// §3.1.2): request checks, the login/consent form, the code redirect.

#include <openssl/crypto.h>

#include <sstream>

#include "auth/oauth2/pkce.hpp"
#include "auth/oauth2/provider.hpp"

namespace themis::auth::oauth2 {

namespace {

constexpr int max_attempts = 5;
constexpr size_t max_state = 2048;

bool same(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

const char* page_style =
  "<style>body{font-family:sans-serif;max-width:26em;margin:3em auto}"
  "label,input,button{display:block;width:100%;margin:.3em 0}"
  "button{padding:.5em}.err{color:#b00}</style>";

/// A plain error page: the redirect URI could not be trusted (§4.1.2.1).
answer error_page(int status, const std::string& message) {
  answer a;
  a.status = status;
  a.content_type = "text/html; charset=utf-8";
  a.body = std::string("<!doctype html><html><head><meta charset=utf-8>"
                       "<title>Sign-in error</title>") +
           page_style + "</head><body><h1>Sign-in error</h1><p class=err>" +
           html_escape(message) + "</p></body></html>";
  a.headers = {{"Cache-Control", "no-store"}};
  return a;
}

/// The value of cookie `name` in a Cookie header, or "".
std::string cookie_value(const std::string* header, const std::string& name) {
  if (!header)
    return {};
  std::istringstream in(*header);
  std::string part;
  while (std::getline(in, part, ';')) {
    auto b = part.find_first_not_of(' ');
    if (b == std::string::npos)
      continue;
    part = part.substr(b);
    if (part.compare(0, name.size() + 1, name + "=") == 0)
      return part.substr(name.size() + 1);
  }
  return {};
}

std::string cookie_name(const std::string& id) {
  return "themis_login_" + id.substr(0, 12);
}

} // namespace

answer provider::redirect_error(const std::string& redirect_uri,
                                const std::string& error,
                                const std::string& description,
                                const std::string& state,
                                const std::string& issuer) const {
  std::vector<std::pair<std::string, std::string>> q = {{"error", error}};
  if (!description.empty())
    q.emplace_back("error_description", description);
  if (!state.empty())
    q.emplace_back("state", state);
  q.emplace_back("iss", issuer); // RFC 9207
  answer a;
  a.status = 302;
  a.content_type.clear();
  a.headers = {{"Location", append_query(redirect_uri, q)},
               {"Cache-Control", "no-store"}};
  return a;
}

answer provider::login_form(const std::string& id, const pending_login& p,
                            const std::string& message, int status) const {
  auto c = clients_.find(p.client_id);
  auto name = c && !c->name.empty() ? c->name : p.client_id;
  std::string scopes;
  std::istringstream in(p.scope);
  for (std::string w; in >> w;)
    scopes += "<li>" + html_escape(w) + "</li>";
  answer a;
  a.status = status;
  a.content_type = "text/html; charset=utf-8";
  a.body =
    std::string("<!doctype html><html><head><meta charset=utf-8>"
                "<title>Sign in to themisd</title>") +
    page_style + "</head><body><h1>Sign in</h1><p><b>" + html_escape(name) +
    "</b> asks for access to your themisd account" +
    (scopes.empty() ? std::string(".") : ":</p><ul>" + scopes + "</ul><p>") +
    "</p>" +
    (message.empty()
       ? ""
       : "<p class=err role=alert>" + html_escape(message) + "</p>") +
    "<form method=post action=\"authorize\">"
    "<input type=hidden name=request_id value=\"" +
    html_escape(id) + "\"><input type=hidden name=csrf_token value=\"" +
    html_escape(p.csrf) +
    "\"><label>User <input name=username autocomplete=username "
    "required></label><label>Password <input name=password type=password "
    "autocomplete=current-password required></label>"
    "<button name=action value=allow>Sign in and allow</button>"
    "<button name=action value=deny formnovalidate>Deny</button>"
    "</form></body></html>";
  bool secure = cfg_.issuer.rfind("https://", 0) == 0;
  a.headers = {
    {"Cache-Control", "no-store"},
    {"X-Frame-Options", "DENY"}, // no clickjacking of the consent
    {"Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
     "frame-ancestors 'none'"},
    {"Referrer-Policy", "no-referrer"},
    // no Path: the default (RFC 6265 §5.1.4) is the form's own directory,
    // /api/v1/auth, or /db/api/v1/auth behind a gateway that adds /db
    {"Set-Cookie", cookie_name(id) + "=" + p.cookie +
                     "; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "")},
  };
  return a;
}

answer provider::authorize_get(const form_map& q, const std::string& issuer,
                               int64_t now_s) {
  auto& client_id = form_get(q, "client_id");
  auto& redirect = form_get(q, "redirect_uri");
  auto c = client_id.empty() ? std::nullopt : clients_.find(client_id);
  if (!c)
    return error_page(400, "Unknown or missing client_id.");
  if (redirect.empty() || !c->allows_redirect(redirect, issuer))
    return error_page(400, "The redirect_uri is missing or not registered "
                           "for this client.");
  // from here on errors go back to the client (§4.1.2.1)
  auto& state = form_get(q, "state");
  auto fail = [&](const char* e, const std::string& d) {
    return redirect_error(redirect, e, d,
                          state.size() <= max_state ? state : "", issuer);
  };
  if (state.size() > max_state)
    return fail("invalid_request", "state is too long");
  if (q.count("request"))
    return fail("request_not_supported", "");
  if (q.count("request_uri"))
    return fail("request_uri_not_supported", "");
  auto& rt = form_get(q, "response_type");
  if (rt.empty())
    return fail("invalid_request", "response_type is required");
  if (rt != "code")
    return fail("unsupported_response_type", "only response_type=code");
  auto& challenge = form_get(q, "code_challenge");
  std::string method = form_get(q, "code_challenge_method");
  if (!challenge.empty() && method.empty())
    method = "plain"; // RFC 7636 §4.3 default
  if (challenge.empty()) {
    if (!method.empty())
      return fail("invalid_request", "code_challenge_method without "
                                     "code_challenge");
    if (c->is_public)
      return fail("invalid_request",
                  "PKCE (code_challenge with S256) is required");
  } else {
    if (!pkce_valid_string(challenge))
      return fail("invalid_request", "malformed code_challenge");
    if (method == "plain" && !cfg_.allow_plain_pkce)
      return fail("invalid_request", "code_challenge_method plain is not "
                                     "allowed; use S256");
    if (method != "S256" && method != "plain")
      return fail("invalid_request", "unsupported code_challenge_method");
  }
  auto& scope = form_get(q, "scope");
  {
    std::istringstream in(scope);
    for (std::string w; in >> w;)
      if (!c->allows_scope(w))
        return fail("invalid_scope",
                    "scope " + w + " is not registered for this client");
  }
  if (form_get(q, "prompt").find("none") != std::string::npos)
    return fail("login_required", "themisd keeps no sign-in session");
  auto& nonce = form_get(q, "nonce");
  if (nonce.size() > 512)
    return fail("invalid_request", "nonce is too long");

  pending_login p;
  p.csrf = grant_store::random_token();
  p.cookie = grant_store::random_token();
  p.client_id = c->id;
  p.redirect_uri = redirect;
  p.scope = scope;
  p.state = state;
  p.nonce = nonce;
  p.challenge = challenge;
  p.method = challenge.empty() ? "" : method;
  p.expires_s = now_s + cfg_.login_ttl_s;
  auto id = grant_store::random_token();
  {
    std::lock_guard<std::mutex> g(pending_mtx_);
    if (pending_.size() >= cfg_.max_pending_logins)
      for (auto i = pending_.begin(); i != pending_.end();)
        i = i->second.expires_s <= now_s ? pending_.erase(i) : std::next(i);
    if (pending_.size() >= cfg_.max_pending_logins)
      return fail("temporarily_unavailable", "too many sign-ins in progress");
    pending_[id] = p;
  }
  return login_form(id, p, "", 200);
}

answer provider::authorize_post(const form_map& body, const std::string* cookie,
                                const std::string& issuer, int64_t now_s) {
  auto& id = form_get(body, "request_id");
  pending_login p;
  {
    std::lock_guard<std::mutex> g(pending_mtx_);
    auto i = pending_.find(id);
    if (id.empty() || i == pending_.end() || i->second.expires_s <= now_s) {
      if (i != pending_.end())
        pending_.erase(i);
      return error_page(400, "This sign-in expired or is unknown; go back "
                             "to the application and start again.");
    }
    // the CSRF token of the form and the cookie of the browser that
    // opened it: a cross-site POST has neither
    if (!same(form_get(body, "csrf_token"), i->second.csrf) ||
        !same(cookie_value(cookie, cookie_name(id)), i->second.cookie)) {
      if (++i->second.attempts >= max_attempts)
        pending_.erase(i);
      return error_page(403, "The form's CSRF token does not match this "
                             "sign-in.");
    }
    p = i->second;
  }
  if (form_get(body, "action") == "deny") {
    std::lock_guard<std::mutex> g(pending_mtx_);
    pending_.erase(id);
    return redirect_error(p.redirect_uri, "access_denied",
                          "the user denied the request", p.state, issuer);
  }
  auto& user = form_get(body, "username");
  auto& password = form_get(body, "password");
  std::optional<principal> who;
  if (!user.empty() && !password.empty() && users_.check(user, password))
    who = users_.find(user);
  auto c = clients_.find(p.client_id);
  if (!who || !c) {
    audit_note note{"oauth2.login", "denied", user, "",
                    "wrong user name or password at client " + p.client_id};
    std::lock_guard<std::mutex> g(pending_mtx_);
    auto i = pending_.find(id);
    if (i == pending_.end())
      return error_page(400, "This sign-in expired; start again.");
    answer a;
    if (++i->second.attempts >= max_attempts) {
      pending_.erase(i);
      a = redirect_error(p.redirect_uri, "access_denied",
                         "too many failed sign-in attempts", p.state, issuer);
    } else {
      a = login_form(id, i->second, "Wrong user name or password.", 401);
    }
    a.audit = std::move(note);
    return a;
  }
  {
    std::lock_guard<std::mutex> g(pending_mtx_);
    if (!pending_.erase(id)) // a double submit: the first one won
      return error_page(400, "This sign-in was already completed.");
  }
  code_grant g;
  g.client_id = c->id;
  g.user = who->user;
  g.tenant = who->tenant;
  g.scope = grant_scope(p.scope, *c, *who);
  g.nonce = p.nonce;
  g.auth_time_s = now_s;
  g.redirect_uri = p.redirect_uri;
  g.challenge = p.challenge;
  g.method = p.method;
  auto code = store_->issue_code(g, (now_s + cfg_.code_ttl_s) * 1000);
  std::vector<std::pair<std::string, std::string>> q = {{"code", code}};
  if (!p.state.empty())
    q.emplace_back("state", p.state);
  q.emplace_back("iss", issuer);
  answer a;
  a.status = 302;
  a.content_type.clear();
  a.headers = {{"Location", append_query(p.redirect_uri, q)},
               {"Cache-Control", "no-store"}};
  a.audit = audit_note{"oauth2.login", "ok", g.user, g.tenant,
                       "client " + c->id + ", scope " + g.scope};
  return a;
}

} // namespace themis::auth::oauth2
