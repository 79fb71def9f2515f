#pragma once
/// The checks a SAML 2.0 SP owes an assertion after its signature
/// verified (SAML core §2.5, profiles §4.1.4.3): Destination of the
/// response, Recipient and InResponseTo of the bearer subject
/// confirmation, audience, and the NotBefore/NotOnOrAfter windows with a
/// clock skew. Pure: the facts come from the parsed, verified message
/// (lasso_sp), the time from the caller, so every case is unit-testable
/// without XML or keys.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::auth::saml {

/// An xs:dateTime ("2026-12-08T02:11:12Z", fractional seconds and
/// "+hh:mm" offsets allowed) as Unix seconds; nullopt if malformed.
std::optional<int64_t> parse_saml_time(std::string_view s);
/// Unix seconds → "2026-12-08T02:11:12Z".
std::string format_saml_time(int64_t t);

/// What a verified response said (strings empty when absent).
struct assertion_facts {
  std::string response_destination;
  std::string response_in_response_to;
  std::string id;     ///< the assertion's ID (replay key)
  std::string issuer; ///< the assertion's Issuer
  std::string name_id;
  std::string session_index;
  std::vector<std::string> audiences; ///< every AudienceRestriction's
  size_t audience_restrictions = 0;
  std::string not_before, not_on_or_after; ///< Conditions
  bool bearer = false; ///< a bearer SubjectConfirmation exists
  std::string sc_recipient, sc_in_response_to, sc_not_on_or_after;
  /// Attribute name → values (text content), in document order.
  std::map<std::string, std::vector<std::string>> attributes;
};

struct check_expectations {
  std::string sp_entity_id;  ///< the audience we must be
  std::string acs_url;       ///< Destination and Recipient
  std::string idp_entity_id; ///< the assertion's Issuer
  int64_t skew_s = 120;
};

enum class check_status {
  ok,
  malformed, ///< a time that does not parse, no NameID …
  wrong_issuer,
  wrong_destination,
  wrong_recipient,
  wrong_audience,
  not_yet_valid,
  expired,
  no_bearer,            ///< no bearer SubjectConfirmation
  in_response_mismatch, ///< response and confirmation disagree
};

struct check_result {
  check_status status = check_status::ok;
  std::string message; ///< for the client's error body and the audit log
  /// When the assertion stops being acceptable (the replay cache keeps
  /// its id until then): the earliest NotOnOrAfter plus the skew.
  int64_t valid_until_s = 0;
  /// The request id the response answers (empty: unsolicited).
  std::string in_response_to;
};

/// Checks `f` at `now_s`. An expired or not-yet-valid assertion's message
/// names both clocks and the skew, because that is what an operator
/// must compare.
check_result check_assertion(const assertion_facts& f,
                             const check_expectations& e, int64_t now_s);

} // namespace themis::auth::saml
