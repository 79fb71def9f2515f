/// USB admin keys (issue 24), pure parts: key parsing (Ed25519 and P-256
/// only), signature checks over the login message, and the challenge
/// store (single use, expiry, bounds, per-client rate).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth/usb_admin/admin_key.hpp"
#include "auth/usb_admin/challenge_store.hpp"
#include "auth/usb_admin/key_store.hpp"
#include "auth/usb_admin/window_counter.hpp"

using namespace themis::auth::usb_admin;

namespace {

struct keypair {
  EVP_PKEY* k = nullptr;
  explicit keypair(const char* type, const char* arg = nullptr) {
    // RSA takes the key size as a size_t vararg: without it OpenSSL reads
    // whatever is in that slot and may generate a huge key (a CI timeout)
    if (std::string(type) == "RSA")
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, type, size_t{2048});
    else
      k = arg ? EVP_PKEY_Q_keygen(nullptr, nullptr, type, arg)
              : EVP_PKEY_Q_keygen(nullptr, nullptr, type);
  }
  ~keypair() { EVP_PKEY_free(k); }
  std::string pub_pem() const {
    BIO* b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, k);
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    std::string s(p, static_cast<size_t>(n));
    BIO_free(b);
    return s;
  }
  std::string sign(const std::string& msg, bool ed) const {
    EVP_MD_CTX* c = EVP_MD_CTX_new();
    EVP_DigestSignInit(c, nullptr, ed ? nullptr : EVP_sha256(), nullptr, k);
    size_t n = 0;
    EVP_DigestSign(c, nullptr, &n,
                   reinterpret_cast<const unsigned char*>(msg.data()),
                   msg.size());
    std::string sig(n, '\0');
    EVP_DigestSign(c, reinterpret_cast<unsigned char*>(sig.data()), &n,
                   reinterpret_cast<const unsigned char*>(msg.data()),
                   msg.size());
    sig.resize(n);
    EVP_MD_CTX_free(c);
    return sig;
  }
};

} // namespace

TEST(usb_admin, ed25519_and_p256_sign_the_login_message) {
  for (bool ed : {true, false}) {
    keypair kp(ed ? "ED25519" : "EC", ed ? nullptr : "P-256");
    ASSERT_NE(kp.k, nullptr);
    std::string err;
    auto key = admin_key::from_pem(kp.pub_pem(), err);
    ASSERT_TRUE(key) << err;
    EXPECT_EQ(key->type(), ed ? "ed25519" : "p256");
    EXPECT_EQ(key->fingerprint().size(), 64u);
    auto msg = login_message("nonce1");
    auto sig = kp.sign(msg, ed);
    EXPECT_TRUE(key->verify(msg, sig));
    EXPECT_FALSE(key->verify(login_message("nonce2"), sig)); // other nonce
    EXPECT_FALSE(key->verify(msg, kp.sign("nonce1", ed)));   // no context
    auto bad = sig;
    bad[bad.size() / 2] ^= 1;
    EXPECT_FALSE(key->verify(msg, bad));
    EXPECT_FALSE(key->verify(msg, ""));
    // a signature by another key of the same type
    keypair other(ed ? "ED25519" : "EC", ed ? nullptr : "P-256");
    EXPECT_FALSE(key->verify(msg, other.sign(msg, ed)));
  }
}

TEST(usb_admin, refuses_other_keys_and_junk) {
  std::string err;
  keypair rsa("RSA", nullptr);
  if (rsa.k) {
    EXPECT_FALSE(admin_key::from_pem(rsa.pub_pem(), err));
    EXPECT_NE(err.find("Ed25519"), std::string::npos);
  }
  keypair p384("EC", "P-384");
  ASSERT_NE(p384.k, nullptr);
  EXPECT_FALSE(admin_key::from_pem(p384.pub_pem(), err));
  EXPECT_NE(err.find("P-256"), std::string::npos);
  for (std::string bad :
       {std::string(), std::string("hello"),
        std::string("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC "
                    "KEY-----\n"),
        std::string("-----BEGIN PUBLIC KEY-----\n") + std::string(5000, 'A')}) {
    err.clear();
    EXPECT_FALSE(admin_key::from_pem(bad, err));
    EXPECT_FALSE(err.empty());
  }
}

TEST(usb_admin, nonces_are_single_use_and_expire) {
  challenge_store s({60, 1024, 10, 600});
  auto n = s.issue("fp1", "10.0.0.1", 1000);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->size(), 43u);
  EXPECT_EQ(s.consume(*n, 1001), std::optional<std::string>("fp1"));
  EXPECT_FALSE(s.consume(*n, 1001)); // replayed
  auto m = s.issue("fp1", "10.0.0.1", 1000);
  ASSERT_TRUE(m);
  EXPECT_FALSE(s.consume(*m, 1061)); // expired
  EXPECT_FALSE(s.consume("made-up", 1000));
}

TEST(usb_admin, bounded_and_rate_limited) {
  challenge_store s({60, 5, 3, 600});
  EXPECT_TRUE(s.issue("fp", "a", 0));
  EXPECT_TRUE(s.issue("fp", "a", 1));
  EXPECT_TRUE(s.issue("fp", "a", 2));
  EXPECT_FALSE(s.issue("fp", "a", 3)); // 3 a minute
  EXPECT_TRUE(s.issue("fp", "b", 3));  // another client
  EXPECT_TRUE(s.issue("fp", "a", 61)); // a minute later
  std::optional<std::string> first;
  for (int i = 0; i < 10; ++i) {
    auto n = s.issue("fp", "c" + std::to_string(i), 62);
    if (i == 0)
      first = n;
  }
  EXPECT_LE(s.outstanding(), 5u);
  EXPECT_FALSE(s.consume(*first, 62)); // pushed out by newer ones
}

TEST(usb_admin, client_table_is_bounded_by_the_global_rate) {
  // a flood from many addresses: the per-client table never outgrows the
  // global cap, and the sweep forgets addresses after a minute
  challenge_store s({60, 1024, 10, 100});
  size_t issued = 0;
  for (int i = 0; i < 5000; ++i)
    issued += s.issue("fp", "10.0." + std::to_string(i), 10).has_value();
  EXPECT_EQ(issued, 100u);
  EXPECT_LE(s.tracked_clients(), 100u);
  EXPECT_TRUE(s.issue("fp", "10.9.9.9", 71)); // the window moved on
  EXPECT_EQ(s.tracked_clients(), 1u);
}

TEST(usb_admin, window_counter_counts_per_key_and_forgets) {
  window_counter w(60, 4);
  EXPECT_TRUE(w.try_add("a", 0, 2));
  EXPECT_TRUE(w.try_add("a", 1, 2));
  EXPECT_FALSE(w.try_add("a", 2, 2)); // per key
  EXPECT_TRUE(w.try_add("b", 2, 2));
  EXPECT_TRUE(w.try_add("c", 2, 2));
  EXPECT_FALSE(w.try_add("d", 2, 2)); // global cap
  EXPECT_EQ(w.keys(), 3u);
  EXPECT_EQ(w.count("a", 60), 1u); // the event at 0 left the window
  EXPECT_EQ(w.count("a", 61), 0u);
  EXPECT_EQ(w.count("b", 62), 0u);
  EXPECT_EQ(w.keys(), 0u);
  // add() always counts, forgetting the oldest past the cap
  for (int i = 0; i < 10; ++i)
    w.add("x" + std::to_string(i), 100);
  EXPECT_EQ(w.events(), 4u);
  EXPECT_EQ(w.keys(), 4u);
  EXPECT_EQ(w.count("x9", 100), 1u);
  EXPECT_EQ(w.count("x0", 100), 0u);
  EXPECT_FALSE(w.try_add("y", 100, 0)); // per_key 0 leaves no entry
  EXPECT_EQ(w.keys(), 4u);
}

TEST(usb_admin_key_store, a_file_that_no_longer_parses_enrolls_nobody) {
  auto dir = std::filesystem::temp_directory_path() /
             ("usb_keys_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    key_store s(dir);
    keypair k("ED25519");
    enrolled_key out;
    std::string err;
    int status = 0;
    ASSERT_TRUE(s.add(k.pub_pem(), "ops", 1, out, err, status)) << err;
    EXPECT_TRUE(s.contains(out.id));
    // a hand edit that breaks the file (say, while removing a key)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ofstream(key_store::file_in(dir), std::ios::trunc) << "{\"keys\": [";
    EXPECT_FALSE(s.contains(out.id)); // fail closed, not the last good list
    std::string why;
    EXPECT_TRUE(s.list(&why).empty());
    EXPECT_FALSE(why.empty());
  }
  std::filesystem::remove_all(dir);
}
