#include "auth/saml/service_provider.hpp"

#include <fstream>
#include <sstream>

#include <openssl/rand.h>

#include "auth/oauth2/form_codec.hpp"
#include "auth/saml/xml_guard.hpp"
#include "themis/base64.hpp"

namespace themis::auth::saml {

namespace {

constexpr const char* acs_path = "/api/v1/auth/saml/acs";
constexpr const char* slo_path = "/api/v1/auth/saml/slo";
constexpr const char* metadata_path = "/api/v1/auth/saml/metadata";

bool read_small_file(const std::string& path, std::string& out,
                     std::string& error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot read " + path;
    return false;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  out = ss.str();
  if (out.size() > (4u << 20)) {
    error = path + " is larger than 4 MiB";
    return false;
  }
  return true;
}

std::string random_id() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  return themis::base64url_encode(
    std::string_view(reinterpret_cast<const char*>(b), sizeof b));
}

/// A local path to return to: "/…", not "//host" (an open redirect), no
/// backslashes or control characters, at most 512 bytes.
bool safe_return_to(const std::string& p) {
  if (p.empty())
    return true;
  if (p.size() > 512 || p[0] != '/' || (p.size() > 1 && p[1] == '/'))
    return false;
  for (unsigned char c : p)
    if (c < 0x21 || c == 0x7f || c == '\\' || c == '#')
      return false;
  return true;
}

} // namespace

std::string error_body(int status, const std::string& message) {
  return nlohmann::json{
    {"error", true}, {"message", message}, {"status_code", status}}
    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unique_ptr<service_provider>
service_provider::create(const saml_section& cfg, token_issuer tokens,
                         std::string& error) {
  if (cfg.base_url.empty()) {
    error = "saml.enabled needs saml.base_url (the URL browsers reach "
            "themisd at)";
    return nullptr;
  }
  if (cfg.idp_metadata_file.empty()) {
    error = "saml.enabled needs saml.idp_metadata_file";
    return nullptr;
  }
  if (cfg.sp_key_file.empty() != cfg.sp_cert_file.empty()) {
    error = "saml.sp_key_file and saml.sp_cert_file go together";
    return nullptr;
  }
  sp_urls urls;
  urls.acs_url = cfg.base_url + acs_path;
  urls.slo_url = cfg.base_url + slo_path;
  urls.entity_id =
    cfg.entity_id.empty() ? cfg.base_url + metadata_path : cfg.entity_id;
  lasso_options o;
  o.name_id_format = cfg.name_id_format;
  if (!read_small_file(cfg.idp_metadata_file, o.idp_metadata, error))
    return nullptr;
  if (!cfg.sp_key_file.empty() &&
      (!read_small_file(cfg.sp_key_file, o.key_pem, error) ||
       !read_small_file(cfg.sp_cert_file, o.cert_pem, error)))
    return nullptr;
  o.sp_metadata =
    sp_metadata_xml(urls, o.cert_pem, cfg.name_id_format, !o.key_pem.empty());
  auto l = lasso_sp::create(o, error);
  if (!l) {
    error = "saml: " + error;
    return nullptr;
  }
  if (!cfg.idp_entity_id.empty() && cfg.idp_entity_id != l->idp_entity_id()) {
    error = "saml.idp_entity_id '" + cfg.idp_entity_id +
            "' is not the IdP of saml.idp_metadata_file ('" +
            l->idp_entity_id() + "')";
    return nullptr;
  }
  auto attrs = attribute_map::create(cfg, error);
  if (!attrs)
    return nullptr;
  auto md = o.sp_metadata;
  return std::make_unique<service_provider>(
    cfg, std::move(l), std::move(*attrs), std::move(tokens), std::move(urls),
    std::move(md));
}

service_provider::service_provider(const saml_section& cfg,
                                   std::unique_ptr<lasso_sp> l,
                                   attribute_map attrs, token_issuer tokens,
                                   sp_urls urls, std::string metadata) :
  cfg_(cfg),
  lasso_(std::move(l)), attrs_(std::move(attrs)), tokens_(std::move(tokens)),
  urls_(std::move(urls)), metadata_(std::move(metadata)),
  requests_(cfg.max_pending_requests, cfg.request_ttl_s),
  replay_(cfg.max_replay_entries), sessions_(cfg.max_replay_entries) {}

saml_answer service_provider::refuse(int status, const std::string& message,
                                     const std::string& action,
                                     const std::string& user) const {
  saml_answer a;
  a.status = status;
  a.body = error_body(status, message);
  a.headers.emplace_back("Cache-Control", "no-store");
  a.audit = oauth2::audit_note{action, "denied", user, "", message};
  return a;
}

saml_answer service_provider::login(const std::string& return_to,
                                    int64_t now_s) {
  if (!safe_return_to(return_to)) {
    auto a = refuse(400, "return_to must be a local path (\"/…\", at most "
                         "512 bytes)");
    a.audit.reset();
    return a;
  }
  // RelayState: an opaque random value (SAML bindings §3.4.3: ≤ 80
  // bytes); the path to return to stays on this side
  auto relay = random_id();
  auto m = lasso_->authn_request(relay);
  if (!m.ok)
    return refuse(500, "cannot build the AuthnRequest: " + m.error);
  if (!requests_.add(m.id, pending_request{relay, return_to}, now_s))
    return refuse(500, "duplicate AuthnRequest id");
  saml_answer a;
  a.status = 302;
  a.content_type.clear();
  a.headers.emplace_back("Location", m.url);
  a.headers.emplace_back("Cache-Control", "no-store");
  return a;
}

saml_answer service_provider::acs(const std::string& saml_response,
                                  const std::string& relay_state,
                                  const std::string& issuer, int64_t now_s) {
  auto g = guard_post_message(saml_response, cfg_.max_response_bytes);
  switch (g.status) {
    case guard_status::ok:
      break;
    case guard_status::too_large:
      return refuse(413, g.error);
    default:
      return refuse(400, g.error);
  }
  auto r = lasso_->process_response(saml_response);
  switch (r.v) {
    case verdict::ok:
      break;
    case verdict::bad_signature:
      return refuse(401, "the SAML response's signature does not verify "
                         "against the IdP's certificate: " +
                           r.error);
    case verdict::idp_refused:
      return refuse(401, "the IdP refused the sign-in: " + r.error);
    default: // nothing verified: not signed in (401), whatever the cause
      return refuse(401, "unusable SAML response: " + r.error);
  }
  auto& f = r.facts;
  check_expectations e{urls_.entity_id, urls_.acs_url, idp_entity_id(),
                       static_cast<int64_t>(cfg_.clock_skew_s)};
  auto c = check_assertion(f, e, now_s);
  if (c.status != check_status::ok)
    return refuse(401, c.message, "saml.login", f.name_id);
  if (replay_.seen(f.id, now_s))
    return refuse(401, "the assertion " + f.id + " was already used (replay)",
                  "saml.login", f.name_id);
  if (c.in_response_to.empty())
    return refuse(401,
                  "unsolicited response: IdP-initiated sign-in is not "
                  "accepted; start at /api/v1/auth/saml/login",
                  "saml.login", f.name_id);
  auto pending = requests_.take(c.in_response_to, now_s);
  if (!pending)
    return refuse(401,
                  "InResponseTo names no outstanding request of this "
                  "SP (unknown, already answered, or older than "
                  "saml.request_ttl_s)",
                  "saml.login", f.name_id);
  if (!relay_state.empty() && relay_state != pending->relay_state)
    return refuse(401, "RelayState does not match the request's", "saml.login",
                  f.name_id);
  switch (replay_.use(f.id, c.valid_until_s, now_s)) {
    case replay_status::fresh:
      break;
    case replay_status::replayed:
      return refuse(401, "the assertion " + f.id + " was already used",
                    "saml.login", f.name_id);
    case replay_status::full:
      return refuse(503,
                    "too many recent sign-ins to track "
                    "(saml.max_replay_entries); try again later",
                    "saml.login", f.name_id);
  }
  std::string why;
  auto who = attrs_.map(f.name_id, f.attributes, why);
  if (!who)
    return refuse(403, why, "saml.login", f.name_id);

  std::string family;
  auto tok = tokens_.issue(*who, issuer, now_s, family);
  if (!tok.is_object() || !tok.contains("access_token"))
    return refuse(500, "cannot issue a token", "saml.login", who->user);
  int64_t ttl = tok.value("expires_in", int64_t{900});
  sessions_.add(f.name_id, f.session_index, family, now_s + ttl, now_s);

  saml_answer a;
  a.headers.emplace_back("Cache-Control", "no-store");
  a.audit = oauth2::audit_note{"saml.login", "ok", who->user, who->tenant,
                               "idp=" + idp_entity_id() + " assertion=" + f.id};
  if (!pending->return_to.empty()) {
    // the token rides in the fragment: browsers do not send it to servers
    // or put it in Referer; the page at return_to reads location.hash
    a.status = 303;
    a.content_type.clear();
    a.headers.emplace_back(
      "Location", pending->return_to + "#access_token=" +
                    oauth2::url_encode(tok["access_token"].get<std::string>()) +
                    "&token_type=Bearer&expires_in=" + std::to_string(ttl));
    return a;
  }
  tok["user"] = who->user;
  if (!who->tenant.empty())
    tok["tenant"] = who->tenant;
  a.body = tok.dump();
  return a;
}

saml_answer service_provider::idp_logout(const std::string& saml_request,
                                         int64_t now_s) {
  auto g = guard_post_message(saml_request, cfg_.max_response_bytes);
  if (g.status != guard_status::ok)
    return refuse(g.status == guard_status::too_large ? 413 : 400, g.error,
                  "saml.logout");
  auto r = lasso_->process_logout_request(saml_request);
  if (r.v == verdict::bad_signature)
    return refuse(401,
                  "the LogoutRequest's signature does not verify against "
                  "the IdP's certificate: " +
                    r.error,
                  "saml.logout");
  if (r.v != verdict::ok)
    return refuse(401, "unusable LogoutRequest: " + r.error, "saml.logout");
  if (!r.destination.empty() && r.destination != urls_.slo_url)
    return refuse(401,
                  "the LogoutRequest's Destination is not this SP's "
                  "SLO URL " +
                    urls_.slo_url,
                  "saml.logout", r.name_id);
  if (r.name_id.empty())
    return refuse(400, "the LogoutRequest has no NameID", "saml.logout");
  // Fresh and once only: the request travels through the browser, and a
  // captured one replayed later would end sessions made since
  constexpr int64_t logout_window_s = 300;
  auto skew = static_cast<int64_t>(cfg_.clock_skew_s);
  auto issued = parse_saml_time(r.issue_instant);
  auto until = parse_saml_time(r.not_on_or_after);
  if (r.id.empty() || !issued)
    return refuse(400, "the LogoutRequest has no ID or IssueInstant",
                  "saml.logout", r.name_id);
  if (*issued > now_s + skew || now_s > *issued + logout_window_s + skew ||
      (until && now_s > *until + skew))
    return refuse(401,
                  "the LogoutRequest is not fresh (issued " + r.issue_instant +
                    ", now " + format_saml_time(now_s) + ", skew " +
                    std::to_string(skew) + " s)",
                  "saml.logout", r.name_id);
  if (replay_.use("logout:" + r.id, *issued + logout_window_s + skew, now_s) !=
      replay_status::fresh)
    return refuse(401, "the LogoutRequest was used before", "saml.logout",
                  r.name_id);
  auto families = sessions_.take(r.name_id, r.session_index, now_s);
  for (auto& fam : families)
    tokens_.revoke(fam, now_s);
  saml_answer a;
  a.headers.emplace_back("Cache-Control", "no-store");
  a.audit = oauth2::audit_note{"saml.logout", "ok", r.name_id, "",
                               "sessions=" + std::to_string(families.size())};
  if (r.reply_url.empty()) {
    a.body = nlohmann::json{{"logged_out", families.size()}}.dump();
    return a;
  }
  // HTTP-POST binding back to the IdP: a self-submitting form
  a.content_type = "text/html; charset=utf-8";
  a.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'unsafe-inline'; "
                         "form-action " +
                           r.reply_url);
  a.body = "<!DOCTYPE html><html><body onload=\"document.forms[0].submit()\">"
           "<form method=\"post\" action=\"" +
           oauth2::html_escape(r.reply_url) +
           "\"><input type=\"hidden\" name=\"SAMLResponse\" value=\"" +
           oauth2::html_escape(r.reply_body) +
           "\"><noscript><button>Continue</button></noscript></form>"
           "</body></html>";
  return a;
}

saml_answer service_provider::local_logout(const std::string& family,
                                           const std::string& user,
                                           int64_t now_s) {
  if (family.empty())
    return refuse(400, "the token is not one a SAML sign-in issued",
                  "saml.logout", user);
  tokens_.revoke(family, now_s);
  sessions_.forget(family);
  saml_answer a;
  a.body = R"({"logged_out":1})";
  a.headers.emplace_back("Cache-Control", "no-store");
  a.audit = oauth2::audit_note{"saml.logout", "ok", user, "", "local"};
  return a;
}

saml_answer service_provider::metadata() const {
  saml_answer a;
  a.content_type = "application/samlmetadata+xml";
  a.body = metadata_;
  return a;
}

} // namespace themis::auth::saml
