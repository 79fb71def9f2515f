#include "auth/password.hpp"

#include <mutex>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unordered_set>
#include <vector>

#include "themis/base64.hpp"

namespace themis::auth {

namespace {

constexpr std::string_view prefix = "pbkdf2_sha256$";

std::string derive(std::string_view pw, std::string_view salt,
                   uint32_t iterations) {
  unsigned char key[32];
  PKCS5_PBKDF2_HMAC(pw.data(), static_cast<int>(pw.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), static_cast<int>(iterations),
                    EVP_sha256(), sizeof key, key);
  return base64_encode(
    std::string_view(reinterpret_cast<const char*>(key), sizeof key));
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// Digests of (stored, given) pairs that matched.
struct verified_cache {
  std::mutex mtx;
  std::unordered_set<std::string> hits;
  static std::string key(std::string_view stored, std::string_view given) {
    std::string in(stored);
    in.push_back('\0');
    in.append(given);
    unsigned char d[32];
    unsigned len = 0;
    EVP_Digest(in.data(), in.size(), d, &len, EVP_sha256(), nullptr);
    return std::string(reinterpret_cast<char*>(d), len);
  }
};

verified_cache& cache() {
  static verified_cache c;
  return c;
}

} // namespace

bool is_password_hash(std::string_view stored) {
  return stored.substr(0, prefix.size()) == prefix;
}

std::string hash_password(std::string_view password, uint32_t iterations) {
  static constexpr char alphabet[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char raw[16];
  RAND_bytes(raw, sizeof raw);
  std::string salt;
  for (auto c : raw)
    salt.push_back(alphabet[c % 62]);
  return std::string(prefix) + std::to_string(iterations) + "$" + salt + "$" +
         derive(password, salt, iterations);
}

bool check_password(std::string_view stored, std::string_view given) {
  if (!is_password_hash(stored))
    return same(stored, given);
  auto rest = stored.substr(prefix.size());
  auto d1 = rest.find('$');
  auto d2 = d1 == std::string_view::npos ? d1 : rest.find('$', d1 + 1);
  if (d2 == std::string_view::npos)
    return false;
  uint32_t iterations = 0;
  for (char c : rest.substr(0, d1)) {
    if (c < '0' || c > '9' || iterations > 100000000)
      return false;
    iterations = iterations * 10 + static_cast<uint32_t>(c - '0');
  }
  if (iterations == 0)
    return false;
  auto& c = cache();
  auto k = verified_cache::key(stored, given);
  {
    std::lock_guard<std::mutex> g(c.mtx);
    if (c.hits.count(k))
      return true;
  }
  auto salt = rest.substr(d1 + 1, d2 - d1 - 1);
  bool ok = same(derive(given, salt, iterations), rest.substr(d2 + 1));
  if (ok) {
    std::lock_guard<std::mutex> g(c.mtx);
    if (c.hits.size() >= 65536)
      c.hits.clear(); // bounded: a full cache starts over
    c.hits.insert(std::move(k));
  }
  return ok;
}

} // namespace themis::auth
