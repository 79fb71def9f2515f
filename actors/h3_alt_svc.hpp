#pragma once
/// The Alt-Svc value TLS responses carry when HTTP/3 is on (RFC 7838):
/// `h3=":PORT"; ma=86400`, set once at start before serving ("" = off).

#include <string>

namespace themis {

const std::string& h3_alt_svc();
void set_h3_alt_svc(std::string value);

} // namespace themis
