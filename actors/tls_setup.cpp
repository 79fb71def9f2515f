#include "actors/tls_setup.hpp"

#include <vector>

#include "actors/server_context.hpp"
#include "protocols/tls/tls_context.hpp"

namespace themis {

namespace {

std::shared_ptr<const tls::context> make(const tls_section& cfg,
                                         std::vector<std::string> alpn,
                                         std::string& error) {
  tls::options o;
  o.cert_file = cfg.cert;
  o.key_file = cfg.key;
  o.min_version = cfg.min_version;
  o.ciphersuites = cfg.ciphersuites;
  o.ciphers = cfg.ciphers;
  o.client_ca_file = cfg.client_ca;
  o.client_auth = cfg.client_auth;
  o.alpn = std::move(alpn);
  if (!tls::parse_sni_list(cfg.sni, o.sni, error))
    return nullptr;
  return tls::context::create(o, error);
}

} // namespace

bool load_tls(const tls_section& cfg, tls_state& out, std::string& error) {
  // strict ALPN per listener (the ALPACA advice): a client cannot make
  // one protocol's port talk another
  auto http = make(cfg, {"h2", "http/1.1"}, error);
  auto mqtt = http ? make(cfg, {"mqtt"}, error) : nullptr;
  auto pg = mqtt ? make(cfg, {"postgresql"}, error) : nullptr;
  if (!pg)
    return false;
  out.set(tls_state::http, std::move(http));
  out.set(tls_state::mqtt, std::move(mqtt));
  out.set(tls_state::pg, std::move(pg));
  return true;
}

} // namespace themis
