#pragma once
/// The SAML protocol work, done by Lasso (Entr'ouvert's SAML library on
/// xmlsec1): building the HTTP-Redirect AuthnRequest, and parsing and
/// verifying HTTP-POST responses and logout requests against the IdP's
/// certificate from its metadata. Lasso verifies that each assertion is
/// signed (or the whole response is) by that certificate, and that the
/// signature's reference is the element it covers (it refuses wrapped
/// and unsigned extra assertions); this class then takes the facts from
/// the objects Lasso verified, never from a second parse of the bytes.
///
/// Lasso and its GObject state are not thread-safe: one mutex serializes
/// every call (SAML logins are rare; ~1 ms each).

#include <memory>
#include <mutex>
#include <string>

#include "auth/saml/assertion_checks.hpp"

namespace themis::auth::saml {

struct lasso_options {
  std::string sp_metadata; ///< our own EntityDescriptor (sp_metadata.hpp)
  std::string key_pem;     ///< "" : requests are not signed
  std::string cert_pem;
  std::string idp_metadata; ///< the IdP's EntityDescriptor
  std::string name_id_format;
};

enum class verdict {
  ok,
  bad_signature, ///< missing, invalid, or not the IdP's key
  malformed,     ///< not a SAML message Lasso can read
  idp_refused,   ///< a non-Success status from the IdP
  unsupported,   ///< more than one assertion, encrypted NameID …
};

struct authn_message {
  bool ok = false;
  std::string url; ///< the IdP's SSO URL with SAMLRequest (and Signature)
  std::string id;  ///< the request's ID (InResponseTo of the answer)
  std::string error;
};

struct response_outcome {
  verdict v = verdict::malformed;
  std::string error;
  assertion_facts facts;
};

struct logout_outcome {
  verdict v = verdict::malformed;
  std::string error;
  std::string name_id;
  std::string session_index;
  std::string id;            ///< the request's ID (replay key)
  std::string issue_instant; ///< IssueInstant (freshness)
  std::string not_on_or_after;
  std::string destination; ///< the request's Destination
  std::string reply_url;   ///< the IdP's SLO URL for the LogoutResponse
  std::string reply_body;  ///< base64 LogoutResponse (HTTP-POST)
};

class lasso_sp {
public:
  /// Null with `error` when a metadata document or a key is unusable.
  static std::unique_ptr<lasso_sp> create(const lasso_options& o,
                                          std::string& error);
  ~lasso_sp();
  lasso_sp(const lasso_sp&) = delete;
  lasso_sp& operator=(const lasso_sp&) = delete;

  const std::string& idp_entity_id() const { return idp_id_; }
  bool signs_requests() const { return signs_; }

  authn_message authn_request(const std::string& relay_state);
  /// A base64 SAMLResponse (already through xml_guard).
  response_outcome process_response(const std::string& b64);
  /// A base64 LogoutRequest from the IdP; on success the reply fields
  /// carry the LogoutResponse to post back.
  logout_outcome process_logout_request(const std::string& b64);

private:
  lasso_sp() = default;
  std::mutex mtx_;
  void* server_ = nullptr; ///< LassoServer*
  std::string idp_id_;
  std::string name_id_format_;
  bool signs_ = false;
};

} // namespace themis::auth::saml
