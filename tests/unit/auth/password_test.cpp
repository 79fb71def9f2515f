#include <gtest/gtest.h>

#include "auth/password.hpp"

using namespace themis::auth;

TEST(password, hashes_round_trip_and_match_python) {
  auto h = hash_password("s3cret", 1000);
  EXPECT_TRUE(is_password_hash(h));
  EXPECT_TRUE(check_password(h, "s3cret"));
  EXPECT_TRUE(check_password(h, "s3cret")); // (from the cache)
  EXPECT_FALSE(check_password(h, "s3cret "));
  EXPECT_NE(hash_password("s3cret", 1000), h); // a fresh salt each time
  // hashlib.pbkdf2_hmac('sha256', b'correct horse', b'somesalt', 1000),
  // the format Django and passlib write
  const char* python =
    "pbkdf2_sha256$1000$somesalt$3UXLHR2dsBArfqHwukhrdUO9gJfc1BvmMq0GPd9sP6E=";
  EXPECT_TRUE(check_password(python, "correct horse"));
  EXPECT_FALSE(check_password(python, "correct horsf"));
}

TEST(password, plain_and_malformed) {
  EXPECT_TRUE(check_password("plain", "plain"));
  EXPECT_FALSE(check_password("plain", "plai"));
  EXPECT_FALSE(is_password_hash("plain"));
  for (auto bad :
       {"pbkdf2_sha256$", "pbkdf2_sha256$0$s$h", "pbkdf2_sha256$x$s$h",
        "pbkdf2_sha256$99999999999$s$h", "pbkdf2_sha256$10$nohash"})
    EXPECT_FALSE(check_password(bad, "")) << bad;
}
