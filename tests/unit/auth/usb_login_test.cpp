/// USB admin keys (issue 24): the enrolled-key file, the sysfs removable
/// check over a fake tree, and the login service end to end without HTTP
/// (challenge, signed login, token verification, replay, wrong key,
/// expiry, failure rate limit, removal ends sessions).
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include "auth/usb_admin/key_store.hpp"
#include "auth/usb_admin/login_service.hpp"
#include "auth/usb_admin/removable.hpp"
#include "themis/base64.hpp"

using namespace themis::auth::usb_admin;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct keypair {
  EVP_PKEY* k = nullptr;
  explicit keypair(bool ed) {
    k = ed ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
           : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  }
  ~keypair() { EVP_PKEY_free(k); }
  std::string pub_pem() const { return public_pem_of(k); }
  /// base64url of the login signature of `nonce`
  std::string sign_b64(const std::string& nonce) const {
    return themis::base64url_encode(sign_login(k, nonce));
  }
};

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() /
           ("usb_login_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(counter()++));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

} // namespace

TEST(usb_key_store, enroll_list_remove_and_refuse) {
  temp_dir d;
  key_store s(d.path);
  keypair a(true), b(false);
  enrolled_key k;
  std::string err;
  int status = 0;
  ASSERT_TRUE(s.add(a.pub_pem(), "alice", 1, k, err, status)) << err;
  EXPECT_EQ(k.type, "ed25519");
  EXPECT_EQ(k.id.size(), 64u);
  EXPECT_FALSE(s.add(a.pub_pem(), "again", 2, k, err, status));
  EXPECT_EQ(status, 409); // the same key twice
  EXPECT_FALSE(s.add(b.pub_pem(), "alice", 2, k, err, status));
  EXPECT_EQ(status, 409); // a taken name
  EXPECT_FALSE(s.add(b.pub_pem(), "bad name/..", 2, k, err, status));
  EXPECT_EQ(status, 400);
  EXPECT_FALSE(s.add("junk", "x", 2, k, err, status));
  EXPECT_EQ(status, 400);
  ASSERT_TRUE(s.add(b.pub_pem(), "", 3, k, err, status)) << err;
  EXPECT_EQ(k.name, "usb-" + k.id.substr(0, 12));
  // a second store over the same directory (the CLI) sees both
  key_store other(d.path);
  EXPECT_EQ(other.list().size(), 2u);
  enrolled_key gone;
  ASSERT_TRUE(other.remove("alice", gone, err));
  EXPECT_FALSE(other.remove("alice", gone, err));
  EXPECT_EQ(s.list().size(), 1u); // re-read after the other's write
  EXPECT_TRUE(s.find(k.id, nullptr));
}

TEST(usb_key_store, a_broken_file_keeps_the_last_good_list) {
  temp_dir d;
  key_store s(d.path);
  keypair a(true);
  enrolled_key k;
  std::string err;
  int status = 0;
  ASSERT_TRUE(s.add(a.pub_pem(), "alice", 1, k, err, status));
  for (const std::string& bad : std::vector<std::string>{
         "{", "{\"keys\": 5}", "[]", "{\"keys\": [{\"public_key\": \"nope\"}]}",
         std::string(64, '[')}) {
    write(key_store::file_in(d.path), bad);
    std::string why;
    auto keys = s.list(&why);
    EXPECT_FALSE(why.empty()) << bad;
    EXPECT_EQ(keys.size(), 0u) << bad; // fail closed: nobody enrolled
  }
}

TEST(usb_removable, reads_the_disk_of_a_partition_from_sysfs) {
  temp_dir d;
  auto root = d.path / "sys";
  write(root / "devices/usb/sdb/removable", "1\n");
  write(root / "devices/usb/sdb/sdb1/partition", "1\n");
  write(root / "devices/pci/vda/removable", "0\n");
  fs::create_directories(root / "dev/block");
  fs::create_symlink(root / "devices/usb/sdb/sdb1", root / "dev/block/8:17");
  fs::create_symlink(root / "devices/usb/sdb", root / "dev/block/8:16");
  fs::create_symlink(root / "devices/pci/vda", root / "dev/block/253:0");
  EXPECT_EQ(removable_device("8:17", root.string()), removable_state::yes);
  EXPECT_EQ(removable_device("8:16", root.string()), removable_state::yes);
  EXPECT_EQ(removable_device("253:0", root.string()), removable_state::no);
  EXPECT_EQ(removable_device("9:9", root.string()), removable_state::unknown);
  for (auto bad : {"", "8", ":1", "8:", "../8:17", "8:17/..", "8:1:7", "a:b"})
    EXPECT_EQ(removable_device(bad, root.string()), removable_state::unknown)
      << bad;
  EXPECT_FALSE(device_of(d.path.string()).empty());
  EXPECT_TRUE(device_of((d.path / "missing").string()).empty());
}

namespace {

struct service_fixture {
  temp_dir d;
  std::unique_ptr<login_service> svc;
  keypair key{true};
  std::string id;
  explicit service_fixture(login_config cfg = {}) {
    std::string err;
    svc = login_service::create(cfg, d.path, err);
    EXPECT_TRUE(svc) << err;
    enrolled_key k;
    int status = 0;
    EXPECT_TRUE(svc->keys().add(key.pub_pem(), "ops", 1, k, err, status));
    id = k.id;
  }
  std::string nonce(int64_t now, const std::string& client = "10.0.0.1") {
    auto a = svc->challenge({{"key_id", id}}, client, now);
    EXPECT_EQ(a.status, 200) << a.body.dump();
    return a.body.value("nonce", "");
  }
  usb_answer login(const std::string& n, const keypair& signer, int64_t now,
                   const std::string& client = "10.0.0.1") {
    return svc->login(
      {{"key_id", id}, {"nonce", n}, {"signature", signer.sign_b64(n)}}, client,
      now);
  }
};

} // namespace

TEST(usb_login, a_signed_nonce_gets_a_short_lived_admin_token) {
  login_config cfg;
  cfg.token_ttl_s = 120;
  service_fixture f(cfg);
  auto a = f.login(f.nonce(1000), f.key, 1001);
  ASSERT_EQ(a.status, 200) << a.body.dump();
  EXPECT_EQ(a.audit_outcome, "ok");
  EXPECT_EQ(a.audit_user, "usb-admin:ops");
  auto token = a.body["access_token"].get<std::string>();
  std::string err;
  bool mine = false;
  auto claims = f.svc->verify_token(token, 1002, err, mine);
  ASSERT_TRUE(claims) << err;
  EXPECT_TRUE(mine);
  EXPECT_EQ((*claims)["scope"], "admin");
  EXPECT_EQ((*claims)["sub"], "usb-admin:ops");
  EXPECT_FALSE(f.svc->verify_token(token, 1001 + 121, err, mine)); // expired
  EXPECT_TRUE(mine);
  // a token of someone else's key is not its business
  EXPECT_FALSE(
    f.svc->verify_token("eyJhbGciOiJIUzI1NiJ9.e30.x", 1002, err, mine));
  EXPECT_FALSE(mine);
  // removing the key ends its sessions at once
  enrolled_key gone;
  ASSERT_TRUE(f.svc->keys().remove("ops", gone, err));
  EXPECT_FALSE(f.svc->verify_token(token, 1002, err, mine));
  EXPECT_NE(err.find("no longer enrolled"), std::string::npos);
}

TEST(usb_login, replay_wrong_key_expiry_and_unenrolled_are_refused) {
  login_config cfg;
  cfg.challenge_ttl_s = 30;
  cfg.max_failures_per_min = 100;
  service_fixture f(cfg);
  auto n = f.nonce(1000);
  ASSERT_EQ(f.login(n, f.key, 1000).status, 200);
  auto replay = f.login(n, f.key, 1001);
  EXPECT_EQ(replay.status, 401);
  EXPECT_EQ(replay.audit_outcome, "denied");
  keypair stranger(true);
  EXPECT_EQ(f.login(f.nonce(1000), stranger, 1000).status, 401);
  EXPECT_EQ(f.login(f.nonce(1000), f.key, 1031).status, 401); // expired
  auto un =
    f.svc->challenge({{"key_id", std::string(64, 'a')}}, "10.0.0.1", 1000);
  EXPECT_EQ(un.status, 401);
  EXPECT_EQ(f.svc->challenge({{"key_id", 5}}, "c", 1000).status, 400);
  // a nonce of one key used for another enrolled key
  keypair second(false);
  enrolled_key k2;
  std::string err;
  int st = 0;
  ASSERT_TRUE(f.svc->keys().add(second.pub_pem(), "two", 1, k2, err, st));
  auto n1 = f.nonce(1000);
  auto cross = f.svc->login(
    {{"key_id", k2.id}, {"nonce", n1}, {"signature", second.sign_b64(n1)}},
    "10.0.0.1", 1000);
  EXPECT_EQ(cross.status, 401);
  // malformed bodies
  for (auto body :
       {json::object(), json{{"key_id", f.id}},
        json{{"key_id", f.id}, {"nonce", "x"}, {"signature", 7}},
        json{{"key_id", f.id}, {"nonce", "x"}, {"signature", "!!"}}})
    EXPECT_EQ(f.svc->login(body, "10.0.0.1", 1000).status, 400) << body;
}

TEST(usb_login, failures_per_address_are_rate_limited) {
  login_config cfg;
  cfg.max_failures_per_min = 3;
  service_fixture f(cfg);
  keypair stranger(true);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(f.login(f.nonce(1000), stranger, 1000).status, 401);
  auto blocked = f.svc->login({{"key_id", f.id}}, "10.0.0.1", 1000);
  EXPECT_EQ(blocked.status, 429);
  EXPECT_EQ(blocked.retry_after_s, 60u);
  EXPECT_EQ(f.svc->challenge({{"key_id", f.id}}, "10.0.0.1", 1000).status, 429);
  // another address is not blocked, and the block lifts after a minute
  EXPECT_EQ(f.login(f.nonce(1000, "10.0.0.2"), f.key, 1000, "10.0.0.2").status,
            200);
  EXPECT_EQ(f.login(f.nonce(1061), f.key, 1061).status, 200);
}

TEST(usb_login, removable_require_refuses_other_devices) {
  service_fixture base; // for a temp dir with a fake sysfs
  auto root = base.d.path / "sys";
  write(root / "devices/usb/sdb/removable", "1\n");
  write(root / "devices/pci/vda/removable", "0\n");
  fs::create_directories(root / "dev/block");
  fs::create_symlink(root / "devices/usb/sdb", root / "dev/block/8:16");
  fs::create_symlink(root / "devices/pci/vda", root / "dev/block/253:0");
  login_config cfg;
  cfg.removable = "require";
  cfg.sysfs_root = root.string();
  service_fixture f(cfg);
  auto with_device = [&](const std::string& dev) {
    auto n = f.nonce(1000);
    json body = {
      {"key_id", f.id}, {"nonce", n}, {"signature", f.key.sign_b64(n)}};
    if (!dev.empty())
      body["device"] = dev;
    return f.svc->login(body, "10.0.0.1", 1000);
  };
  EXPECT_EQ(with_device("8:16").status, 200);
  EXPECT_EQ(with_device("253:0").status, 403);
  EXPECT_EQ(with_device("").status, 403);
  std::string err;
  login_config bad;
  bad.removable = "maybe";
  EXPECT_FALSE(login_service::create(bad, f.d.path, err));
  EXPECT_NE(err.find("removable"), std::string::npos);
}
