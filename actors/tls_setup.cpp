#include "actors/tls_setup.hpp"

#include "protocols/tls/tls_context.hpp"

namespace themis {

std::shared_ptr<const tls::context> make_tls_context(const tls_section& cfg,
                                                     std::string& error) {
  tls::options o;
  o.cert_file = cfg.cert;
  o.key_file = cfg.key;
  o.min_version = cfg.min_version;
  o.ciphersuites = cfg.ciphersuites;
  o.ciphers = cfg.ciphers;
  o.client_ca_file = cfg.client_ca;
  o.client_auth = cfg.client_auth;
  // one context for every TLS listener: the client's ALPN offer picks
  // (server preference among what it offers)
  o.alpn = {"h2", "http/1.1", "mqtt", "postgresql"};
  if (!tls::parse_sni_list(cfg.sni, o.sni, error))
    return nullptr;
  return tls::context::create(o, error);
}

} // namespace themis
