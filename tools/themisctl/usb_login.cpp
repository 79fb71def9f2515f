#include "tools/themisctl/usb_login.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "auth/usb_admin/admin_key.hpp"
#include "auth/usb_admin/removable.hpp"
#include "themis/base64.hpp"
#include "tools/themisctl/admin_client.hpp"

namespace themisctl {

namespace {

using json = nlohmann::json;
namespace usb = themis::auth::usb_admin;
using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

/// The private key in `path` (PEM; an encrypted one prompts for its
/// passphrase on the terminal).
pkey_ptr read_private_key(const std::string& path, std::string& error) {
  pkey_ptr none(nullptr, EVP_PKEY_free);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return none;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto text = ss.str();
  if (text.size() > 16384) {
    error = path + " is larger than 16 KiB: not a key file";
    return none;
  }
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!k)
    error = path + " holds no PEM private key (or a wrong passphrase)";
  return pkey_ptr(k, EVP_PKEY_free);
}

std::string message_of(const http_reply& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  return r.body.substr(0, 200);
}

int refused(const admin_client& c, const http_reply& r, const char* step) {
  if (r.status == 0) {
    std::fprintf(stderr, "themisctl admin login: cannot reach %s: %s\n",
                 c.base_url().c_str(), r.error.c_str());
    return 1;
  }
  std::fprintf(stderr, "themisctl admin login: %s: HTTP %ld: %s\n", step,
               r.status, message_of(r).c_str());
  return r.status >= 500 ? 1 : 2;
}

} // namespace

int usb_admin_login(admin_client& c, const std::string& key_file,
                    bool require_removable, bool as_json) {
  std::string error;
  auto k = read_private_key(key_file, error);
  if (!k) {
    std::fprintf(stderr, "themisctl admin login: %s\n", error.c_str());
    return 1;
  }
  auto pub = usb::admin_key::from_pem(usb::public_pem_of(k.get()), error);
  if (!pub) {
    std::fprintf(stderr, "themisctl admin login: %s\n", error.c_str());
    return 2;
  }
  auto dev = usb::device_of(key_file);
  auto state = usb::removable_device(dev);
  if (state != usb::removable_state::yes) {
    std::fprintf(stderr,
                 "themisctl admin login: %s: the key file's device %s is %s "
                 "on this host\n",
                 require_removable ? "refusing" : "warning",
                 dev.empty() ? "-" : dev.c_str(), usb::to_string(state));
    if (require_removable)
      return 2;
  }
  auto ch = c.post("/api/v1/auth/usb/challenge",
                   json{{"key_id", pub->fingerprint()}}.dump());
  auto cj = json::parse(ch.body, nullptr, false);
  if (ch.status != 200 || !cj.is_object() || !cj.contains("nonce") ||
      !cj["nonce"].is_string())
    return refused(c, ch, "challenge");
  auto nonce = cj["nonce"].get<std::string>();
  auto sig = usb::sign_login(k.get(), nonce);
  if (sig.empty()) {
    std::fprintf(stderr, "themisctl admin login: signing failed\n");
    return 1;
  }
  json body = {{"key_id", pub->fingerprint()},
               {"nonce", nonce},
               {"signature", themis::base64url_encode(sig)}};
  if (!dev.empty())
    body["device"] = dev; // for auth.usb_admin.removable on the same host
  auto lr = c.post("/api/v1/auth/usb/login", body.dump());
  auto lj = json::parse(lr.body, nullptr, false);
  if (lr.status != 200 || !lj.is_object() || !lj.contains("access_token"))
    return refused(c, lr, "login");
  if (as_json)
    std::printf("%s\n", lj.dump(2).c_str());
  else
    std::printf("%s\n", lj["access_token"].get<std::string>().c_str());
  return 0;
}

} // namespace themisctl
