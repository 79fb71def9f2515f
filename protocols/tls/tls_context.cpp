#include "protocols/tls/tls_context.hpp"

#include <algorithm>
#include <cctype>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace themis::tls {

namespace {

std::string ssl_error() {
  std::string out;
  while (auto e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

/// ALPN: the first protocol of ours the client offers (server preference,
/// RFC 7301 §3.2); none in common: continue without ALPN.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen,
                const unsigned char* in, unsigned int inlen, void* arg) {
  auto* ours = static_cast<const std::vector<std::string>*>(arg);
  for (auto& p : *ours) {
    for (unsigned i = 0; i < inlen;) {
      unsigned len = in[i];
      if (i + 1 + len > inlen)
        break;
      if (len == p.size() && std::equal(p.begin(), p.end(), in + i + 1)) {
        *out = in + i + 1;
        *outlen = static_cast<unsigned char>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

bool name_matches(const std::string& pattern, const std::string& host) {
  if (pattern.rfind("*.", 0) == 0) {
    auto dot = host.find('.');
    return dot != std::string::npos &&
           host.size() - dot == pattern.size() - 1 &&
           std::equal(
             pattern.begin() + 1, pattern.end(), host.begin() + dot,
             [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  }
  return pattern.size() == host.size() &&
         std::equal(
           pattern.begin(), pattern.end(), host.begin(),
           [](char a, char b) { return std::tolower(a) == std::tolower(b); });
}

int on_servername(SSL* ssl, int*, void* arg) {
  auto* self = static_cast<const context*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name)
    return SSL_TLSEXT_ERR_OK;
  auto* ctx = self->for_name(name);
  if (ctx != self->native())
    SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

SSL_CTX* make_ctx(const options& o, const std::string& cert,
                  const std::string& key, std::string& error) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    error = ssl_error();
    return nullptr;
  }
  auto fail = [&](std::string what) {
    error = what + ": " + ssl_error();
    SSL_CTX_free(ctx);
    return nullptr;
  };
  int min = o.min_version == "1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
  SSL_CTX_set_min_proto_version(ctx, min);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!o.ciphersuites.empty() &&
      !SSL_CTX_set_ciphersuites(ctx, o.ciphersuites.c_str()))
    return fail("tls.ciphersuites '" + o.ciphersuites + "'");
  if (min == TLS1_2_VERSION && !o.ciphers.empty() &&
      !SSL_CTX_set_cipher_list(ctx, o.ciphers.c_str()))
    return fail("tls.ciphers '" + o.ciphers + "'");
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
    return fail("certificate " + cert);
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail("private key " + key);
  if (SSL_CTX_check_private_key(ctx) != 1)
    return fail("key " + key + " does not match " + cert);
  // resumption: stateless TLS 1.3 tickets (OpenSSL's default, two per
  // handshake) and a session id context, which client certificates need
  static const unsigned char sid[] = "themisd";
  SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  if (!o.client_ca_file.empty() && o.client_auth != "none") {
    if (SSL_CTX_load_verify_locations(ctx, o.client_ca_file.c_str(), nullptr) !=
        1)
      return fail("client CA " + o.client_ca_file);
    SSL_CTX_set_client_CA_list(
      ctx, SSL_load_client_CA_file(o.client_ca_file.c_str()));
    int mode = SSL_VERIFY_PEER;
    if (o.client_auth == "required")
      mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, nullptr);
  }
  return ctx;
}

} // namespace

std::shared_ptr<context> context::create(const options& o, std::string& error) {
  if (o.cert_file.empty() || o.key_file.empty()) {
    error = "tls.cert and tls.key are required";
    return nullptr;
  }
  if (o.min_version != "1.2" && o.min_version != "1.3") {
    error = "tls.min_version must be 1.2 or 1.3";
    return nullptr;
  }
  if (o.client_auth != "none" && o.client_auth != "optional" &&
      o.client_auth != "required") {
    error = "tls.client_auth must be none, optional or required";
    return nullptr;
  }
  if (o.client_auth != "none" && o.client_ca_file.empty()) {
    error = "tls.client_auth needs tls.client_ca";
    return nullptr;
  }
  std::shared_ptr<context> c(new context());
  c->opts_ = o;
  c->ctx_ = make_ctx(o, o.cert_file, o.key_file, error);
  if (!c->ctx_)
    return nullptr;
  for (auto& s : o.sni) {
    auto* x = make_ctx(o, s.cert_file, s.key_file, error);
    if (!x)
      return nullptr;
    c->sni_.emplace_back(s.host, x);
  }
  auto setup = [&](SSL_CTX* x) {
    SSL_CTX_set_alpn_select_cb(
      x, select_alpn, const_cast<std::vector<std::string>*>(&c->opts_.alpn));
    SSL_CTX_set_tlsext_servername_callback(x, on_servername);
    SSL_CTX_set_tlsext_servername_arg(x, c.get());
  };
  setup(c->ctx_);
  for (auto& [host, x] : c->sni_)
    setup(x);
  return c;
}

context::~context() {
  for (auto& [host, x] : sni_)
    SSL_CTX_free(x);
  SSL_CTX_free(ctx_);
}

SSL_CTX* context::for_name(const std::string& host) const {
  for (auto& [pattern, x] : sni_)
    if (name_matches(pattern, host))
      return x;
  return ctx_;
}

bool parse_sni_list(const std::string& text, std::vector<sni_cert>& out,
                    std::string& error) {
  size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find(';', pos);
    auto item = text.substr(pos, end == std::string::npos ? std::string::npos
                                                          : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (item.empty())
      continue;
    auto eq = item.find('=');
    auto colon = item.find(':', eq == std::string::npos ? 0 : eq);
    if (eq == std::string::npos || colon == std::string::npos || eq == 0) {
      error = "tls.sni entry '" + item + "' is not host=cert:key";
      return false;
    }
    out.push_back({item.substr(0, eq), item.substr(eq + 1, colon - eq - 1),
                   item.substr(colon + 1)});
  }
  return true;
}

} // namespace themis::tls
