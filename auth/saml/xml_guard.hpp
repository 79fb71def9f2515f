#pragma once
/// What an HTTP-POST binding message must pass before any XML parser sees
/// it: a size limit on the base64 text, a clean base64 decode, and a
/// document without a DTD (no DOCTYPE, no ENTITY: no external entities,
/// no entity expansion bombs; SAML never needs one) in UTF-8 (a UTF-16
/// document could hide its DOCTYPE from the scan, so it is refused).
/// Pure.

#include <string>
#include <string_view>

namespace themis::auth::saml {

enum class guard_status {
  ok,
  too_large,
  bad_base64,
  forbidden_markup,
  not_xml
};

struct guard_result {
  guard_status status = guard_status::ok;
  std::string error;
  std::string xml; ///< the decoded document when ok
};

/// Checks the form field `b64` (standard base64; whitespace allowed, as
/// some IdPs wrap lines) against `max_b64_bytes`.
guard_result guard_post_message(std::string_view b64, size_t max_b64_bytes);

} // namespace themis::auth::saml
