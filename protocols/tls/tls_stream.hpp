#pragma once
/// One server-side TLS connection over memory BIOs: ciphertext in, clear
/// text out, and the other way round. No sockets, no threads: the owner
/// (tcp_connection, or a blocking PostgreSQL backend) moves the bytes.
/// Not thread-safe; one owner drives it.

#include <memory>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace themis::tls {

class context;

class stream {
public:
  explicit stream(std::shared_ptr<const context> ctx);
  ~stream();
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  enum class status {
    ok,     ///< keep going
    closed, ///< the peer sent close_notify
    failed, ///< handshake or record error: `error()` says which
  };

  /// Feeds bytes from the network. Decrypted data is appended to
  /// `plain`; bytes for the network (handshake, alerts, tickets) to `out`.
  status on_ciphertext(std::string_view in, std::string& plain,
                       std::string& out);
  /// Encrypts `plain` into `out` (after the handshake; before it, the
  /// data waits and goes out when the handshake completes).
  status write(std::string_view plain, std::string& out);
  /// close_notify into `out`.
  void shutdown(std::string& out);

  bool handshake_done() const { return done_; }
  /// The first bytes looked like a clear-text HTTP request.
  bool plaintext_http() const { return plaintext_http_; }
  const std::string& error() const { return error_; }
  std::string alpn() const;
  std::string server_name() const;
  std::string version() const;
  /// The verified client certificate's subject ("" if none), RFC 2253.
  std::string peer_subject() const;

private:
  void drain(std::string& out);
  status fail(int ret);

  std::shared_ptr<const context> ctx_;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr; ///< network → OpenSSL
  BIO* wbio_ = nullptr; ///< OpenSSL → network
  bool done_ = false;
  bool first_ = true;
  bool plaintext_http_ = false;
  std::string pending_; ///< clear text written before the handshake ended
  std::string error_;
};

} // namespace themis::tls
