#include "auth/oauth2/grant_store.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "themis/base64.hpp"
#include "themis/hex.hpp"

namespace themis::auth::oauth2 {

namespace {

/// BEGIN IMMEDIATE … COMMIT, rolled back when an exception leaves early:
/// a rotation reads and writes one token atomically.
class tx {
public:
  explicit tx(engine::sqlite_db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
  ~tx() {
    if (!done_)
      try {
        db_.exec("ROLLBACK");
      } catch (...) {
      }
  }
  void commit() {
    db_.exec("COMMIT");
    done_ = true;
  }

private:
  engine::sqlite_db& db_;
  bool done_ = false;
};

void read_grant(engine::stmt_ref& s, int first, grant& g) {
  g.client_id = std::string(s.text(first));
  g.user = std::string(s.text(first + 1));
  g.tenant = std::string(s.text(first + 2));
  g.scope = std::string(s.text(first + 3));
  g.nonce = std::string(s.text(first + 4));
  g.auth_time_s = s.int64(first + 5);
}

} // namespace

std::string grant_store::digest(const std::string& secret) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
         d);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(d), 32));
}

std::string grant_store::random_token() {
  unsigned char b[32];
  if (RAND_bytes(b, sizeof b) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return base64url_encode(std::string_view(reinterpret_cast<char*>(b), 32));
}

grant_store::grant_store(const std::string& path, int busy_timeout_ms) :
  db_(path, false, busy_timeout_ms) {
  if (path != ":memory:")
    db_.exec("PRAGMA journal_mode=WAL");
  db_.exec(R"sql(
    CREATE TABLE IF NOT EXISTS oauth2_codes(
      digest TEXT PRIMARY KEY, client_id TEXT, user TEXT, tenant TEXT,
      scope TEXT, nonce TEXT, auth_time INTEGER, redirect_uri TEXT,
      challenge TEXT, method TEXT, expires_ms INTEGER, used INTEGER,
      family TEXT);
    CREATE TABLE IF NOT EXISTS oauth2_families(
      family TEXT PRIMARY KEY, client_id TEXT, user TEXT,
      created_ms INTEGER, expires_ms INTEGER, revoked_ms INTEGER,
      reason TEXT);
    CREATE TABLE IF NOT EXISTS oauth2_refresh(
      digest TEXT PRIMARY KEY, family TEXT, client_id TEXT, user TEXT,
      tenant TEXT, scope TEXT, nonce TEXT, auth_time INTEGER,
      issued_ms INTEGER, expires_ms INTEGER, used_ms INTEGER);
    CREATE INDEX IF NOT EXISTS oauth2_refresh_family
      ON oauth2_refresh(family);
    CREATE TABLE IF NOT EXISTS oauth2_revoked(
      jti TEXT PRIMARY KEY, expires_ms INTEGER);
    CREATE TABLE IF NOT EXISTS oauth2_clients(id TEXT PRIMARY KEY, json TEXT);
    CREATE TABLE IF NOT EXISTS oauth2_keys(
      kid TEXT PRIMARY KEY, pem TEXT, created_ms INTEGER);
  )sql");
  load_revocations();
}

void grant_store::load_revocations() {
  auto s = db_.prepare("SELECT jti FROM oauth2_revoked");
  while (s.step())
    revoked_jti_.emplace(s.text(0));
  auto f = db_.prepare(
    "SELECT family FROM oauth2_families WHERE revoked_ms IS NOT NULL");
  while (f.step())
    revoked_families_.emplace(f.text(0));
}

void grant_store::insert_refresh(const std::string& token,
                                 const std::string& family, const grant& g,
                                 int64_t now_ms, int64_t expires_ms) {
  db_.prepare("INSERT INTO oauth2_refresh VALUES(?,?,?,?,?,?,?,?,?,?,0)")
    .bind(1, digest(token))
    .bind(2, family)
    .bind(3, g.client_id)
    .bind(4, g.user)
    .bind(5, g.tenant)
    .bind(6, g.scope)
    .bind(7, g.nonce)
    .bind(8, g.auth_time_s)
    .bind(9, now_ms)
    .bind(10, expires_ms)
    .run();
  db_
    .prepare("UPDATE oauth2_families SET expires_ms = max(expires_ms, ?) "
             "WHERE family = ?")
    .bind(1, expires_ms)
    .bind(2, family)
    .run();
}

void grant_store::mark_revoked(const std::string& family,
                               const std::string& reason, int64_t now_ms) {
  db_
    .prepare("UPDATE oauth2_families SET revoked_ms = ?, reason = ? "
             "WHERE family = ? AND revoked_ms IS NULL")
    .bind(1, now_ms)
    .bind(2, reason)
    .bind(3, family)
    .run();
  revoked_families_.insert(family);
}

std::string grant_store::issue_code(const code_grant& g, int64_t expires_ms) {
  auto code = random_token();
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("INSERT INTO oauth2_codes VALUES(?,?,?,?,?,?,?,?,?,?,?,0,'')")
    .bind(1, digest(code))
    .bind(2, g.client_id)
    .bind(3, g.user)
    .bind(4, g.tenant)
    .bind(5, g.scope)
    .bind(6, g.nonce)
    .bind(7, g.auth_time_s)
    .bind(8, g.redirect_uri)
    .bind(9, g.challenge)
    .bind(10, g.method)
    .bind(11, expires_ms)
    .run();
  return code;
}

code_status grant_store::redeem_code(const std::string& code, int64_t now_ms,
                                     code_grant& out) {
  std::lock_guard<std::mutex> lk(mtx_);
  tx t(db_);
  auto d = digest(code);
  std::string family;
  code_status st = code_status::ok;
  {
    auto s = db_.prepare(
      "SELECT client_id, user, tenant, scope, nonce, auth_time, redirect_uri, "
      "challenge, method, expires_ms, used, family FROM oauth2_codes "
      "WHERE digest = ?");
    s.bind(1, d);
    if (!s.step())
      return code_status::unknown;
    read_grant(s, 0, out);
    out.redirect_uri = std::string(s.text(6));
    out.challenge = std::string(s.text(7));
    out.method = std::string(s.text(8));
    family = std::string(s.text(11));
    if (s.int64(10) != 0)
      st = code_status::reused;
    else if (s.int64(9) <= now_ms)
      st = code_status::expired;
  }
  if (st == code_status::reused) {
    if (!family.empty())
      mark_revoked(family, "code reused", now_ms);
  } else {
    db_.prepare("UPDATE oauth2_codes SET used = 1 WHERE digest = ?")
      .bind(1, d)
      .run();
  }
  t.commit();
  return st;
}

void grant_store::bind_code_family(const std::string& code,
                                   const std::string& family) {
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("UPDATE oauth2_codes SET family = ? WHERE digest = ?")
    .bind(1, family)
    .bind(2, digest(code))
    .run();
}

std::string grant_store::new_family(const grant& g, int64_t now_ms) {
  auto family = random_token().substr(0, 22);
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("INSERT INTO oauth2_families VALUES(?,?,?,?,?,NULL,NULL)")
    .bind(1, family)
    .bind(2, g.client_id)
    .bind(3, g.user)
    .bind(4, now_ms)
    .bind(5, now_ms)
    .run();
  return family;
}

std::string grant_store::issue_refresh(const std::string& family,
                                       const grant& g, int64_t now_ms,
                                       int64_t expires_ms) {
  auto token = random_token();
  std::lock_guard<std::mutex> lk(mtx_);
  insert_refresh(token, family, g, now_ms, expires_ms);
  return token;
}

refresh_status grant_store::rotate_refresh(const std::string& token,
                                           const std::string& client_id,
                                           int64_t now_ms, int64_t ttl_ms,
                                           grant& out, std::string& new_token,
                                           std::string& family) {
  std::lock_guard<std::mutex> lk(mtx_);
  tx t(db_);
  auto d = digest(token);
  int64_t expires = 0, used = 0;
  {
    auto s = db_.prepare(
      "SELECT client_id, user, tenant, scope, nonce, auth_time, family, "
      "expires_ms, used_ms FROM oauth2_refresh WHERE digest = ?");
    s.bind(1, d);
    if (!s.step())
      return refresh_status::unknown;
    read_grant(s, 0, out);
    family = std::string(s.text(6));
    expires = s.int64(7);
    used = s.int64(8);
  }
  // a token bound to another client is not this client's to present,
  // and not evidence of theft by the holder: refuse, revoke nothing
  if (out.client_id != client_id)
    return refresh_status::wrong_client;
  if (revoked_families_.count(family))
    return refresh_status::revoked;
  if (used != 0) {
    mark_revoked(family, "refresh token reused", now_ms);
    t.commit();
    return refresh_status::reused;
  }
  if (expires <= now_ms)
    return refresh_status::expired;
  db_.prepare("UPDATE oauth2_refresh SET used_ms = ? WHERE digest = ?")
    .bind(1, now_ms)
    .bind(2, d)
    .run();
  new_token = random_token();
  insert_refresh(new_token, family, out, now_ms, now_ms + ttl_ms);
  t.commit();
  return refresh_status::ok;
}

std::optional<refresh_info>
grant_store::inspect_refresh(const std::string& token, int64_t now_ms) {
  std::lock_guard<std::mutex> lk(mtx_);
  auto s = db_.prepare(
    "SELECT client_id, user, tenant, scope, nonce, auth_time, family, "
    "expires_ms, used_ms, issued_ms FROM oauth2_refresh WHERE digest = ?");
  s.bind(1, digest(token));
  if (!s.step())
    return std::nullopt;
  refresh_info r;
  read_grant(s, 0, r.g);
  r.family = std::string(s.text(6));
  r.expires_ms = s.int64(7);
  r.issued_ms = s.int64(9);
  r.active = s.int64(8) == 0 && r.expires_ms > now_ms &&
             !revoked_families_.count(r.family);
  return r;
}

void grant_store::revoke_family(const std::string& family,
                                const std::string& reason, int64_t now_ms) {
  std::lock_guard<std::mutex> lk(mtx_);
  mark_revoked(family, reason, now_ms);
}

size_t grant_store::revoke_user_client(const std::string& user,
                                       const std::string& client_id,
                                       int64_t now_ms) {
  std::lock_guard<std::mutex> lk(mtx_);
  std::vector<std::string> fams;
  {
    auto s = db_.prepare("SELECT family FROM oauth2_families WHERE user = ? "
                         "AND client_id = ? AND revoked_ms IS NULL");
    s.bind(1, user).bind(2, client_id);
    while (s.step())
      fams.emplace_back(s.text(0));
  }
  for (auto& f : fams)
    mark_revoked(f, "logout", now_ms);
  return fams.size();
}

bool grant_store::family_revoked(const std::string& family) const {
  std::lock_guard<std::mutex> lk(mtx_);
  return revoked_families_.count(family) > 0;
}

void grant_store::revoke_jti(const std::string& jti, int64_t exp_ms) {
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("INSERT OR IGNORE INTO oauth2_revoked VALUES(?, ?)")
    .bind(1, jti)
    .bind(2, exp_ms)
    .run();
  revoked_jti_.insert(jti);
}

bool grant_store::use_once(const std::string& key, int64_t exp_ms) {
  std::lock_guard<std::mutex> lk(mtx_);
  // the revocation table doubles as the replay cache: same expiry rule
  db_.prepare("INSERT OR IGNORE INTO oauth2_revoked VALUES(?, ?)")
    .bind(1, "assertion:" + key)
    .bind(2, exp_ms)
    .run();
  return db_.changes() == 1;
}

bool grant_store::jti_revoked(const std::string& jti) const {
  std::lock_guard<std::mutex> lk(mtx_);
  return revoked_jti_.count(jti) > 0;
}

void grant_store::put_client(const std::string& id, const std::string& json) {
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("INSERT OR REPLACE INTO oauth2_clients VALUES(?, ?)")
    .bind(1, id)
    .bind(2, json)
    .run();
}

bool grant_store::delete_client(const std::string& id) {
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("DELETE FROM oauth2_clients WHERE id = ?").bind(1, id).run();
  return db_.changes() > 0;
}

std::vector<std::string> grant_store::clients() {
  std::lock_guard<std::mutex> lk(mtx_);
  std::vector<std::string> out;
  auto s = db_.prepare("SELECT json FROM oauth2_clients ORDER BY id");
  while (s.step())
    out.emplace_back(s.text(0));
  return out;
}

void grant_store::put_key(const std::string& kid, const std::string& pem,
                          int64_t created_ms) {
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("INSERT OR REPLACE INTO oauth2_keys VALUES(?, ?, ?)")
    .bind(1, kid)
    .bind(2, pem)
    .bind(3, created_ms)
    .run();
}

void grant_store::delete_key(const std::string& kid) {
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("DELETE FROM oauth2_keys WHERE kid = ?").bind(1, kid).run();
}

std::vector<std::pair<std::string, std::string>> grant_store::keys() {
  std::lock_guard<std::mutex> lk(mtx_);
  std::vector<std::pair<std::string, std::string>> out;
  auto s = db_.prepare(
    "SELECT kid, pem FROM oauth2_keys ORDER BY created_ms DESC, rowid DESC");
  while (s.step())
    out.emplace_back(s.text(0), s.text(1));
  return out;
}

void grant_store::prune(int64_t now_ms) {
  std::lock_guard<std::mutex> lk(mtx_);
  db_.prepare("DELETE FROM oauth2_codes WHERE expires_ms < ?")
    .bind(1, now_ms - 3600 * 1000)
    .run(); // kept an hour past expiry: a late replay still revokes
  db_.prepare("DELETE FROM oauth2_refresh WHERE expires_ms < ?")
    .bind(1, now_ms)
    .run();
  db_.prepare("DELETE FROM oauth2_revoked WHERE expires_ms < ?")
    .bind(1, now_ms)
    .run();
  db_.prepare("DELETE FROM oauth2_families WHERE expires_ms < ?")
    .bind(1, now_ms - 86400 * 1000)
    .run();
  revoked_jti_.clear();
  revoked_families_.clear();
  load_revocations();
}

} // namespace themis::auth::oauth2
