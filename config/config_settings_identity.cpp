/// The identity sections' configuration keys: auth.* (tokens, keys,
/// Kerberos, Ranger, USB admin keys, trusted issuers), the OAuth2 / OIDC
/// provider and the SAML 2.0 service provider (docs/security.md,
/// docs/configuration.md). Split from config_settings.cpp.

#include "config/config_fields.hpp"
#include "themis/user_list.hpp"

namespace themis::config_detail {

void add_identity_settings(std::map<std::string, field>& table) {
  using sc = server_config;
  std::map<std::string, field> rows = {
    {"auth.required", bool_field(&sc::auth, &auth_section::required)},
    {"auth.jwt_secret", string_field(&sc::auth, &auth_section::jwt_secret)},
    {"auth.jwt_public_key_file",
     string_field(&sc::auth, &auth_section::jwt_public_key_file)},
    {"auth.jwt_jwks_file",
     string_field(&sc::auth, &auth_section::jwt_jwks_file)},
    {"auth.jwt_issuer", string_field(&sc::auth, &auth_section::jwt_issuer)},
    {"auth.jwt_audience", string_field(&sc::auth, &auth_section::jwt_audience)},
    {"auth.jwt_skew_s",
     uint_field(&sc::auth, &auth_section::jwt_skew_s, 0, 86400)},
    {"auth.jwks_refresh_s",
     uint_field(&sc::auth, &auth_section::jwks_refresh_s, 1, 86400)},
    {"auth.scope_claim", string_field(&sc::auth, &auth_section::scope_claim)},
    {"auth.open_metrics", bool_field(&sc::auth, &auth_section::open_metrics)},
    {"auth.tenant_claim", string_field(&sc::auth, &auth_section::tenant_claim)},
    {"auth.roles_claim", string_field(&sc::auth, &auth_section::roles_claim)},
    {"auth.principals", list_field(&sc::auth, &auth_section::principals)},
    {"auth.api_keys", bool_field(&sc::auth, &auth_section::api_keys)},
    {"auth.tenant_quotas", list_field(&sc::auth, &auth_section::tenant_quotas)},
    {"auth.kerberos.keytab",
     string_field(&sc::auth, &auth_section::kerberos_keytab)},
    {"auth.kerberos.service",
     string_field(&sc::auth, &auth_section::kerberos_service)},
    {"auth.kerberos.pg_service",
     string_field(&sc::auth, &auth_section::kerberos_pg_service)},
    {"auth.kerberos.realms",
     list_field(&sc::auth, &auth_section::kerberos_realms)},
    {"auth.ranger.url", string_field(&sc::auth, &auth_section::ranger_url)},
    {"auth.ranger.service",
     string_field(&sc::auth, &auth_section::ranger_service)},
    {"auth.ranger.file", string_field(&sc::auth, &auth_section::ranger_file)},
    {"auth.ranger.poll_s",
     uint_field(&sc::auth, &auth_section::ranger_poll_s, 1, 86400)},
    {"auth.ranger.audit_file",
     string_field(&sc::auth, &auth_section::ranger_audit_file)},
    {"auth.ranger.unmatched",
     string_field(&sc::auth, &auth_section::ranger_unmatched)},
    {"auth.ranger.ca_file",
     string_field(&sc::auth, &auth_section::ranger_ca_file)},
    {"auth.usb_admin.enabled",
     bool_field(&sc::auth, &auth_section::usb_admin_enabled)},
    {"auth.usb_admin.token_ttl_s",
     uint_field(&sc::auth, &auth_section::usb_admin_token_ttl_s, 10, 3600)},
    {"auth.usb_admin.challenge_ttl_s",
     uint_field(&sc::auth, &auth_section::usb_admin_challenge_ttl_s, 1, 600)},
    {"auth.usb_admin.max_failures",
     uint_field(&sc::auth, &auth_section::usb_admin_max_failures, 1, 1000)},
    {"auth.usb_admin.challenges_per_min",
     uint_field(&sc::auth, &auth_section::usb_admin_challenges_per_min, 1,
                600)},
    {"auth.usb_admin.removable",
     string_field(&sc::auth, &auth_section::usb_admin_removable)},
    {"auth.usb_admin.sysfs_root",
     string_field(&sc::auth, &auth_section::usb_admin_sysfs_root)},
    {"auth.trusted_issuers",
     list_field(&sc::auth, &auth_section::trusted_issuers)},
    {"auth.trusted_issuers_refresh_s",
     uint_field(&sc::auth, &auth_section::trusted_issuers_refresh_s, 10,
                86400)},
    {"auth.trusted_issuers_min_refetch_s",
     uint_field(&sc::auth, &auth_section::trusted_issuers_min_refetch_s, 1,
                3600)},
    {"auth.trusted_issuers_wait_ms",
     uint_field(&sc::auth, &auth_section::trusted_issuers_wait_ms, 0, 10000)},
    // issue 24: the OAuth2 / OIDC provider (docs/security.md)
    {"oauth2.enabled", bool_field(&sc::oauth2, &oauth2_section::enabled)},
    {"oauth2.issuer", url_field(&sc::oauth2, &oauth2_section::issuer)},
    {"oauth2.clients",
     field{list_field(&sc::oauth2, &oauth2_section::clients).set,
           [](const server_config& c) { // secrets are not shown
             YAML::Node n(YAML::NodeType::Sequence);
             for (auto item : c.oauth2.clients) {
               for (auto at = item.find("secret="); at != std::string::npos;
                    at = item.find("secret=", at + 7)) {
                 auto end = item.find(' ', at);
                 item.replace(at + 7,
                              end == std::string::npos ? std::string::npos
                                                       : end - at - 7,
                              "***");
               }
               n.push_back(item);
             }
             return n;
           }}},
    {"oauth2.users", field{[](server_config& c, const std::string& v) {
                             c.oauth2.users = v;
                             return std::optional<std::string>{};
                           },
                           [](const server_config& c) {
                             std::string out;
                             for (auto& [u, _] :
                                  parse_user_list(c.oauth2.users))
                               out += (out.empty() ? "" : ",") + u + ":***";
                             return YAML::Node(out);
                           }}},
    {"oauth2.signing_key_file",
     string_field(&sc::oauth2, &oauth2_section::signing_key_file)},
    {"oauth2.code_ttl_s",
     uint_field(&sc::oauth2, &oauth2_section::code_ttl_s, 1, 600)},
    {"oauth2.access_token_ttl_s",
     uint_field(&sc::oauth2, &oauth2_section::access_token_ttl_s, 10, 86400)},
    {"oauth2.id_token_ttl_s",
     uint_field(&sc::oauth2, &oauth2_section::id_token_ttl_s, 10, 86400)},
    {"oauth2.refresh_token_ttl_s",
     uint_field(&sc::oauth2, &oauth2_section::refresh_token_ttl_s, 60,
                31536000)},
    {"oauth2.login_ttl_s",
     uint_field(&sc::oauth2, &oauth2_section::login_ttl_s, 10, 86400)},
    {"oauth2.max_pending_logins",
     uint_field(&sc::oauth2, &oauth2_section::max_pending_logins, 1, 1000000)},
    {"oauth2.allow_plain_pkce",
     bool_field(&sc::oauth2, &oauth2_section::allow_plain_pkce)},
    {"oauth2.console_client",
     bool_field(&sc::oauth2, &oauth2_section::console_client)},
    // issue 24: the SAML 2.0 service provider (docs/security.md)
    {"saml.enabled", bool_field(&sc::saml, &saml_section::enabled)},
    {"saml.base_url", url_field(&sc::saml, &saml_section::base_url)},
    {"saml.entity_id", string_field(&sc::saml, &saml_section::entity_id)},
    {"saml.idp_metadata_file",
     string_field(&sc::saml, &saml_section::idp_metadata_file)},
    {"saml.idp_entity_id",
     string_field(&sc::saml, &saml_section::idp_entity_id)},
    {"saml.sp_key_file", string_field(&sc::saml, &saml_section::sp_key_file)},
    {"saml.sp_cert_file", string_field(&sc::saml, &saml_section::sp_cert_file)},
    {"saml.name_id_format",
     string_field(&sc::saml, &saml_section::name_id_format)},
    {"saml.clock_skew_s",
     uint_field(&sc::saml, &saml_section::clock_skew_s, 0, 3600)},
    {"saml.request_ttl_s",
     uint_field(&sc::saml, &saml_section::request_ttl_s, 10, 86400)},
    {"saml.max_pending_requests",
     uint_field(&sc::saml, &saml_section::max_pending_requests, 1, 1000000)},
    {"saml.max_replay_entries",
     uint_field(&sc::saml, &saml_section::max_replay_entries, 1, 10000000)},
    {"saml.max_response_bytes",
     uint_field(&sc::saml, &saml_section::max_response_bytes, 1024, 16u << 20)},
    {"saml.user_attribute",
     string_field(&sc::saml, &saml_section::user_attribute)},
    {"saml.tenant_attribute",
     string_field(&sc::saml, &saml_section::tenant_attribute)},
    {"saml.default_tenant",
     string_field(&sc::saml, &saml_section::default_tenant)},
    {"saml.scope_attribute",
     string_field(&sc::saml, &saml_section::scope_attribute)},
    {"saml.scope_map", list_field(&sc::saml, &saml_section::scope_map)},
    {"saml.default_scopes",
     list_field(&sc::saml, &saml_section::default_scopes)},
    {"saml.required_attributes",
     list_field(&sc::saml, &saml_section::required_attributes)},
  };
  table.merge(rows);
}

} // namespace themis::config_detail
