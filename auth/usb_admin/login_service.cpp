#include "auth/usb_admin/login_service.hpp"

#include "auth/oauth2/signing_key.hpp"
#include "auth/usb_admin/removable.hpp"
#include "themis/base64.hpp"

namespace themis::auth::usb_admin {

namespace {

using json = nlohmann::json;

std::string str_field(const json& body, const char* name, size_t max) {
  if (!body.is_object() || !body.contains(name) || !body[name].is_string())
    return {};
  auto s = body[name].get<std::string>();
  return s.size() > max ? std::string() : s;
}

usb_answer error_answer(int status, const std::string& message) {
  usb_answer a;
  a.status = status;
  a.body = {{"error", true}, {"message", message}, {"status_code", status}};
  return a;
}

usb_answer too_many(const char* what) {
  auto a = error_answer(429, std::string("too many ") + what +
                               " from this address; retry in a minute");
  a.retry_after_s = 60;
  return a;
}

} // namespace

std::unique_ptr<login_service>
login_service::create(login_config cfg, const std::filesystem::path& data_dir,
                      std::string& error) {
  if (cfg.removable != "off" && cfg.removable != "warn" &&
      cfg.removable != "require") {
    error = "auth.usb_admin.removable must be off, warn or require";
    return nullptr;
  }
  auto key = oauth2::signing_key::generate(error, "ES256");
  if (!key)
    return nullptr;
  return std::make_unique<login_service>(std::move(cfg), data_dir,
                                         std::move(key));
}

login_service::login_service(login_config cfg,
                             const std::filesystem::path& data_dir,
                             std::shared_ptr<oauth2::signing_key> key) :
  cfg_(std::move(cfg)),
  keys_(data_dir),
  challenges_({cfg_.challenge_ttl_s, 1024, cfg_.challenges_per_min, 600}),
  failures_(60, 10000), key_(std::move(key)) {
  std::string error;
  auto pub = key_->public_jwk().dump();
  size_t skipped = 0;
  verify_keys_.add_json("{\"keys\":[" + pub + "]}", skipped, error);
  policy_.issuer = issuer;
  policy_.audience = {issuer};
  policy_.skew_s = 0; // issued and checked by this process: one clock
}

login_service::~login_service() = default;

bool login_service::blocked(const std::string& client, int64_t now_s) {
  std::lock_guard g(fail_mu_);
  return failures_.count(client, now_s) >= cfg_.max_failures_per_min;
}

usb_answer login_service::refuse(int status, const std::string& message,
                                 const std::string& client, int64_t now_s,
                                 const std::string& user,
                                 const std::string& detail) {
  {
    std::lock_guard g(fail_mu_);
    failures_.add(client, now_s);
  }
  auto a = error_answer(status, message);
  a.audit_action = "usb_admin.login";
  a.audit_outcome = "denied";
  a.audit_user = user;
  a.audit_detail = detail.empty() ? message : detail;
  return a;
}

usb_answer login_service::challenge(const json& body, const std::string& client,
                                    int64_t now_s) {
  if (blocked(client, now_s))
    return too_many("failed USB admin logins");
  auto id = str_field(body, "key_id", 64);
  if (id.size() != 64)
    return error_answer(400, "key_id: the key's SHA-256 fingerprint (64 hex "
                             "digits)");
  enrolled_key meta;
  if (!keys_.find(id, &meta))
    return refuse(401, "this key is not enrolled", client, now_s, "",
                  "challenge for an unenrolled key " + id);
  auto nonce = challenges_.issue(id, client, now_s);
  if (!nonce)
    return too_many("USB admin challenges");
  usb_answer a;
  a.body = {{"nonce", *nonce}, {"expires_in", cfg_.challenge_ttl_s}};
  return a;
}

usb_answer login_service::login(const json& body, const std::string& client,
                                int64_t now_s) {
  if (blocked(client, now_s)) {
    auto a = too_many("failed USB admin logins");
    a.audit_action = "usb_admin.login";
    a.audit_outcome = "denied";
    a.audit_detail = "rate limited";
    return a;
  }
  auto id = str_field(body, "key_id", 64);
  auto nonce = str_field(body, "nonce", 64);
  auto sig_text = str_field(body, "signature", 512);
  std::string sig;
  if (id.empty() || nonce.empty() || sig_text.empty() ||
      !base64url_decode(sig_text, sig, true))
    return refuse(400,
                  "expected {\"key_id\", \"nonce\", \"signature\" "
                  "(base64url)}",
                  client, now_s, "", "malformed login");
  // consumed first: a nonce is single-use whatever happens next
  auto issued_for = challenges_.consume(nonce, now_s);
  if (!issued_for)
    return refuse(401, "unknown, used or expired nonce", client, now_s, "",
                  "key " + id + ": unknown, used or expired nonce");
  if (*issued_for != id)
    return refuse(401, "the nonce was issued for another key", client, now_s,
                  "", "key " + id + ": nonce of key " + *issued_for);
  enrolled_key meta;
  auto key = keys_.find(id, &meta);
  if (!key)
    return refuse(401, "this key is not enrolled", client, now_s, "",
                  "key " + id + " not enrolled");
  std::string user = "usb-admin:" + meta.name;
  if (!key->verify(login_message(nonce), sig))
    return refuse(401, "the signature does not verify with this key", client,
                  now_s, user, "key " + id + ": bad signature");
  std::string removable_note;
  if (cfg_.removable != "off") {
    auto dev = str_field(body, "device", 32);
    auto st = removable_device(dev, cfg_.sysfs_root);
    removable_note =
      "; device " + (dev.empty() ? "-" : dev) + " " + to_string(st);
    if (st != removable_state::yes && cfg_.removable == "require")
      return refuse(403,
                    "the key file is not on a removable device (" +
                      std::string(to_string(st)) +
                      "; auth.usb_admin.removable is require)",
                    client, now_s, user, "key " + id + removable_note);
  }
  json claims = {{"iss", issuer},
                 {"aud", issuer},
                 {"sub", user},
                 {"iat", now_s},
                 {"exp", now_s + cfg_.token_ttl_s},
                 {cfg_.scope_claim, "admin"},
                 {"amr", json::array({"hwk"})},
                 {"usb_key", id}};
  auto token = key_->sign_jwt(claims, "at+jwt");
  if (token.empty())
    return error_answer(500, "could not sign the token");
  usb_answer a;
  a.body = {{"access_token", token},
            {"token_type", "Bearer"},
            {"expires_in", cfg_.token_ttl_s},
            {"scope", "admin"}};
  a.audit_action = "usb_admin.login";
  a.audit_outcome = "ok";
  a.audit_user = user;
  a.audit_detail = "key " + id + removable_note;
  return a;
}

std::optional<json> login_service::verify_token(std::string_view token,
                                                int64_t now_s,
                                                std::string& error,
                                                bool& mine) {
  mine = false;
  auto dot = token.find('.');
  std::string head;
  if (dot == std::string_view::npos || dot > 1024 ||
      !base64url_decode(token.substr(0, dot), head))
    return std::nullopt;
  auto h = json::parse(head, nullptr, false);
  if (!h.is_object() || !h.contains("kid") || !h["kid"].is_string() ||
      h["kid"].get<std::string>() != key_->kid())
    return std::nullopt;
  mine = true;
  auto r = verify_jwt(token, verify_keys_, policy_, now_s);
  if (r.status != jwt_status::ok) {
    error = r.error;
    return std::nullopt;
  }
  auto id = r.claims.value("usb_key", "");
  if (!keys_.contains(id)) {
    error = "the USB admin key of this token is no longer enrolled";
    return std::nullopt;
  }
  return std::move(r.claims);
}

} // namespace themis::auth::usb_admin
