/// The SAML 2.0 SP core (auth/saml/, issue 24): time windows, audience,
/// Recipient/Destination, the request store, the replay cache, attribute
/// mapping, the pre-parse guard (size, base64, DTD), SP metadata, and
/// Lasso building an AuthnRequest. Signed responses are covered end to
/// end by tests/integration/test_saml.py (signed with the xmlsec1 CLI).

#include <gtest/gtest.h>

#include "auth/saml/assertion_checks.hpp"
#include "auth/saml/attribute_map.hpp"
#include "auth/saml/lasso_sp.hpp"
#include "auth/saml/replay_cache.hpp"
#include "auth/saml/request_store.hpp"
#include "auth/saml/session_registry.hpp"
#include "auth/saml/sp_metadata.hpp"
#include "auth/saml/xml_guard.hpp"
#include "themis/base64.hpp"

using namespace themis::auth::saml;

namespace {

constexpr int64_t t0 = 1796000000; // 2026-11-30T00:53:20Z

assertion_facts good_facts() {
  assertion_facts f;
  f.response_destination = "https://db.test/api/v1/auth/saml/acs";
  f.response_in_response_to = "_req1";
  f.id = "_a1";
  f.issuer = "https://idp.test";
  f.name_id = "alice";
  f.session_index = "_s1";
  f.audiences = {"https://db.test/sp"};
  f.audience_restrictions = 1;
  f.not_before = format_saml_time(t0 - 30);
  f.not_on_or_after = format_saml_time(t0 + 300);
  f.bearer = true;
  f.sc_recipient = "https://db.test/api/v1/auth/saml/acs";
  f.sc_in_response_to = "_req1";
  f.sc_not_on_or_after = format_saml_time(t0 + 300);
  return f;
}

check_expectations expect() {
  return {"https://db.test/sp", "https://db.test/api/v1/auth/saml/acs",
          "https://idp.test", 120};
}

} // namespace

TEST(saml_time, parses_utc_fraction_and_offsets) {
  EXPECT_EQ(parse_saml_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_saml_time("2026-12-08T02:11:12Z"), 1796695872);
  EXPECT_EQ(parse_saml_time("2026-12-08T02:11:12.123456Z"), 1796695872);
  EXPECT_EQ(parse_saml_time("2026-12-08T03:11:12+01:00"), 1796695872);
  EXPECT_EQ(format_saml_time(1796695872), "2026-12-08T02:11:12Z");
}

TEST(saml_time, refuses_malformed) {
  for (auto s : {"", "2026-12-08", "2026-12-08T02:11:12",
                 "2026-13-08T02:11:12Z", "2026-12-08T02:11:12.Z",
                 "2026-12-08T02:11:12Zjunk", "2026-12-08 02:11:12Z",
                 "２026-12-08T02:11:12Z", "2026-12-08T02:11:12+1:00",
                 "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z"})
    EXPECT_FALSE(parse_saml_time(s)) << s;
}

TEST(saml_checks, accepts_a_good_assertion) {
  auto r = check_assertion(good_facts(), expect(), t0);
  EXPECT_EQ(r.status, check_status::ok) << r.message;
  EXPECT_EQ(r.in_response_to, "_req1");
  EXPECT_EQ(r.valid_until_s, t0 + 300 + 120);
}

TEST(saml_checks, expired_names_both_clocks_and_the_skew) {
  auto r = check_assertion(good_facts(), expect(), t0 + 300 + 120);
  EXPECT_EQ(r.status, check_status::expired);
  EXPECT_NE(r.message.find("server time"), std::string::npos);
  EXPECT_NE(r.message.find("saml.clock_skew_s"), std::string::npos);
  // within the skew it still passes
  EXPECT_EQ(check_assertion(good_facts(), expect(), t0 + 419).status,
            check_status::ok);
  // the confirmation's NotOnOrAfter counts too
  auto f = good_facts();
  f.sc_not_on_or_after = format_saml_time(t0 - 200);
  EXPECT_EQ(check_assertion(f, expect(), t0).status, check_status::expired);
}

TEST(saml_checks, not_yet_valid) {
  auto f = good_facts();
  f.not_before = format_saml_time(t0 + 200);
  EXPECT_EQ(check_assertion(f, expect(), t0).status,
            check_status::not_yet_valid);
  f.not_before = format_saml_time(t0 + 100); // inside the skew
  EXPECT_EQ(check_assertion(f, expect(), t0).status, check_status::ok);
}

TEST(saml_checks, refuses_each_wrong_field) {
  struct tc {
    void (*mutate)(assertion_facts&);
    check_status want;
  };
  tc cases[] = {
    {[](auto& f) { f.audiences = {"https://other"}; },
     check_status::wrong_audience},
    {[](auto& f) {
       f.audiences.clear();
       f.audience_restrictions = 0;
     },
     check_status::wrong_audience},
    {[](auto& f) { f.sc_recipient = "https://evil/acs"; },
     check_status::wrong_recipient},
    {[](auto& f) { f.response_destination = "https://evil/acs"; },
     check_status::wrong_destination},
    {[](auto& f) { f.issuer = "https://evil-idp"; },
     check_status::wrong_issuer},
    {[](auto& f) { f.issuer.clear(); }, check_status::wrong_issuer},
    {[](auto& f) { // two restrictions: both must name this SP
       f.audiences = {"https://db.test/sp", "https://other"};
       f.audience_restrictions = 2;
     },
     check_status::wrong_audience},
    {[](auto& f) { f.bearer = false; }, check_status::no_bearer},
    {[](auto& f) { f.response_in_response_to = "_other"; },
     check_status::in_response_mismatch},
    {[](auto& f) { f.sc_not_on_or_after.clear(); }, check_status::malformed},
    {[](auto& f) { f.not_on_or_after = "tomorrow"; }, check_status::malformed},
    {[](auto& f) { f.name_id.clear(); }, check_status::malformed},
    {[](auto& f) { f.id.clear(); }, check_status::malformed},
  };
  for (auto& c : cases) {
    auto f = good_facts();
    c.mutate(f);
    EXPECT_EQ(check_assertion(f, expect(), t0).status, c.want);
  }
}

TEST(saml_request_store, one_use_within_the_ttl) {
  request_store s(2, 600);
  EXPECT_TRUE(s.add("_r1", {"relay1", "/x"}, t0));
  EXPECT_FALSE(s.add("_r1", {"relay1", ""}, t0)); // no duplicate ids
  auto p = s.take("_r1", t0 + 10);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->relay_state, "relay1");
  EXPECT_EQ(p->return_to, "/x");
  EXPECT_FALSE(s.take("_r1", t0 + 11)); // answered once
  EXPECT_TRUE(s.add("_r2", {"r", ""}, t0));
  EXPECT_FALSE(s.take("_r2", t0 + 600)); // expired
  EXPECT_FALSE(s.take("_unknown", t0));
}

TEST(saml_request_store, full_drops_the_oldest_request) {
  request_store s(2, 600);
  EXPECT_TRUE(s.add("_a", {}, t0));
  EXPECT_TRUE(s.add("_b", {}, t0 + 1));
  EXPECT_TRUE(s.take("_a", t0 + 2)); // taken: its index entry is stale
  EXPECT_TRUE(s.add("_c", {}, t0 + 3));
  EXPECT_TRUE(s.add("_d", {}, t0 + 4)); // full: _b (oldest) goes
  EXPECT_EQ(s.size(), 2u);
  EXPECT_FALSE(s.take("_b", t0 + 5));
  EXPECT_TRUE(s.take("_c", t0 + 5));
  EXPECT_TRUE(s.take("_d", t0 + 5));
}

TEST(saml_replay_cache, remembers_until_expiry_and_fails_closed) {
  replay_cache c(2);
  EXPECT_EQ(c.use("_a1", t0 + 100, t0), replay_status::fresh);
  EXPECT_EQ(c.use("_a1", t0 + 100, t0 + 50), replay_status::replayed);
  EXPECT_TRUE(c.seen("_a1", t0 + 99));
  EXPECT_EQ(c.use("_a2", t0 + 500, t0), replay_status::fresh);
  EXPECT_EQ(c.use("_a3", t0 + 500, t0), replay_status::full);
  // once _a1 could no longer be accepted, it is forgotten
  EXPECT_FALSE(c.seen("_a1", t0 + 100));
  EXPECT_EQ(c.use("_a3", t0 + 500, t0 + 100), replay_status::fresh);
}

TEST(saml_sessions, logout_takes_by_session_or_all_of_a_name) {
  session_registry r(10);
  r.add("alice", "_s1", "fam1", t0 + 900, t0);
  r.add("alice", "_s2", "fam2", t0 + 900, t0);
  r.add("bob", "_s3", "fam3", t0 + 900, t0);
  EXPECT_EQ(r.take("alice", "_s1", t0), (std::vector<std::string>{"fam1"}));
  EXPECT_EQ(r.take("alice", "", t0), (std::vector<std::string>{"fam2"}));
  EXPECT_TRUE(r.take("bob", "_s3", t0 + 900).empty()); // tokens expired
  session_registry small(1);
  small.add("a", "", "f1", t0 + 10, t0);
  small.add("b", "", "f2", t0 + 20, t0);
  EXPECT_EQ(small.size(), 1u);
}

namespace {

themis::saml_section mapping() {
  themis::saml_section s;
  s.user_attribute = "uid";
  s.tenant_attribute = "tenant";
  s.scope_attribute = "groups";
  s.scope_map = {"db-admins=admin", "db-readers=data:read query"};
  s.default_scopes = {"query"};
  s.required_attributes = {"email"};
  return s;
}

} // namespace

TEST(saml_attributes, maps_user_tenant_and_scopes) {
  std::string error;
  auto m = attribute_map::create(mapping(), error);
  ASSERT_TRUE(m) << error;
  auto p = m->map("name-id",
                  {{"uid", {"alice"}},
                   {"tenant", {"acme"}},
                   {"email", {"a@x"}},
                   {"groups", {"db-readers", "unmapped-group"}}},
                  error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->user, "alice");
  EXPECT_EQ(p->tenant, "acme");
  EXPECT_EQ(p->via, "saml");
  // an IdP group grants nothing unless scope_map names it
  EXPECT_EQ(p->scopes, (std::vector<std::string>{"query", "data:read"}));
}

TEST(saml_attributes, refuses_missing_or_bad_values) {
  std::string error;
  auto m = attribute_map::create(mapping(), error);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->map("n", {{"uid", {"alice"}}, {"tenant", {"acme"}}}, error));
  EXPECT_NE(error.find("'email'"), std::string::npos);
  EXPECT_FALSE(m->map("n",
                      {{"uid", {""}}, {"tenant", {"acme"}}, {"email", {"e"}}},
                      error)); // an empty value is absent
  EXPECT_FALSE(m->map(
    "n", {{"uid", {"a"}}, {"tenant", {"Not.A.Tenant"}}, {"email", {"e"}}},
    error));
  EXPECT_FALSE(m->map("n", {{"uid", {"a"}}, {"email", {"e"}}}, error));
  EXPECT_NE(error.find("tenant"), std::string::npos);
}

TEST(saml_attributes, name_id_and_default_tenant) {
  themis::saml_section s;
  s.default_tenant = "acme";
  std::string error;
  auto m = attribute_map::create(s, error);
  ASSERT_TRUE(m);
  auto p = m->map("bob@example.com", {}, error);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->user, "bob@example.com");
  EXPECT_EQ(p->tenant, "acme");
  EXPECT_TRUE(p->scopes.empty());
}

TEST(saml_attributes, bad_configuration) {
  std::string error;
  themis::saml_section s;
  s.scope_map = {"=admin"};
  s.scope_attribute = "groups";
  EXPECT_FALSE(attribute_map::create(s, error));
  s.scope_map = {"g=admin"};
  s.scope_attribute.clear();
  EXPECT_FALSE(attribute_map::create(s, error));
  s.scope_map.clear();
  s.default_tenant = "Bad Tenant";
  EXPECT_FALSE(attribute_map::create(s, error));
}

namespace {

std::string b64(const std::string& s) {
  return themis::base64_encode(s);
}

} // namespace

TEST(saml_guard, accepts_a_plain_document) {
  auto r = guard_post_message(b64("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                  "<samlp:Response/>"),
                              1024);
  EXPECT_EQ(r.status, guard_status::ok) << r.error;
  EXPECT_EQ(r.xml.substr(0, 5), "<?xml");
  // line-wrapped base64, as some IdPs send
  auto wrapped = b64("<samlp:Response ID=\"x\"/>");
  wrapped.insert(8, "\r\n");
  EXPECT_EQ(guard_post_message(wrapped, 1024).status, guard_status::ok);
}

TEST(saml_guard, bad_inputs) {
  EXPECT_EQ(guard_post_message(std::string(2000, 'A'), 1024).status,
            guard_status::too_large);
  EXPECT_EQ(guard_post_message("", 1024).status, guard_status::bad_base64);
  EXPECT_EQ(guard_post_message("!!!notbase64", 1024).status,
            guard_status::bad_base64);
  EXPECT_EQ(guard_post_message("QUJD", 1024).status,
            guard_status::not_xml); // "ABC"
  // XXE and entity expansion need a DTD: refused before parsing
  EXPECT_EQ(guard_post_message(
              b64("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
                  "\"file:///etc/passwd\">]><r>&x;</r>"),
              4096)
              .status,
            guard_status::forbidden_markup);
  EXPECT_EQ(guard_post_message(b64("<r><!doctype x></r>"), 1024).status,
            guard_status::forbidden_markup);
  EXPECT_EQ(guard_post_message(b64("<r><!ENTITY a \"b\"></r>"), 1024).status,
            guard_status::forbidden_markup);
  // UTF-16 (NUL bytes) and a declared foreign encoding
  EXPECT_EQ(
    guard_post_message(b64(std::string("<\0r\0/\0>\0", 8)), 1024).status,
    guard_status::not_xml);
  EXPECT_EQ(guard_post_message(
              b64("<?xml version=\"1.0\" encoding=\"UTF-16\"?><r/>"), 1024)
              .status,
            guard_status::not_xml);
}

TEST(saml_metadata, publishes_urls_escaped) {
  sp_urls u{"https://db.test/sp?a=1&b=2", "https://db.test/acs",
            "https://db.test/slo"};
  auto x = sp_metadata_xml(u, "", "urn:nameid:unspecified", false);
  EXPECT_NE(x.find("entityID=\"https://db.test/sp?a=1&amp;b=2\""),
            std::string::npos);
  EXPECT_NE(x.find("Location=\"https://db.test/acs\""), std::string::npos);
  EXPECT_NE(x.find("AuthnRequestsSigned=\"false\""), std::string::npos);
  EXPECT_EQ(x.find("X509Certificate"), std::string::npos);
  auto y = sp_metadata_xml(u,
                           "-----BEGIN CERTIFICATE-----\nAAAA\nBBBB\n"
                           "-----END CERTIFICATE-----\n",
                           "f", true);
  EXPECT_NE(y.find("<ds:X509Certificate>AAAABBBB</ds:X509Certificate>"),
            std::string::npos);
}

namespace {

const char* idp_metadata =
  R"(<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.test">
 <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.test/sso"/>
 </md:IDPSSODescriptor>
</md:EntityDescriptor>)";

lasso_options options() {
  lasso_options o;
  sp_urls u{"https://db.test/sp", "https://db.test/acs", "https://db.test/slo"};
  o.name_id_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
  o.sp_metadata = sp_metadata_xml(u, "", o.name_id_format, false);
  o.idp_metadata = idp_metadata;
  return o;
}

} // namespace

TEST(saml_lasso, builds_a_redirect_authn_request) {
  std::string error;
  auto sp = lasso_sp::create(options(), error);
  ASSERT_TRUE(sp) << error;
  EXPECT_EQ(sp->idp_entity_id(), "https://idp.test");
  auto m = sp->authn_request("relay123");
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_EQ(m.url.rfind("https://idp.test/sso?SAMLRequest=", 0), 0u) << m.url;
  EXPECT_NE(m.url.find("RelayState=relay123"), std::string::npos);
  EXPECT_FALSE(m.id.empty());
  EXPECT_NE(sp->authn_request("r").id, m.id); // fresh ids
}

TEST(saml_lasso, refuses_unusable_metadata_and_messages) {
  std::string error;
  auto o = options();
  o.idp_metadata = "<not-metadata/>";
  EXPECT_FALSE(lasso_sp::create(o, error));
  auto sp = lasso_sp::create(options(), error);
  ASSERT_TRUE(sp);
  EXPECT_NE(sp->process_response(b64("<x/>")).v, verdict::ok);
  // a well-formed but unsigned response is never accepted
  auto unsigned_response =
    b64(R"(<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" )"
        R"(xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r" )"
        R"(Version="2.0" IssueInstant="2026-12-08T00:00:00Z">)"
        R"(<saml:Issuer>https://idp.test</saml:Issuer><samlp:Status>)"
        R"(<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:)"
        R"(Success"/></samlp:Status><saml:Assertion ID="_a" Version="2.0" )"
        R"(IssueInstant="2026-12-08T00:00:00Z"><saml:Issuer>https://idp.test)"
        R"(</saml:Issuer><saml:Subject><saml:NameID>mallory</saml:NameID>)"
        R"(</saml:Subject></saml:Assertion></samlp:Response>)");
  EXPECT_NE(sp->process_response(unsigned_response).v, verdict::ok);
  EXPECT_NE(sp->process_logout_request(b64("<x/>")).v, verdict::ok);
}
