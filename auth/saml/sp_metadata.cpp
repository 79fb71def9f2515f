#include "auth/saml/sp_metadata.hpp"

#include "auth/oauth2/form_codec.hpp"

namespace themis::auth::saml {

namespace {

/// The base64 between the PEM armour lines, without line breaks.
std::string pem_body(const std::string& pem) {
  auto b = pem.find("-----BEGIN CERTIFICATE-----");
  if (b == std::string::npos)
    return {};
  b = pem.find('\n', b);
  auto e = pem.find("-----END CERTIFICATE-----", b);
  if (b == std::string::npos || e == std::string::npos)
    return {};
  std::string out;
  for (auto i = b; i < e; ++i)
    if (pem[i] != '\n' && pem[i] != '\r' && pem[i] != ' ')
      out.push_back(pem[i]);
  return out;
}

} // namespace

std::string sp_metadata_xml(const sp_urls& u, const std::string& cert_pem,
                            const std::string& name_id_format,
                            bool signs_requests) {
  const char* post = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
  std::string x =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"" +
    oauth2::html_escape(u.entity_id) +
    "\">\n"
    " <md:SPSSODescriptor "
    "protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
    "AuthnRequestsSigned=\"" +
    std::string(signs_requests ? "true" : "false") +
    "\" WantAssertionsSigned=\"true\">\n";
  auto body = pem_body(cert_pem);
  if (!body.empty())
    x += "  <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data>"
         "<ds:X509Certificate>" +
         body +
         "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
         "</md:KeyDescriptor>\n";
  x += "  <md:SingleLogoutService Binding=\"" + std::string(post) +
       "\" Location=\"" + oauth2::html_escape(u.slo_url) + "\"/>\n";
  x += "  <md:NameIDFormat>" + oauth2::html_escape(name_id_format) +
       "</md:NameIDFormat>\n";
  x += "  <md:AssertionConsumerService index=\"0\" isDefault=\"true\" "
       "Binding=\"" +
       std::string(post) + "\" Location=\"" + oauth2::html_escape(u.acs_url) +
       "\"/>\n";
  x += " </md:SPSSODescriptor>\n</md:EntityDescriptor>\n";
  return x;
}

} // namespace themis::auth::saml
