#include "auth/saml/xml_guard.hpp"

#include <algorithm>
#include <cctype>

#include "themis/base64.hpp"

namespace themis::auth::saml {

namespace {

guard_result fail(guard_status s, std::string e) {
  guard_result r;
  r.status = s;
  r.error = std::move(e);
  return r;
}

bool contains_ci(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [](char a, char b) {
                       return std::toupper(static_cast<unsigned char>(a)) ==
                              std::toupper(static_cast<unsigned char>(b));
                     }) != hay.end();
}

} // namespace

guard_result guard_post_message(std::string_view b64, size_t max_b64_bytes) {
  if (b64.size() > max_b64_bytes)
    return fail(guard_status::too_large,
                "the SAML message is " + std::to_string(b64.size()) +
                  " bytes of base64, more than saml.max_response_bytes (" +
                  std::to_string(max_b64_bytes) + ")");
  std::string clean;
  clean.reserve(b64.size());
  for (char c : b64)
    if (c != '\r' && c != '\n' && c != ' ' && c != '\t')
      clean.push_back(c);
  auto decoded = themis::base64_decode(clean);
  if (clean.empty() || !decoded)
    return fail(guard_status::bad_base64, "the SAML message is not base64");
  guard_result r;
  r.xml = std::move(*decoded);
  std::string_view x = r.xml;
  if (x.size() >= 3 && static_cast<unsigned char>(x[0]) == 0xEF &&
      static_cast<unsigned char>(x[1]) == 0xBB &&
      static_cast<unsigned char>(x[2]) == 0xBF)
    x.remove_prefix(3); // UTF-8 byte order mark
  auto first = x.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || x[first] != '<' ||
      x.find('\0') != std::string_view::npos)
    return fail(guard_status::not_xml,
                "the SAML message is not a UTF-8 XML document");
  if (contains_ci(x, "<!DOCTYPE") || contains_ci(x, "<!ENTITY"))
    return fail(guard_status::forbidden_markup,
                "the SAML message has a DTD (DOCTYPE/ENTITY): refused");
  // an XML declaration naming another encoding would let the parser read
  // bytes differently from this scan
  if (x.substr(first).rfind("<?xml", 0) == 0) {
    auto end = x.find("?>", first);
    auto decl =
      x.substr(first, end == std::string_view::npos ? std::string_view::npos
                                                    : end - first);
    if (contains_ci(decl, "encoding") && !contains_ci(decl, "utf-8") &&
        !contains_ci(decl, "us-ascii"))
      return fail(guard_status::not_xml,
                  "the SAML message must be encoded in UTF-8");
  }
  return r;
}

} // namespace themis::auth::saml
