#include "protocols/http3/h3_tls.hpp"

#include <algorithm>
#include <cstring>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

namespace themis::http3 {

namespace {

constexpr char h3_alpn[] = "h3";

/// RFC 9001 §8.1: a QUIC server that cannot agree on an application
/// protocol fails the handshake (no_application_protocol).
int client_hello_cb(gnutls_session_t session, unsigned int, unsigned,
                    unsigned int, const gnutls_datum_t*) {
  gnutls_datum_t alpn;
  if (gnutls_alpn_get_selected_protocol(session, &alpn) != 0)
    return -1;
  if (alpn.size != 2 || std::memcmp(alpn.data, h3_alpn, 2) != 0)
    return -1;
  return 0;
}

} // namespace

struct tls_session::conn_ref {
  ngtcp2_crypto_conn_ref ref;
  ngtcp2_conn** slot;
};

std::shared_ptr<const tls_credentials>
tls_credentials::load(const std::string& cert_file, const std::string& key_file,
                      std::string& error) {
  std::shared_ptr<tls_credentials> c(new tls_credentials());
  if (int rv = gnutls_certificate_allocate_credentials(&c->cred_); rv != 0) {
    error = gnutls_strerror(rv);
    return nullptr;
  }
  if (int rv = gnutls_certificate_set_x509_key_file(
        c->cred_, cert_file.c_str(), key_file.c_str(), GNUTLS_X509_FMT_PEM);
      rv < 0) {
    error = "GnuTLS cannot load " + cert_file + " / " + key_file + ": " +
            gnutls_strerror(rv);
    return nullptr;
  }
  return c;
}

tls_credentials::~tls_credentials() {
  if (cred_)
    gnutls_certificate_free_credentials(cred_);
}

tls_session::tls_session() = default;

tls_session::~tls_session() {
  if (session_)
    gnutls_deinit(session_);
}

bool tls_session::init(const tls_credentials& creds, ngtcp2_conn** conn_slot,
                       std::string& error) {
  // no GNUTLS_ENABLE_EARLY_DATA: 0-RTT stays off (replayable requests)
  if (int rv =
        gnutls_init(&session_, GNUTLS_SERVER | GNUTLS_NO_AUTO_SEND_TICKET |
                                 GNUTLS_NO_END_OF_EARLY_DATA);
      rv != 0) {
    error = gnutls_strerror(rv);
    return false;
  }
  const char* prio =
    "%DISABLE_TLS13_COMPAT_MODE:NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:"
    "+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM:-GROUP-ALL:"
    "+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:+GROUP-SECP521R1";
  if (int rv = gnutls_priority_set_direct(session_, prio, nullptr); rv != 0) {
    error = gnutls_strerror(rv);
    return false;
  }
  gnutls_handshake_set_hook_function(session_, GNUTLS_HANDSHAKE_CLIENT_HELLO,
                                     GNUTLS_HOOK_POST, client_hello_cb);
  if (ngtcp2_crypto_gnutls_configure_server_session(session_) != 0) {
    error = "ngtcp2_crypto_gnutls_configure_server_session failed";
    return false;
  }
  ref_ = std::make_unique<conn_ref>();
  ref_->slot = conn_slot;
  ref_->ref.user_data = ref_.get();
  ref_->ref.get_conn = [](ngtcp2_crypto_conn_ref* r) {
    return *static_cast<conn_ref*>(r->user_data)->slot;
  };
  gnutls_session_set_ptr(session_, &ref_->ref);
  if (int rv =
        gnutls_credentials_set(session_, GNUTLS_CRD_CERTIFICATE, creds.get());
      rv != 0) {
    error = gnutls_strerror(rv);
    return false;
  }
  gnutls_datum_t alpn{
    reinterpret_cast<unsigned char*>(const_cast<char*>(h3_alpn)), 2};
  gnutls_alpn_set_protocols(
    session_, &alpn, 1, GNUTLS_ALPN_MANDATORY | GNUTLS_ALPN_SERVER_PRECEDENCE);
  return true;
}

void random_bytes(void* dest, size_t len) {
  if (gnutls_rnd(GNUTLS_RND_RANDOM, dest, len) != 0)
    std::memset(dest, 0, len); // (never: GnuTLS aborts without entropy)
}

} // namespace themis::http3
