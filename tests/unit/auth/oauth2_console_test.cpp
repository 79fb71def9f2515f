/// The web console's built-in OAuth2 client (issue 29, docs/console.md):
/// its redirect URI is the console page under the origin of the issuer —
/// at the root or under a gateway's path prefix — and nothing else; a
/// block of hostile URIs; the provider's authorize and end_session with
/// it; the configuration switch.

#include <gtest/gtest.h>

#include "auth/oauth2/client_registry.hpp"
#include "auth/oauth2/provider.hpp"

using namespace themis;
using namespace themis::auth::oauth2;

namespace {

const std::string iss = "http://127.0.0.1:8765";
const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

std::unique_ptr<provider> make(bool console_client = true) {
  oauth2_section cfg;
  cfg.enabled = true;
  cfg.console_client = console_client;
  user_directory users;
  users.check = [](const std::string&, const std::string&) { return false; };
  users.find = [](const std::string&) -> std::optional<principal> {
    return std::nullopt;
  };
  std::string error;
  auto p = provider::create(cfg, ":memory:", 1000, users, {}, error);
  EXPECT_TRUE(p) << error;
  return p;
}

form_map request(const std::string& redirect) {
  return {{"response_type", "code"},     {"client_id", console_client_id},
          {"redirect_uri", redirect},    {"state", "s"},
          {"code_challenge", challenge}, {"code_challenge_method", "S256"}};
}

} // namespace

TEST(oauth2_console, redirect_is_the_console_under_the_issuer_origin) {
  for (auto* ok : {"/console/", "/db/console/", "/a/b.c/~x_y-z/console/"})
    EXPECT_TRUE(console_redirect(iss + ok, iss)) << ok;
  // a path issuer: its origin counts, the prefix is free
  EXPECT_TRUE(console_redirect("https://db.example/x/console/",
                               "https://db.example/themis"));
  EXPECT_TRUE(
    console_redirect("https://db.example/console/", "https://db.example"));
}

TEST(oauth2_console, hostile_redirects_are_refused) {
  for (auto* bad : {
         "http://evil.example/console/",
         "http://127.0.0.1:87650/console/",             // a longer port
         "http://127.0.0.1:8765@evil.example/console/", // userinfo trick
         "http://127.0.0.1:8765.evil.example/console/",
         "https://127.0.0.1:8765/console/", // another scheme
         "http://127.0.0.1:8765/console",   // not the page
         "http://127.0.0.1:8765/console/x",
         "http://127.0.0.1:8765/console/?next=http://evil.example/",
         "http://127.0.0.1:8765/console/#frag",
         "http://127.0.0.1:8765//console/",
         "http://127.0.0.1:8765/../console/",
         "http://127.0.0.1:8765/.hidden/console/",
         "http://127.0.0.1:8765/a%2f/console/",
         "http://127.0.0.1:8765/a b/console/",
         "http://127.0.0.1:8765/a\\b/console/",
         "http://127.0.0.1:8765/1/2/3/4/5/6/7/8/9/console/", // > 8 segments
         "",
         "/console/",
       })
    EXPECT_FALSE(console_redirect(bad, iss)) << bad;
  EXPECT_FALSE(console_redirect(iss + "/console/", "no-scheme"));
  EXPECT_FALSE(console_redirect("http:///console/", "http://"));
  EXPECT_FALSE(
    console_redirect(iss + std::string(2000, 'a') + "/console/", iss));
}

TEST(oauth2_console, the_built_in_client) {
  auto c = make_console_client();
  EXPECT_EQ(c.id, "themis-console");
  EXPECT_TRUE(c.is_public && c.console && c.from_config);
  EXPECT_TRUE(c.secret_hash.empty());
  EXPECT_TRUE(c.allows_scope("admin")); // the user's scopes decide
  EXPECT_TRUE(c.allows_redirect(iss + "/console/", iss));
  EXPECT_FALSE(c.allows_redirect(iss + "/console/", "http://other:1"));
  EXPECT_TRUE(c.allows_logout_redirect(iss + "/db/console/", iss));
  // another client gets no such rule
  oauth2_client other;
  other.id = "spa";
  EXPECT_FALSE(other.allows_redirect(iss + "/console/", iss));
  auto j = c.to_json(false);
  EXPECT_EQ(j["console"], true);
  EXPECT_EQ(j["token_endpoint_auth_method"], "none");
}

TEST(oauth2_console, authorize_and_logout_with_the_provider) {
  auto p = make();
  auto form = p->authorize_get(request(iss + "/db/console/"), iss, 1);
  EXPECT_EQ(form.status, 200) << form.body;
  EXPECT_NE(form.body.find("themisd console"), std::string::npos);
  auto bad = p->authorize_get(request("http://evil.example/console/"), iss, 1);
  EXPECT_EQ(bad.status, 400); // a page, no redirect (RFC 6749 §4.1.2.1)
  auto no_pkce = request(iss + "/console/");
  no_pkce.erase("code_challenge");
  no_pkce.erase("code_challenge_method");
  EXPECT_EQ(p->authorize_get(no_pkce, iss, 1).status, 302); // invalid_request
  auto out = p->end_session({{"client_id", console_client_id},
                             {"post_logout_redirect_uri", iss + "/console/"}},
                            1, iss);
  EXPECT_EQ(out.status, 302);
  EXPECT_EQ(p->end_session(
               {{"client_id", console_client_id},
                {"post_logout_redirect_uri", "http://evil.example/console/"}},
               1, iss)
              .status,
            400);
  // the admin API neither replaces nor deletes it
  EXPECT_EQ(p->admin_create_client({{"client_id", "themis-console"},
                                    {"public", true},
                                    {"redirect_uris", {"http://x/cb"}}})
              .status,
            409);
  EXPECT_EQ(p->admin_delete_client("themis-console").status, 409);
}

TEST(oauth2_console, can_be_turned_off) {
  auto p = make(false);
  EXPECT_FALSE(p->clients().find("themis-console"));
  EXPECT_EQ(p->authorize_get(request(iss + "/console/"), iss, 1).status, 400);
}
