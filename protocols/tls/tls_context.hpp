#pragma once
/// A server TLS configuration as one OpenSSL SSL_CTX (plus one per extra
/// SNI certificate): TLS 1.3 only unless 1.2 is allowed, ALPN chosen by
/// server preference, optional client certificates, session tickets.
/// Immutable once built; a reload (SIGHUP) builds a new one and new
/// connections take it while open ones keep theirs.

#include <memory>
#include <string>
#include <vector>

typedef struct ssl_ctx_st SSL_CTX;

namespace themis::tls {

struct sni_cert {
  std::string host; ///< exact name, or "*.example.com"
  std::string cert_file;
  std::string key_file;
};

struct options {
  std::string cert_file; ///< PEM chain; the default certificate
  std::string key_file;
  std::vector<sni_cert> sni;
  std::string min_version = "1.3"; ///< "1.3" or "1.2"
  /// TLS 1.3 suites (OpenSSL names, ':'-separated); empty: OpenSSL's.
  std::string ciphersuites;
  /// TLS 1.2 ciphers when 1.2 is allowed: ECDHE with AEAD only.
  std::string ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";
  std::vector<std::string> alpn;    ///< in server preference order
  std::string client_ca_file;       ///< for client certificates (mTLS)
  std::string client_auth = "none"; ///< none | optional | required
};

class context {
public:
  /// Builds the context; on failure returns null and says why (which
  /// file, which OpenSSL error).
  static std::shared_ptr<context> create(const options& o, std::string& error);
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  SSL_CTX* native() const { return ctx_; }
  const options& opts() const { return opts_; }
  /// The context for an SNI name (the default one if none matches).
  SSL_CTX* for_name(const std::string& host) const;

private:
  context() = default;
  SSL_CTX* ctx_ = nullptr;
  std::vector<std::pair<std::string, SSL_CTX*>> sni_;
  options opts_;
};

/// "host=cert:key;host2=cert2:key2" (the config string form).
bool parse_sni_list(const std::string& text, std::vector<sni_cert>& out,
                    std::string& error);

} // namespace themis::tls
