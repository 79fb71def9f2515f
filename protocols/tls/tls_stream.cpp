#include "protocols/tls/tls_stream.hpp"

#include <algorithm>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "protocols/tls/tls_context.hpp"

namespace themis::tls {

namespace {

bool looks_like_http(std::string_view in) {
  for (auto m :
       {"GET ", "POST", "PUT ", "HEAD", "DELE", "OPTI", "PATC", "PRI "})
    if (in.substr(0, 4) == m)
      return true;
  return false;
}

} // namespace

stream::stream(std::shared_ptr<const context> ctx) : ctx_(std::move(ctx)) {
  ssl_ = SSL_new(ctx_->native());
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio_, -1); // empty: "retry", not end of file
  SSL_set_bio(ssl_, rbio_, wbio_);   // the SSL owns both now
  SSL_set_accept_state(ssl_);
}

stream::~stream() {
  SSL_free(ssl_);
}

void stream::drain(std::string& out) {
  char buf[16384];
  while (BIO_ctrl_pending(wbio_) > 0) {
    int n = BIO_read(wbio_, buf, sizeof buf);
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
}

stream::status stream::fail(int ret) {
  int e = SSL_get_error(ssl_, ret);
  if (e == SSL_ERROR_ZERO_RETURN)
    return status::closed;
  char buf[256];
  auto code = ERR_peek_last_error();
  if (code) {
    ERR_error_string_n(code, buf, sizeof buf);
    error_ = buf;
  } else {
    error_ = e == SSL_ERROR_SYSCALL ? "unexpected end of the TLS stream"
                                    : "TLS error " + std::to_string(e);
  }
  ERR_clear_error();
  return status::failed;
}

stream::status stream::on_ciphertext(std::string_view in, std::string& plain,
                                     std::string& out) {
  if (first_ && !in.empty()) {
    first_ = false;
    plaintext_http_ = looks_like_http(in);
  }
  ERR_clear_error(); // SSL_get_error needs an empty queue (SSL_get_error(3))
  if (!in.empty() &&
      BIO_write(rbio_, in.data(), static_cast<int>(in.size())) <= 0) {
    error_ = "TLS input buffer";
    ERR_clear_error();
    return status::failed;
  }
  if (!done_) {
    int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      int e = SSL_get_error(ssl_, r);
      drain(out); // an alert, or the next flight
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return status::ok;
      return fail(r);
    }
    done_ = true;
    if (!pending_.empty()) {
      auto p = std::move(pending_);
      pending_.clear();
      if (write(p, out) != status::ok)
        return status::failed;
    }
  }
  char buf[16384];
  while (true) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plain.append(buf, static_cast<size_t>(n));
      continue;
    }
    int e = SSL_get_error(ssl_, n);
    drain(out); // tickets, key updates, alerts
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return status::ok;
    return fail(n);
  }
}

stream::status stream::write(std::string_view plain, std::string& out) {
  if (!done_) {
    pending_.append(plain);
    return status::ok;
  }
  ERR_clear_error();
  while (!plain.empty()) {
    auto chunk = std::min<size_t>(plain.size(), 1u << 30);
    int n = SSL_write(ssl_, plain.data(), static_cast<int>(chunk));
    if (n <= 0) {
      drain(out);
      return fail(n);
    }
    plain.remove_prefix(static_cast<size_t>(n));
  }
  drain(out);
  return status::ok;
}

void stream::shutdown(std::string& out) {
  if (done_)
    SSL_shutdown(ssl_);
  drain(out);
  ERR_clear_error();
}

std::string stream::alpn() const {
  const unsigned char* p = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_, &p, &len);
  return p ? std::string(reinterpret_cast<const char*>(p), len) : "";
}

std::string stream::server_name() const {
  auto* n = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return n ? n : "";
}

std::string stream::version() const {
  return SSL_get_version(ssl_);
}

std::string stream::peer_subject() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert)
    return "";
  std::string out;
  if (SSL_get_verify_result(ssl_) == X509_V_OK) {
    BIO* b = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(b, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    out.assign(data, static_cast<size_t>(n));
    BIO_free(b);
  }
  X509_free(cert);
  return out;
}

} // namespace themis::tls
