#include "protocols/pgwire/scram.hpp"

#include "themis/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace themis::pgwire {

namespace {

std::string hmac(std::string_view key, std::string_view msg) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), out,
       &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha256(std::string_view in) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(in.data()), in.size(), out);
  return std::string(reinterpret_cast<char*>(out), sizeof(out));
}

/// "a=1,b=2" → the value of `key`, if the attribute is there.
std::optional<std::string_view> attr(std::string_view msg, char key) {
  size_t i = 0;
  while (i < msg.size()) {
    auto j = msg.find(',', i);
    if (j == std::string_view::npos)
      j = msg.size();
    auto part = msg.substr(i, j - i);
    if (part.size() >= 2 && part[0] == key && part[1] == '=')
      return part.substr(2);
    i = j + 1;
  }
  return std::nullopt;
}

bool printable_nonce(std::string_view n) {
  if (n.empty())
    return false;
  for (unsigned char c : n)
    if (c < 0x21 || c > 0x7e || c == ',')
      return false;
  return true;
}

} // namespace

std::string base64_encode(std::string_view raw) {
  return themis::base64_encode(raw);
}

std::optional<std::string> base64_decode(std::string_view text) {
  return themis::base64_decode(text);
}

scram_secret scram_secret::from_password(std::string_view password,
                                         std::string salt, int iterations) {
  scram_secret s;
  s.salt = std::move(salt);
  s.iterations = iterations;
  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(s.salt.data()),
                    static_cast<int>(s.salt.size()), iterations, EVP_sha256(),
                    sizeof(salted), salted);
  std::string_view sp(reinterpret_cast<char*>(salted), sizeof(salted));
  s.stored_key = sha256(hmac(sp, "Client Key"));
  s.server_key = hmac(sp, "Server Key");
  return s;
}

std::optional<scram_secret> scram_secret::parse(std::string_view v) {
  // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
  constexpr std::string_view prefix = "SCRAM-SHA-256$";
  if (v.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  v.remove_prefix(prefix.size());
  auto colon1 = v.find(':'), dollar = v.find('$');
  if (colon1 == std::string_view::npos || dollar == std::string_view::npos ||
      colon1 > dollar)
    return std::nullopt;
  auto colon2 = v.find(':', dollar);
  if (colon2 == std::string_view::npos)
    return std::nullopt;
  scram_secret s;
  auto iter = v.substr(0, colon1);
  if (iter.empty() || iter.size() > 7)
    return std::nullopt;
  s.iterations = 0;
  for (char c : iter) {
    if (c < '0' || c > '9')
      return std::nullopt;
    s.iterations = s.iterations * 10 + (c - '0');
  }
  auto salt = base64_decode(v.substr(colon1 + 1, dollar - colon1 - 1));
  auto stored = base64_decode(v.substr(dollar + 1, colon2 - dollar - 1));
  auto server = base64_decode(v.substr(colon2 + 1));
  if (!salt || !stored || !server || stored->size() != 32 ||
      server->size() != 32 || s.iterations <= 0)
    return std::nullopt;
  s.salt = *salt;
  s.stored_key = *stored;
  s.server_key = *server;
  return s;
}

std::string scram_secret::to_verifier() const {
  return "SCRAM-SHA-256$" + std::to_string(iterations) + ":" +
         base64_encode(salt) + "$" + base64_encode(stored_key) + ":" +
         base64_encode(server_key);
}

scram_server::scram_server(scram_secret secret, std::string nonce) :
  secret_(std::move(secret)), server_nonce_(std::move(nonce)) {}

std::optional<std::string> scram_server::first(std::string_view msg) {
  // gs2-header: "n,," (no channel binding) or "y,," (client could but
  // thinks the server cannot); "p=…" would need TLS channel binding.
  if (msg.size() < 3 || (msg[0] != 'n' && msg[0] != 'y') || msg[1] != ',') {
    error_ = "malformed SCRAM message (channel binding not supported)";
    return std::nullopt;
  }
  auto second = msg.find(',', 2);
  if (second == std::string_view::npos) {
    error_ = "malformed SCRAM message";
    return std::nullopt;
  }
  gs2_header_ = std::string(msg.substr(0, second + 1));
  client_first_bare_ = std::string(msg.substr(second + 1));
  auto r = attr(client_first_bare_, 'r');
  if (!r || !printable_nonce(*r) || client_first_bare_.rfind("m=", 0) == 0) {
    error_ = "malformed SCRAM client-first-message";
    return std::nullopt;
  }
  nonce_ = std::string(*r) + server_nonce_;
  server_first_ = "r=" + nonce_ + ",s=" + base64_encode(secret_.salt) +
                  ",i=" + std::to_string(secret_.iterations);
  return server_first_;
}

std::optional<std::string> scram_server::final(std::string_view msg) {
  ok_ = false;
  auto c = attr(msg, 'c');
  auto r = attr(msg, 'r');
  auto proof_pos = msg.rfind(",p=");
  if (!c || !r || proof_pos == std::string_view::npos) {
    error_ = "malformed SCRAM client-final-message";
    return std::nullopt;
  }
  if (base64_decode(*c) != gs2_header_ || *r != nonce_) {
    error_ = "SCRAM channel binding or nonce does not match";
    return std::nullopt;
  }
  auto proof = base64_decode(msg.substr(proof_pos + 3));
  if (!proof || proof->size() != 32) {
    error_ = "malformed SCRAM proof";
    return std::nullopt;
  }
  auto without_proof = msg.substr(0, proof_pos);
  auto auth_message =
    client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  auto client_signature = hmac(secret_.stored_key, auth_message);
  std::string client_key(32, '\0');
  for (size_t i = 0; i < 32; ++i)
    client_key[i] = static_cast<char>((*proof)[i] ^ client_signature[i]);
  auto computed = sha256(client_key);
  if (CRYPTO_memcmp(computed.data(), secret_.stored_key.data(), 32) != 0) {
    error_ = "password authentication failed";
    return std::nullopt;
  }
  ok_ = true;
  return "v=" + base64_encode(hmac(secret_.server_key, auth_message));
}

} // namespace themis::pgwire
