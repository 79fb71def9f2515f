#pragma once
/// QUIC's TLS 1.3 on GnuTLS: the certificate/key credentials (loaded from
/// the same PEM files as the TCP listeners' OpenSSL contexts) and one
/// server session per QUIC connection, wired to ngtcp2's crypto helpers.
/// GnuTLS because Debian 12's OpenSSL 3.0 has no QUIC API (docs/http3.md).

#include <memory>
#include <string>

typedef struct gnutls_certificate_credentials_st*
  gnutls_certificate_credentials_t;
typedef struct gnutls_session_int* gnutls_session_t;
typedef struct ngtcp2_conn ngtcp2_conn;

namespace themis::http3 {

class tls_credentials {
public:
  /// Loads `cert_file`/`key_file` (PEM); null with `error` on failure.
  static std::shared_ptr<const tls_credentials>
  load(const std::string& cert_file, const std::string& key_file,
       std::string& error);
  ~tls_credentials();
  gnutls_certificate_credentials_t get() const { return cred_; }

private:
  tls_credentials() = default;
  gnutls_certificate_credentials_t cred_ = nullptr;
};

/// A server TLS session speaking ALPN "h3" only, 0-RTT off; `conn_of`
/// gives ngtcp2's crypto callbacks the connection (set before use).
class tls_session {
public:
  tls_session();
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;
  /// False with `error` when GnuTLS refuses a setting.
  bool init(const tls_credentials& creds, ngtcp2_conn** conn_slot,
            std::string& error);
  gnutls_session_t native() const { return session_; }

private:
  gnutls_session_t session_ = nullptr;
  /// ngtcp2_crypto_conn_ref (opaque here): GnuTLS's session pointer.
  struct conn_ref;
  std::unique_ptr<conn_ref> ref_;
};

/// Cryptographically random bytes (GnuTLS's generator).
void random_bytes(void* dest, size_t len);

} // namespace themis::http3
