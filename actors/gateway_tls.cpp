/// TLS to gateway upstreams (gateway_upstream_conn.hpp): OpenSSL through
/// Asio's ssl::stream, one client context per cluster.

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "actors/gateway_upstream_conn.hpp"

namespace themis::gateway_detail {

upstream_tls make_upstream_tls(const std::string& ca_file, bool verify,
                               const std::string& sni,
                               const std::string& cert_file,
                               const std::string& key_file) {
  upstream_tls t;
  t.verify = verify;
  t.sni = sni;
  try {
    auto ctx =
      std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(
      asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
      asio::ssl::context::no_tlsv1_1);
    if (verify) {
      if (ca_file.empty())
        ctx->set_default_verify_paths();
      else
        ctx->load_verify_file(ca_file);
    }
    if (!cert_file.empty()) {
      ctx->use_certificate_chain_file(cert_file);
      ctx->use_private_key_file(key_file, asio::ssl::context::pem);
    }
    t.ctx = std::move(ctx);
  } catch (const std::exception& e) {
    t.error = std::string("upstream TLS setup failed: ") + e.what();
  }
  return t;
}

void start_tls(const conn_ptr& c, const upstream_tls& t,
               const std::string& host, std::function<void(std::string)> done) {
  if (!t.error.empty() || !t.ctx) {
    done(t.error.empty() ? "upstream TLS setup failed" : t.error);
    return;
  }
  c->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(c->sock, *t.ctx);
  auto name = t.sni.empty() ? host : t.sni;
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  bool is_ip = !ec;
  auto* ssl = c->tls->native_handle();
  if (!is_ip && !name.empty()) // RFC 6066 §3: no SNI for an address
    SSL_set_tlsext_host_name(ssl, name.c_str());
  if (t.verify) {
    c->tls->set_verify_mode(asio::ssl::verify_peer);
    // OpenSSL's own name check: a mismatch is a verify result with a
    // name (X509_V_ERR_HOSTNAME_MISMATCH), not an anonymous failure
    auto* param = SSL_get0_param(ssl);
    if (is_ip)
      X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
    else {
      X509_VERIFY_PARAM_set_hostflags(param,
                                      X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      SSL_set1_host(ssl, name.c_str());
    }
  } else {
    c->tls->set_verify_mode(asio::ssl::verify_none);
  }
  c->tls->async_handshake(
    asio::ssl::stream_base::client,
    [c, done = std::move(done)](boost::system::error_code ec) {
      if (!ec) {
        done({});
        return;
      }
      std::string why = "upstream TLS handshake failed: ";
      auto v = SSL_get_verify_result(c->tls->native_handle());
      if (v != X509_V_OK) // the clear reason: which check failed
        why += std::string("certificate verify failed: ") +
               X509_verify_cert_error_string(v);
      else
        why += ec.message();
      done(std::move(why));
    });
}

} // namespace themis::gateway_detail
