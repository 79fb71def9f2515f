#include "auth/saml/lasso_sp.hpp"

// libxml2's headers first: Lasso's wrap their includes in extern "C",
// where the C++ parts of ICU (pulled in by libxml2) do not compile
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xmlmemory.h>

#include <lasso/lasso.h>
#include <lasso/xml/misc_text_node.h>
#include <lasso/xml/saml-2.0/saml2_assertion.h>
#include <lasso/xml/saml-2.0/saml2_attribute.h>
#include <lasso/xml/saml-2.0/saml2_attribute_statement.h>
#include <lasso/xml/saml-2.0/saml2_attribute_value.h>
#include <lasso/xml/saml-2.0/saml2_audience_restriction.h>
#include <lasso/xml/saml-2.0/saml2_authn_statement.h>
#include <lasso/xml/saml-2.0/saml2_conditions.h>
#include <lasso/xml/saml-2.0/saml2_strings.h>
#include <lasso/xml/saml-2.0/saml2_subject.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation.h>
#include <lasso/xml/saml-2.0/saml2_subject_confirmation_data.h>
#include <lasso/xml/saml-2.0/samlp2_authn_request.h>
#include <lasso/xml/saml-2.0/samlp2_logout_request.h>
#include <lasso/xml/saml-2.0/samlp2_name_id_policy.h>
#include <lasso/xml/saml-2.0/samlp2_response.h>
#include <lasso/xml/saml-2.0/samlp2_status.h>
#include <lasso/xml/saml-2.0/samlp2_status_code.h>

/// Replaces Lasso's own logger (its 570-odd calls go through the PLT; the
/// link exports this definition, see CMakeLists.txt): Lasso reports
/// schema violations of the message it parses — attacker input, before
/// any signature check — at G_LOG_LEVEL_ERROR, which GLib always treats
/// as fatal, so a malformed LogoutRequest would abort themisd. The lines
/// would also echo attacker-chosen XML into the log; the verdict and
/// lasso_strerror reach the audit log instead.
extern "C" void lasso_log(GLogLevelFlags, const char*, int, const char*,
                          const char*, ...) {}

namespace themis::auth::saml {

namespace {

/// lasso_init once per process; its log lines (GLib domain "Lasso") would
/// print attacker-chosen XML fragments to stderr, so they are dropped:
/// the verdict and lasso_strerror go to the audit log instead.
void init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    lasso_init();
    for (const char* domain : {"Lasso", "lasso"})
      g_log_set_handler(
        domain,
        static_cast<GLogLevelFlags>(G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
                                    G_LOG_FLAG_RECURSION),
        [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
  });
}

std::string str(const char* s) {
  return s ? std::string(s) : std::string();
}

std::string name_id_of(LassoSaml2NameID* n) {
  return n ? str(n->content) : std::string();
}

verdict classify(int rc) {
  switch (rc) {
    case LASSO_DS_ERROR_SIGNATURE_NOT_FOUND:
    case LASSO_DS_ERROR_INVALID_SIGNATURE:
    case LASSO_DS_ERROR_SIGNATURE_VERIFICATION_FAILED:
    case LASSO_DS_ERROR_INVALID_REFERENCE_FOR_SAML:
    case LASSO_PROFILE_ERROR_CANNOT_VERIFY_SIGNATURE:
    case LASSO_LOGIN_ERROR_ASSERTION_DOES_NOT_MATCH_REQUEST_ID:
      return verdict::bad_signature;
    case LASSO_PROFILE_ERROR_STATUS_NOT_SUCCESS:
    case LASSO_LOGIN_ERROR_STATUS_NOT_SUCCESS:
    case LASSO_LOGIN_ERROR_REQUEST_DENIED:
      return verdict::idp_refused;
    default:
      // an unknown provider or a message we cannot read: no trust either
      return rc == LASSO_SERVER_ERROR_PROVIDER_NOT_FOUND ||
                 rc == LASSO_PROFILE_ERROR_UNKNOWN_PROVIDER
               ? verdict::bad_signature
               : verdict::malformed;
  }
}

/// The text of an AttributeValue (a text node, or nested text).
std::string value_text(LassoSaml2AttributeValue* v) {
  std::string out;
  for (GList* a = v->any; a; a = a->next)
    if (LASSO_IS_MISC_TEXT_NODE(a->data))
      out += str(LASSO_MISC_TEXT_NODE(a->data)->content);
  return out;
}

void read_assertion(LassoSaml2Assertion* a, assertion_facts& f) {
  f.id = str(a->ID);
  f.issuer = name_id_of(a->Issuer);
  if (auto* s = a->Subject) {
    f.name_id = name_id_of(s->NameID);
    auto* sc = s->SubjectConfirmation;
    if (sc && str(sc->Method) == LASSO_SAML2_CONFIRMATION_METHOD_BEARER) {
      f.bearer = true;
      if (auto* d = sc->SubjectConfirmationData) {
        f.sc_recipient = str(d->Recipient);
        f.sc_in_response_to = str(d->InResponseTo);
        f.sc_not_on_or_after = str(d->NotOnOrAfter);
      }
    }
  }
  if (auto* c = a->Conditions) {
    f.not_before = str(c->NotBefore);
    f.not_on_or_after = str(c->NotOnOrAfter);
    for (GList* r = c->AudienceRestriction; r; r = r->next) {
      ++f.audience_restrictions;
      f.audiences.push_back(
        str(LASSO_SAML2_AUDIENCE_RESTRICTION(r->data)->Audience));
    }
  }
  for (GList* s = a->AuthnStatement; s; s = s->next)
    if (f.session_index.empty())
      f.session_index = str(LASSO_SAML2_AUTHN_STATEMENT(s->data)->SessionIndex);
  for (GList* s = a->AttributeStatement; s; s = s->next)
    for (GList* at = LASSO_SAML2_ATTRIBUTE_STATEMENT(s->data)->Attribute; at;
         at = at->next) {
      auto* attr = LASSO_SAML2_ATTRIBUTE(at->data);
      auto& values = f.attributes[str(attr->Name)];
      for (GList* v = attr->AttributeValue; v; v = v->next)
        if (LASSO_IS_SAML2_ATTRIBUTE_VALUE(v->data) && values.size() < 256)
          values.push_back(value_text(LASSO_SAML2_ATTRIBUTE_VALUE(v->data)));
    }
}

struct gobject_unref {
  void operator()(void* p) const {
    if (p)
      g_object_unref(p);
  }
};

} // namespace

std::unique_ptr<lasso_sp> lasso_sp::create(const lasso_options& o,
                                           std::string& error) {
  init_once();
  std::unique_ptr<lasso_sp> sp(new lasso_sp());
  // Lasso needs a key to build a request even when it will not sign one
  auto* server = lasso_server_new_from_buffers(
    o.sp_metadata.c_str(), o.key_pem.empty() ? nullptr : o.key_pem.c_str(),
    nullptr, o.cert_pem.empty() ? nullptr : o.cert_pem.c_str());
  if (!server) {
    error = "the SP metadata, key or certificate is unusable";
    return nullptr;
  }
  sp->server_ = server;
  // RSA-SHA256 for what we sign (Lasso's default is RSA-SHA1)
  server->signature_method = LASSO_SIGNATURE_METHOD_RSA_SHA256;
  std::unique_ptr<LassoProvider, gobject_unref> idp(
    lasso_provider_new_from_buffer(LASSO_PROVIDER_ROLE_IDP,
                                   o.idp_metadata.c_str(), nullptr, nullptr));
  if (!idp || !idp->ProviderID) {
    error = "the IdP metadata is not a SAML 2.0 EntityDescriptor with an "
            "IDPSSODescriptor";
    return nullptr;
  }
  sp->idp_id_ = idp->ProviderID;
  int rc = lasso_server_add_provider_from_buffer(
    server, LASSO_PROVIDER_ROLE_IDP, o.idp_metadata.c_str(), nullptr, nullptr);
  if (rc != 0) {
    error = std::string("the IdP metadata: ") + lasso_strerror(rc);
    return nullptr;
  }
  sp->signs_ = !o.key_pem.empty();
  sp->name_id_format_ = o.name_id_format;
  return sp;
}

lasso_sp::~lasso_sp() {
  if (server_)
    g_object_unref(server_);
}

authn_message lasso_sp::authn_request(const std::string& relay_state) {
  std::lock_guard<std::mutex> g(mtx_);
  authn_message m;
  std::unique_ptr<LassoLogin, gobject_unref> login(
    lasso_login_new(static_cast<LassoServer*>(server_)));
  auto* profile = LASSO_PROFILE(login.get());
  // before init: Lasso decides there whether it needs the private key
  lasso_profile_set_signature_hint(
    profile, signs_ ? LASSO_PROFILE_SIGNATURE_HINT_FORCE
                    : LASSO_PROFILE_SIGNATURE_HINT_FORBID);
  int rc = lasso_login_init_authn_request(login.get(), idp_id_.c_str(),
                                          LASSO_HTTP_METHOD_REDIRECT);
  if (rc == 0) {
    auto* req = LASSO_SAMLP2_AUTHN_REQUEST(profile->request);
    if (req->NameIDPolicy) {
      g_free(req->NameIDPolicy->Format);
      req->NameIDPolicy->Format = g_strdup(name_id_format_.c_str());
      req->NameIDPolicy->AllowCreate = TRUE;
    }
    g_free(req->ProtocolBinding);
    req->ProtocolBinding = g_strdup(LASSO_SAML2_METADATA_BINDING_POST);
    g_free(profile->msg_relayState);
    profile->msg_relayState = g_strdup(relay_state.c_str());
    rc = lasso_login_build_authn_request_msg(login.get());
  }
  if (rc != 0) {
    m.error = lasso_strerror(rc);
    return m;
  }
  m.ok = true;
  m.url = str(profile->msg_url);
  m.id = str(LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request)->ID);
  return m;
}

response_outcome lasso_sp::process_response(const std::string& b64) {
  std::lock_guard<std::mutex> g(mtx_);
  response_outcome out;
  std::unique_ptr<LassoLogin, gobject_unref> login(
    lasso_login_new(static_cast<LassoServer*>(server_)));
  auto* profile = LASSO_PROFILE(login.get());
  // Lasso's default hint: the response or else every assertion in it
  // must carry a valid signature (an unsigned one is refused); FORCE
  // would demand a signed response, which many IdPs do not send
  int rc = lasso_login_process_authn_response_msg(
    login.get(), const_cast<char*>(b64.c_str()));
  if (rc != 0) {
    out.v = classify(rc);
    out.error = lasso_strerror(rc);
    return out;
  }
  if (!profile->remote_providerID || idp_id_ != profile->remote_providerID) {
    out.v = verdict::bad_signature;
    out.error = "the response is not from the configured IdP";
    return out;
  }
  if (!LASSO_IS_SAMLP2_RESPONSE(profile->response)) {
    out.error = "not a SAML 2.0 Response";
    return out;
  }
  auto* resp = LASSO_SAMLP2_RESPONSE(profile->response);
  auto* sr = LASSO_SAMLP2_STATUS_RESPONSE(profile->response);
  if (g_list_length(resp->Assertion) != 1 || resp->EncryptedAssertion) {
    out.v = verdict::unsupported;
    out.error = "the response must carry exactly one (unencrypted) assertion";
    return out;
  }
  auto* a = LASSO_SAML2_ASSERTION(resp->Assertion->data);
  if (a->Subject && a->Subject->EncryptedID) {
    out.v = verdict::unsupported;
    out.error = "encrypted NameIDs are not supported";
    return out;
  }
  out.facts.response_destination = str(sr->Destination);
  out.facts.response_in_response_to = str(sr->InResponseTo);
  read_assertion(a, out.facts);
  out.v = verdict::ok;
  return out;
}

logout_outcome lasso_sp::process_logout_request(const std::string& b64) {
  std::lock_guard<std::mutex> g(mtx_);
  logout_outcome out;
  std::unique_ptr<LassoLogout, gobject_unref> logout(
    lasso_logout_new(static_cast<LassoServer*>(server_)));
  auto* profile = LASSO_PROFILE(logout.get());
  lasso_profile_set_signature_verify_hint(
    profile, LASSO_PROFILE_SIGNATURE_VERIFY_HINT_FORCE);
  int rc = lasso_logout_process_request_msg(logout.get(),
                                            const_cast<char*>(b64.c_str()));
  if (rc != 0) {
    out.v = classify(rc);
    out.error = lasso_strerror(rc);
    return out;
  }
  if (!profile->remote_providerID || idp_id_ != profile->remote_providerID ||
      !LASSO_IS_SAMLP2_LOGOUT_REQUEST(profile->request)) {
    out.v = verdict::bad_signature;
    out.error = "the logout request is not from the configured IdP";
    return out;
  }
  auto* req = LASSO_SAMLP2_LOGOUT_REQUEST(profile->request);
  out.name_id = name_id_of(req->NameID);
  out.session_index = str(req->SessionIndex);
  auto* abstract = LASSO_SAMLP2_REQUEST_ABSTRACT(profile->request);
  out.destination = str(abstract->Destination);
  out.id = str(abstract->ID);
  out.issue_instant = str(abstract->IssueInstant);
  out.not_on_or_after = str(req->NotOnOrAfter);
  // Lasso keeps no sessions here (themisd's tokens are the sessions), so
  // its validation answers "session not found"; the reply still says
  // Success: every token of that session is revoked by the caller
  lasso_logout_validate_request(logout.get());
  if (profile->response && LASSO_IS_SAMLP2_STATUS_RESPONSE(profile->response)) {
    auto* sr = LASSO_SAMLP2_STATUS_RESPONSE(profile->response);
    if (sr->Status && sr->Status->StatusCode) {
      auto* code = sr->Status->StatusCode;
      g_free(code->Value);
      code->Value = g_strdup(LASSO_SAML2_STATUS_CODE_SUCCESS);
      if (code->StatusCode) {
        g_object_unref(code->StatusCode);
        code->StatusCode = nullptr;
      }
    }
  }
  if (lasso_logout_build_response_msg(logout.get()) == 0) {
    out.reply_url = str(profile->msg_url);
    out.reply_body = str(profile->msg_body);
  }
  out.v = verdict::ok;
  return out;
}

} // namespace themis::auth::saml
