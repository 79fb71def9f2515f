/// The OAuth2 / OIDC provider core (issue 24): form codec, PKCE (RFC 7636
/// appendix B), client registration and authentication, RS256 signing,
/// and the provider's flows end to end without HTTP — code lifecycle,
/// refresh rotation with reuse detection, client credentials,
/// introspection, revocation, persistence across a restart, and a block
/// of malformed inputs.

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "auth/jwt.hpp"
#include "auth/oauth2/client_assertion.hpp"
#include "auth/oauth2/client_registry.hpp"
#include "auth/oauth2/form_codec.hpp"
#include "auth/oauth2/pkce.hpp"
#include "auth/oauth2/provider.hpp"
#include "auth/oauth2/signing_key.hpp"
#include "auth/password.hpp"
#include "themis/base64.hpp"

using namespace themis;
using namespace themis::auth;
using namespace themis::auth::oauth2;

namespace {

constexpr int64_t t0 = 1800000000;
const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const std::string iss = "http://127.0.0.1:8765";
const std::string cb = "http://127.0.0.1:9999/cb";

std::string header(const answer& a, const std::string& name) {
  for (auto& [k, v] : a.headers)
    if (k == name)
      return v;
  return {};
}

/// The value of query parameter `name` in a Location.
std::string location_param(const answer& a, const std::string& name) {
  auto loc = header(a, "Location");
  auto q = loc.find('?');
  auto f = parse_form(q == std::string::npos ? "" : loc.substr(q + 1));
  return form_get(f.params, name);
}

std::string html_field(const std::string& html, const std::string& name) {
  std::smatch m;
  std::regex re("name=" + name + " value=\"([^\"]*)\"");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

struct temp_db {
  std::filesystem::path p;
  temp_db() {
    char tmpl[] = "/tmp/themis_oauth2_XXXXXX";
    p = mkdtemp(tmpl);
  }
  ~temp_db() { std::filesystem::remove_all(p); }
  std::string file() const { return (p / "auth.db").string(); }
};

struct fixture {
  oauth2_section cfg;
  std::unique_ptr<provider> p;
  bool alice_exists = true;

  explicit fixture(const std::string& db = ":memory:",
                   bool plain_pkce = false) {
    cfg.enabled = true;
    cfg.allow_plain_pkce = plain_pkce;
    cfg.clients = {
      "web secret=" + hash_password("s3cret", 1000) + " redirect_uri=" + cb +
        " post_logout_redirect_uri=http://127.0.0.1:9999/bye name=Web",
      "spa public redirect_uri=" + cb,
      "svc secret=svcpass redirect_uri=" + cb +
        " scope=data:read scope=query tenant=acme",
    };
    user_directory users;
    users.check = [](const std::string& u, const std::string& pw) {
      return u == "alice" && pw == "wonderland";
    };
    users.find = [this](const std::string& u) -> std::optional<principal> {
      if (u != "alice" || !alice_exists)
        return std::nullopt;
      return principal{"alice", "acme", {"data:read", "query"}, "password", {}};
    };
    std::string error;
    p = provider::create(cfg, db, 1000, users, {}, error);
    EXPECT_TRUE(p) << error;
  }

  form_map auth_request(const std::string& client = "web") {
    return {
      {"response_type", "code"},     {"client_id", client},
      {"redirect_uri", cb},          {"scope", "openid data:read data:write"},
      {"state", "st-123"},           {"nonce", "n-456"},
      {"code_challenge", challenge}, {"code_challenge_method", "S256"}};
  }

  /// The whole front channel: form, sign-in, the code.
  std::string code(const std::string& client = "web", int64_t now = t0) {
    auto form = p->authorize_get(auth_request(client), iss, now);
    EXPECT_EQ(form.status, 200) << form.body;
    auto cookie = header(form, "Set-Cookie");
    cookie = cookie.substr(0, cookie.find(';'));
    form_map post = {{"request_id", html_field(form.body, "request_id")},
                     {"csrf_token", html_field(form.body, "csrf_token")},
                     {"username", "alice"},
                     {"password", "wonderland"},
                     {"action", "allow"}};
    auto r = p->authorize_post(post, &cookie, iss, now);
    EXPECT_EQ(r.status, 302) << r.body;
    EXPECT_EQ(location_param(r, "state"), "st-123");
    EXPECT_EQ(location_param(r, "iss"), iss);
    return location_param(r, "code");
  }

  answer exchange(const std::string& code, const std::string& v = verifier,
                  int64_t now = t0) {
    std::string basic = "Basic " + base64_encode("web:s3cret");
    return p->token({{"grant_type", "authorization_code"},
                     {"code", code},
                     {"redirect_uri", cb},
                     {"code_verifier", v}},
                    &basic, iss, now);
  }

  answer refresh(const std::string& rt, int64_t now = t0) {
    return p->token({{"grant_type", "refresh_token"},
                     {"refresh_token", rt},
                     {"client_id", "web"},
                     {"client_secret", "s3cret"}},
                    nullptr, iss, now);
  }
};

nlohmann::json body(const answer& a) {
  return nlohmann::json::parse(a.body);
}

} // namespace

TEST(oauth2_form, parses_and_refuses_repeats) {
  auto f = parse_form("a=1&b=x+y%21&c=&&d");
  ASSERT_TRUE(f.ok);
  EXPECT_EQ(form_get(f.params, "b"), "x y!");
  EXPECT_EQ(f.params.count("c"), 0u); // empty counts as absent
  EXPECT_FALSE(parse_form("a=1&a=2").ok);
  EXPECT_FALSE(parse_form("a=%zz").ok);
  EXPECT_FALSE(parse_form("a=%4").ok);
  EXPECT_FALSE(parse_form("a=%00").ok);
  form_limits lim;
  lim.max_params = 2;
  EXPECT_FALSE(parse_form("a=1&b=2&c=3", lim).ok);
  EXPECT_FALSE(parse_form(std::string(70000, 'a')).ok);
  EXPECT_EQ(append_query("http://x/cb?k=1", {{"code", "a b&"}}),
            "http://x/cb?k=1&code=a%20b%26");
  EXPECT_EQ(html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(oauth2_pkce, rfc7636_appendix_b) {
  EXPECT_EQ(pkce_s256(verifier), challenge);
  EXPECT_TRUE(pkce_verify("S256", challenge, verifier));
  EXPECT_FALSE(pkce_verify("S256", challenge, verifier.substr(1) + "A"));
  EXPECT_TRUE(pkce_verify("plain", verifier, verifier));
  EXPECT_FALSE(pkce_verify("S512", challenge, verifier));
  EXPECT_FALSE(pkce_valid_string("short"));
  EXPECT_FALSE(pkce_valid_string(std::string(129, 'a')));
  EXPECT_FALSE(pkce_valid_string(std::string(43, '+')));
}

TEST(oauth2_clients, entries_and_authentication) {
  oauth2_client c;
  std::string e;
  EXPECT_FALSE(parse_client_entry("x redirect_uri=http://a/cb#frag", c, e));
  EXPECT_FALSE(parse_client_entry("x secret=a", c, e)); // no redirect
  EXPECT_FALSE(
    parse_client_entry("x public secret=a redirect_uri=http://a/", c, e));
  EXPECT_FALSE(parse_client_entry("x redirect_uri=ftp://a/", c, e));
  EXPECT_FALSE(parse_client_entry("x bogus redirect_uri=http://a/", c, e));
  EXPECT_FALSE(parse_client_entry("x secret=a redirect_uri=http://a/ "
                                  "tenant=Bad!",
                                  c, e));
  ASSERT_TRUE(parse_client_entry("x secret=pw redirect_uri=http://a/cb", c, e))
    << e;
  EXPECT_TRUE(c.has_redirect("http://a/cb"));
  EXPECT_FALSE(c.has_redirect("http://a/cb/")); // exact match only
  EXPECT_FALSE(c.has_redirect("HTTP://a/cb"));

  client_registry reg;
  reg.add(c);
  oauth2_client pub;
  ASSERT_TRUE(parse_client_entry("p public redirect_uri=http://a/cb", pub, e));
  reg.add(pub);
  std::string basic = "Basic " + base64_encode("x:pw");
  EXPECT_TRUE(authenticate_client(reg, {}, &basic).ok);
  std::string wrong = "Basic " + base64_encode("x:nope");
  EXPECT_EQ(authenticate_client(reg, {}, &wrong).error, "invalid_client");
  EXPECT_TRUE(authenticate_client(
                reg, {{"client_id", "x"}, {"client_secret", "pw"}}, nullptr)
                .ok);
  auto both = authenticate_client(reg, {{"client_secret", "pw"}}, &basic);
  EXPECT_EQ(both.error, "invalid_request");
  EXPECT_FALSE(authenticate_client(reg, {{"client_id", "x"}}, nullptr).ok);
  EXPECT_TRUE(authenticate_client(reg, {{"client_id", "p"}}, nullptr).ok);
  EXPECT_FALSE(authenticate_client(
                 reg, {{"client_id", "p"}, {"client_secret", "z"}}, nullptr)
                 .ok);
  EXPECT_FALSE(authenticate_client(reg, {{"client_id", "nobody"}}, nullptr).ok);
  std::string garbage = "Basic !!!";
  EXPECT_FALSE(authenticate_client(reg, {}, &garbage).ok);
}

TEST(oauth2_keys, rs256_signature_verifies_and_kid_is_stable) {
  std::string e;
  auto k = signing_key::generate(e);
  ASSERT_TRUE(k) << e;
  auto again = signing_key::from_pem(k->private_pem(), e);
  ASSERT_TRUE(again) << e;
  EXPECT_EQ(k->kid(), again->kid()); // RFC 7638 thumbprint
  auto jwt = k->sign_jwt({{"sub", "a"}, {"exp", t0 + 10}});
  jwks set;
  size_t skipped = 0;
  ASSERT_TRUE(set.add_json(nlohmann::json{{"keys", {k->public_jwk()}}}.dump(),
                           skipped, e));
  EXPECT_EQ(verify_jwt(jwt, set, {}, t0).status, jwt_status::ok);
  auto forged = jwt;
  forged[forged.size() - 3] ^= 1;
  EXPECT_NE(verify_jwt(forged, set, {}, t0).status, jwt_status::ok);
  EXPECT_FALSE(signing_key::from_pem("-----BEGIN nonsense", e));
}

TEST(oauth2_flow, code_exchange_issues_tokens_once) {
  fixture f;
  auto code = f.code();
  ASSERT_FALSE(code.empty());
  auto r = f.exchange(code);
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = body(r);
  EXPECT_EQ(j["token_type"], "Bearer");
  // data:write was asked for, alice lacks it: narrowed
  EXPECT_EQ(j["scope"], "openid data:read");
  std::string error;
  bool mine = false;
  auto at = f.p->verify_access_token(j["access_token"].get<std::string>(), t0,
                                     error, mine);
  ASSERT_TRUE(at) << error;
  EXPECT_EQ((*at)["tenant"], "acme");
  EXPECT_EQ((*at)["sub"], "alice");
  // the ID token carries the nonce and is not an access token
  auto id = j["id_token"].get<std::string>();
  EXPECT_FALSE(f.p->verify_access_token(id, t0, error, mine));
  EXPECT_TRUE(mine);
  std::string payload;
  ASSERT_TRUE(base64url_decode(
    id.substr(id.find('.') + 1, id.rfind('.') - id.find('.') - 1), payload));
  auto claims = nlohmann::json::parse(payload);
  EXPECT_EQ(claims["nonce"], "n-456");
  EXPECT_EQ(claims["aud"], "web");
  // a second exchange of the same code: invalid_grant, and the tokens the
  // first one issued are revoked (RFC 6749 §4.1.2)
  auto again = f.exchange(code);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(body(again)["error"], "invalid_grant");
  ASSERT_TRUE(again.audit); // a replay is an event for the audit log
  EXPECT_EQ(again.audit->action, "oauth2.reuse");
  EXPECT_EQ(again.audit->user, "alice");
  EXPECT_FALSE(f.p->verify_access_token(j["access_token"].get<std::string>(),
                                        t0, error, mine));
  EXPECT_EQ(body(f.refresh(j["refresh_token"])).value("error", ""),
            "invalid_grant");
}

TEST(oauth2_flow, pkce_mismatch_expiry_and_redirect_checks) {
  fixture f;
  auto bad = f.exchange(f.code(), std::string(43, 'x'));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(body(bad)["error"], "invalid_grant");
  // a code lives 60 s
  auto late = f.exchange(f.code(), verifier, t0 + 61);
  EXPECT_EQ(body(late)["error"], "invalid_grant");
  // a code is bound to its client
  std::string other = "Basic " + base64_encode("svc:svcpass");
  auto stolen = f.p->token({{"grant_type", "authorization_code"},
                            {"code", f.code()},
                            {"redirect_uri", cb},
                            {"code_verifier", verifier}},
                           &other, iss, t0);
  EXPECT_EQ(body(stolen)["error"], "invalid_grant");
  auto wrong_cb = f.p->token({{"grant_type", "authorization_code"},
                              {"code", f.code()},
                              {"redirect_uri", cb + "x"},
                              {"code_verifier", verifier},
                              {"client_id", "web"},
                              {"client_secret", "s3cret"}},
                             nullptr, iss, t0);
  EXPECT_EQ(body(wrong_cb)["error"], "invalid_grant");
  std::string basic = "Basic " + base64_encode("web:wrong");
  auto unauth =
    f.p->token({{"grant_type", "authorization_code"}}, &basic, iss, t0);
  EXPECT_EQ(unauth.status, 401);
  EXPECT_EQ(body(unauth)["error"], "invalid_client");
}

TEST(oauth2_flow, refresh_rotation_and_reuse_detection) {
  fixture f;
  auto j = body(f.exchange(f.code()));
  std::string rt1 = j["refresh_token"];
  auto r2 = f.refresh(rt1, t0 + 10);
  ASSERT_EQ(r2.status, 200) << r2.body;
  std::string rt2 = body(r2)["refresh_token"];
  std::string at2 = body(r2)["access_token"];
  EXPECT_NE(rt1, rt2);
  auto r3 = f.refresh(rt2, t0 + 20);
  ASSERT_EQ(r3.status, 200);
  std::string rt3 = body(r3)["refresh_token"];
  // rt1 again: stolen and replayed — the whole family goes
  auto reuse = f.refresh(rt1, t0 + 30);
  EXPECT_EQ(reuse.status, 400);
  EXPECT_EQ(body(reuse)["error"], "invalid_grant");
  EXPECT_EQ(body(f.refresh(rt3, t0 + 31))["error"], "invalid_grant");
  std::string error;
  bool mine = false;
  EXPECT_FALSE(f.p->verify_access_token(at2, t0 + 32, error, mine));
  // another client cannot use it (and does not revoke it)
  auto j2 = body(f.exchange(f.code()));
  std::string other = "Basic " + base64_encode("svc:svcpass");
  auto foreign = f.p->token(
    {{"grant_type", "refresh_token"}, {"refresh_token", j2["refresh_token"]}},
    &other, iss, t0);
  EXPECT_EQ(body(foreign)["error"], "invalid_grant");
  EXPECT_EQ(f.refresh(j2["refresh_token"]).status, 200);
  // a removed user's refresh ends
  auto j3 = body(f.exchange(f.code()));
  f.alice_exists = false;
  EXPECT_EQ(body(f.refresh(j3["refresh_token"]))["error"], "invalid_grant");
}

TEST(oauth2_flow, authorize_errors_follow_rfc6749_4_1_2_1) {
  fixture f;
  auto q = f.auth_request();
  q["client_id"] = "nobody";
  auto a = f.p->authorize_get(q, iss, t0);
  EXPECT_EQ(a.status, 400); // never redirect for an unknown client
  EXPECT_TRUE(header(a, "Location").empty());
  q = f.auth_request();
  q["redirect_uri"] = cb + "/evil";
  EXPECT_EQ(f.p->authorize_get(q, iss, t0).status, 400);
  q = f.auth_request();
  q.erase("redirect_uri");
  EXPECT_EQ(f.p->authorize_get(q, iss, t0).status, 400);
  q = f.auth_request();
  q["response_type"] = "token";
  a = f.p->authorize_get(q, iss, t0);
  EXPECT_EQ(a.status, 302);
  EXPECT_EQ(location_param(a, "error"), "unsupported_response_type");
  EXPECT_EQ(location_param(a, "state"), "st-123");
  q = f.auth_request("spa");
  q.erase("code_challenge");
  q.erase("code_challenge_method");
  EXPECT_EQ(location_param(f.p->authorize_get(q, iss, t0), "error"),
            "invalid_request"); // a public client must use PKCE
  q = f.auth_request("spa");
  q["code_challenge_method"] = "plain";
  q["code_challenge"] = verifier;
  EXPECT_EQ(location_param(f.p->authorize_get(q, iss, t0), "error"),
            "invalid_request"); // plain refused by default
  q = f.auth_request("svc");
  q["scope"] = "admin";
  EXPECT_EQ(location_param(f.p->authorize_get(q, iss, t0), "error"),
            "invalid_scope");
  q = f.auth_request();
  q["prompt"] = "none";
  EXPECT_EQ(location_param(f.p->authorize_get(q, iss, t0), "error"),
            "login_required");

  // the form: a wrong CSRF token or cookie is refused, deny redirects
  auto form = f.p->authorize_get(f.auth_request(), iss, t0);
  auto cookie = header(form, "Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  form_map post = {{"request_id", html_field(form.body, "request_id")},
                   {"csrf_token", "forged"},
                   {"username", "alice"},
                   {"password", "wonderland"}};
  EXPECT_EQ(f.p->authorize_post(post, &cookie, iss, t0).status, 403);
  post["csrf_token"] = html_field(form.body, "csrf_token");
  std::string other_cookie = "themis_login_x=y";
  EXPECT_EQ(f.p->authorize_post(post, &other_cookie, iss, t0).status, 403);
  post["password"] = "guess";
  auto wrong_pw = f.p->authorize_post(post, &cookie, iss, t0);
  EXPECT_EQ(wrong_pw.status, 401);
  ASSERT_TRUE(wrong_pw.audit);
  EXPECT_EQ(wrong_pw.audit->action, "oauth2.login");
  EXPECT_EQ(wrong_pw.audit->outcome, "denied");
  post["action"] = "deny";
  a = f.p->authorize_post(post, &cookie, iss, t0);
  EXPECT_EQ(location_param(a, "error"), "access_denied");
  // and the request is gone
  EXPECT_EQ(f.p->authorize_post(post, &cookie, iss, t0).status, 400);
  // an expired sign-in
  form = f.p->authorize_get(f.auth_request(), iss, t0);
  post["request_id"] = html_field(form.body, "request_id");
  post["csrf_token"] = html_field(form.body, "csrf_token");
  EXPECT_EQ(f.p->authorize_post(post, &cookie, iss, t0 + 601).status, 400);
}

TEST(oauth2_flow, client_credentials_introspection_revocation) {
  fixture f;
  std::string svc = "Basic " + base64_encode("svc:svcpass");
  auto cc = f.p->token({{"grant_type", "client_credentials"}}, &svc, iss, t0);
  ASSERT_EQ(cc.status, 200) << cc.body;
  EXPECT_EQ(body(cc)["scope"], "data:read query");
  EXPECT_FALSE(body(cc).contains("refresh_token"));
  EXPECT_EQ(
    body(f.p->token({{"grant_type", "client_credentials"}, {"scope", "admin"}},
                    &svc, iss, t0))["error"],
    "invalid_scope");
  EXPECT_EQ(body(f.p->token(
              {{"grant_type", "client_credentials"}, {"client_id", "spa"}},
              nullptr, iss, t0))["error"],
            "unauthorized_client");
  EXPECT_EQ(
    body(f.p->token({{"grant_type", "password"}}, &svc, iss, t0))["error"],
    "unsupported_grant_type");

  std::string at = body(cc)["access_token"];
  auto in = body(f.p->introspect({{"token", at}}, &svc, iss, t0));
  EXPECT_EQ(in["active"], true);
  EXPECT_EQ(in["client_id"], "svc");
  EXPECT_EQ(in["tenant"], "acme");
  EXPECT_EQ(
    body(f.p->introspect({{"token", "garbage"}}, &svc, iss, t0))["active"],
    false);
  EXPECT_EQ(
    body(f.p->introspect({{"token", at}}, &svc, iss, t0 + 901))["active"],
    false);
  EXPECT_EQ(
    f.p->introspect({{"token", at}, {"client_id", "spa"}}, nullptr, iss, t0)
      .status,
    401);
  EXPECT_EQ(f.p->revoke({{"token", at}}, &svc, iss, t0).status, 200);
  EXPECT_EQ(body(f.p->introspect({{"token", at}}, &svc, iss, t0))["active"],
            false);

  auto j = body(f.exchange(f.code()));
  std::string web = "Basic " + base64_encode("web:s3cret");
  EXPECT_EQ(body(f.p->introspect({{"token", j["refresh_token"]}}, &web, iss,
                                 t0))["active"],
            true);
  // another client neither sees nor revokes it
  EXPECT_EQ(body(f.p->introspect({{"token", j["refresh_token"]}}, &svc, iss,
                                 t0))["active"],
            false);
  f.p->revoke({{"token", j["refresh_token"]}}, &svc, iss, t0);
  EXPECT_EQ(f.refresh(j["refresh_token"]).status, 200);
  auto j2 = body(f.exchange(f.code()));
  f.p->revoke(
    {{"token", j2["refresh_token"]}, {"token_type_hint", "refresh_token"}},
    &web, iss, t0);
  EXPECT_EQ(body(f.refresh(j2["refresh_token"]))["error"], "invalid_grant");
  EXPECT_EQ(
    f.p->revoke({{"token", "x"}, {"token_type_hint", "bogus"}}, &web, iss, t0)
      .status,
    400);

  std::string bearer = "Bearer " + j2["access_token"].get<std::string>();
  EXPECT_EQ(f.p->userinfo(&bearer, t0).status, 401); // family revoked
  auto j3 = body(f.exchange(f.code()));
  bearer = "Bearer " + j3["access_token"].get<std::string>();
  auto ui = f.p->userinfo(&bearer, t0);
  ASSERT_EQ(ui.status, 200) << ui.body;
  EXPECT_EQ(body(ui)["sub"], "alice");
  std::string cc_bearer = "Bearer " + at;
  EXPECT_EQ(f.p->userinfo(&cc_bearer, t0).status, 401);
  EXPECT_EQ(f.p->userinfo(nullptr, t0).status, 401);
}

TEST(oauth2_flow, state_survives_a_restart_and_keys_rotate) {
  temp_db dir;
  std::string rt, at, kid;
  {
    fixture f(dir.file());
    auto j = body(f.exchange(f.code()));
    rt = j["refresh_token"];
    at = j["access_token"];
    kid = f.p->jwks()["keys"][0]["kid"];
    auto rot = f.p->admin_rotate_keys(t0);
    ASSERT_EQ(rot.status, 200);
    EXPECT_EQ(f.p->jwks()["keys"].size(), 2u);
    EXPECT_EQ(f.p->jwks()["keys"][1]["kid"], kid); // previous stays
    auto created = f.p->admin_create_client(
      {{"client_id", "api1"}, {"redirect_uris", {cb}}});
    ASSERT_EQ(created.status, 201) << created.body;
    EXPECT_FALSE(body(created)["client_secret"].get<std::string>().empty());
  }
  fixture f(dir.file());
  EXPECT_EQ(f.p->jwks()["keys"].size(), 2u);
  EXPECT_NE(f.p->jwks()["keys"][0]["kid"], kid);
  std::string error;
  bool mine = false;
  EXPECT_TRUE(f.p->verify_access_token(at, t0, error, mine)) << error;
  EXPECT_TRUE(f.p->clients().find("api1"));
  EXPECT_EQ(f.refresh(rt).status, 200);
  EXPECT_EQ(body(f.refresh(rt))["error"], "invalid_grant"); // reuse
}

TEST(oauth2_bad_input, malformed_requests_end_in_errors) {
  fixture f;
  std::string web = "Basic " + base64_encode("web:s3cret");
  for (auto* code : {"", "x", "....", "\xff\xfe"}) {
    auto r = f.p->token({{"grant_type", "authorization_code"}, {"code", code}},
                        &web, iss, t0);
    EXPECT_EQ(r.status, 400);
  }
  EXPECT_EQ(f.p
              ->token({{"grant_type", "authorization_code"},
                       {"code", std::string(10000, 'a')}},
                      &web, iss, t0)
              .status,
            400);
  EXPECT_EQ(body(f.p->token({}, &web, iss, t0))["error"], "invalid_request");
  for (auto* tok : {"", "eyJ", "eyJhbGciOiJub25lIn0.e30.", "a.b.c",
                    "eyJraWQiOiJ4In0.e30.AA"}) {
    std::string e;
    bool mine = true;
    EXPECT_FALSE(f.p->verify_access_token(tok, t0, e, mine));
  }
  auto q = f.auth_request();
  q["state"] = std::string(5000, 's');
  auto a = f.p->authorize_get(q, iss, t0);
  EXPECT_EQ(location_param(a, "error"), "invalid_request");
  EXPECT_TRUE(location_param(a, "state").empty());
  q = f.auth_request();
  q["code_challenge"] = "short";
  EXPECT_EQ(location_param(f.p->authorize_get(q, iss, t0), "error"),
            "invalid_request");
  EXPECT_EQ(f.p->end_session({{"id_token_hint", "junk"}}, t0).status, 400);
  EXPECT_EQ(f.p
              ->end_session({{"client_id", "web"},
                             {"post_logout_redirect_uri", "http://evil/"}},
                            t0)
              .status,
            400);
  auto bye =
    f.p->end_session({{"client_id", "web"},
                      {"post_logout_redirect_uri", "http://127.0.0.1:9999/bye"},
                      {"state", "s1"}},
                     t0);
  EXPECT_EQ(bye.status, 302);
  EXPECT_EQ(header(bye, "Location"), "http://127.0.0.1:9999/bye?state=s1");
}

TEST(oauth2_flow, plain_pkce_only_when_allowed) {
  fixture f(":memory:", true);
  auto q = f.auth_request("spa");
  q["code_challenge_method"] = "plain";
  q["code_challenge"] = verifier;
  EXPECT_EQ(f.p->authorize_get(q, iss, t0).status, 200);
  EXPECT_EQ(f.p->metadata(iss, true)["code_challenge_methods_supported"].size(),
            2u);
}

TEST(oauth2_flow, private_key_jwt_client_authentication) {
  temp_db dir;
  std::string e;
  auto client_key = signing_key::generate(e); // the client's own key pair
  ASSERT_TRUE(client_key) << e;
  // its public half as PEM, through a JWKS round trip is not needed: the
  // provider takes PEM; write it with OpenSSL via the JWK
  auto pem_path = dir.p / "client.pub";
  {
    auto priv = client_key->private_pem();
    std::string cmd = "printf '%s' '" + priv +
                      "' | openssl pkey -pubout -out " + pem_path.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  oauth2_section cfg;
  cfg.enabled = true;
  cfg.clients = {"jwtc public_key_file=" + pem_path.string() +
                 " redirect_uri=" + cb + " scope=data:read"};
  user_directory users;
  users.check = [](const std::string&, const std::string&) { return false; };
  users.find = [](const std::string&) { return std::nullopt; };
  auto p = provider::create(cfg, ":memory:", 1000, users, {}, e);
  ASSERT_TRUE(p) << e;
  auto assertion = [&](const std::string& jti, const std::string& aud,
                       int64_t exp = t0 + 60) {
    return client_key->sign_jwt({{"iss", "jwtc"},
                                 {"sub", "jwtc"},
                                 {"aud", aud},
                                 {"jti", jti},
                                 {"exp", exp}});
  };
  auto grant = [&](const std::string& a) {
    return p->token({{"grant_type", "client_credentials"},
                     {"client_assertion_type", jwt_bearer_assertion},
                     {"client_assertion", a}},
                    nullptr, iss, t0);
  };
  auto ok = grant(assertion("j1", iss + "/api/v1/auth/token"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(body(ok)["scope"], "data:read");
  // the same jti again is a replay
  EXPECT_EQ(grant(assertion("j1", iss + "/api/v1/auth/token")).status, 401);
  EXPECT_EQ(grant(assertion("j2", "http://other")).status, 401);
  EXPECT_EQ(grant(assertion("j3", iss, t0 - 100)).status, 401);  // expired
  EXPECT_EQ(grant(assertion("j4", iss, t0 + 7200)).status, 401); // too long
  EXPECT_EQ(grant(assertion("j5", iss)).status, 200);            // aud = issuer
  // signed by another key
  auto other = signing_key::generate(e);
  EXPECT_EQ(grant(other->sign_jwt({{"iss", "jwtc"},
                                   {"sub", "jwtc"},
                                   {"aud", iss},
                                   {"jti", "j6"},
                                   {"exp", t0 + 60}}))
              .status,
            401);
  EXPECT_EQ(grant("not.a.jwt").status, 401);
  auto wrong_type = p->token({{"grant_type", "client_credentials"},
                              {"client_assertion_type", "urn:other"},
                              {"client_assertion", "x"}},
                             nullptr, iss, t0);
  EXPECT_EQ(body(wrong_type)["error"], "invalid_request");
  auto meta = p->metadata(iss, true);
  auto methods = meta["token_endpoint_auth_methods_supported"];
  EXPECT_NE(std::find(methods.begin(), methods.end(), "private_key_jwt"),
            methods.end());
}

TEST(oauth2_flow, es256_keys_sign_id_and_access_tokens) {
  temp_db dir;
  std::string rs_kid;
  {
    fixture f(dir.file());
    rs_kid = f.p->jwks()["keys"][0]["kid"];
  }
  {
    // switching algorithms is a rotation: a new ES256 key, the RSA one
    // stays published; the choice survives a restart
    fixture f(dir.file());
    EXPECT_EQ(f.p->admin_rotate_keys(t0, "HS256").status, 400);
    ASSERT_EQ(f.p->admin_rotate_keys(t0, "ES256").status, 200);
  }
  fixture f(dir.file());
  auto keys = f.p->jwks()["keys"];
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0]["kty"], "EC");
  EXPECT_EQ(keys[0]["crv"], "P-256");
  EXPECT_EQ(keys[1]["kid"], rs_kid);
  EXPECT_EQ(f.p->metadata(iss, true)["id_token_signing_alg_values_supported"],
            nlohmann::json::array({"ES256"}));
  auto j = body(f.exchange(f.code()));
  std::string id = j["id_token"];
  std::string head;
  ASSERT_TRUE(base64url_decode(id.substr(0, id.find('.')), head));
  EXPECT_EQ(nlohmann::json::parse(head)["alg"], "ES256");
  jwks set;
  size_t skipped = 0;
  std::string e;
  ASSERT_TRUE(set.add_json(f.p->jwks().dump(), skipped, e)) << e;
  EXPECT_EQ(skipped, 0u);
  EXPECT_EQ(verify_jwt(id, set, {}, t0).status, jwt_status::ok);
  bool mine = false;
  EXPECT_TRUE(
    f.p->verify_access_token(j["access_token"].get<std::string>(), t0, e, mine))
    << e;
  std::string ek;
  auto k = signing_key::generate(ek, "ES256");
  ASSERT_TRUE(k) << ek;
  auto again = signing_key::from_pem(k->private_pem(), ek);
  ASSERT_TRUE(again) << ek;
  EXPECT_EQ(again->kid(), k->kid());
  EXPECT_FALSE(signing_key::generate(ek, "HS256"));
}
