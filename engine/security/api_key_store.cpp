#include "engine/security/api_key_store.hpp"

#include <algorithm>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sstream>

#include "themis/base64.hpp"
#include "themis/hex.hpp"

namespace themis::engine {

namespace {

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr);
  return hex_encode(std::string_view(reinterpret_cast<char*>(md), n));
}

std::string random_bytes(size_t n) {
  std::string b(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()),
                 static_cast<int>(n)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return b;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v)
    s += (s.empty() ? "" : " ") + x;
  return s;
}

std::vector<std::string> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w)
    out.push_back(w);
  return out;
}

} // namespace

std::string api_key_store::path_in(const std::string& data_dir) {
  auto dir = data_dir.empty() ? std::string(".") : data_dir;
  if (dir.back() != '/')
    dir.push_back('/');
  return dir + "auth.db";
}

api_key_store::api_key_store(const std::string& path, int busy_timeout_ms) :
  db_(path, false, busy_timeout_ms) {
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec(R"sql(
    CREATE TABLE IF NOT EXISTS api_keys(
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      user TEXT NOT NULL,
      tenant TEXT NOT NULL,
      scopes TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      expires_ms INTEGER NOT NULL,
      revoked_ms INTEGER NOT NULL DEFAULT 0,
      created_by TEXT NOT NULL,
      digest TEXT NOT NULL) WITHOUT ROWID;
  )sql");
  auto s = db_.prepare("SELECT id, name, user, tenant, scopes, created_ms, "
                       "expires_ms, revoked_ms, created_by, digest FROM "
                       "api_keys");
  while (s.step()) {
    api_key_record r;
    r.id = s.text(0);
    r.name = s.text(1);
    r.user = s.text(2);
    r.tenant = s.text(3);
    r.scopes = split_words(s.text(4));
    r.created_ms = s.int64(5);
    r.expires_ms = s.int64(6);
    r.revoked_ms = s.int64(7);
    r.created_by = s.text(8);
    r.digest = s.text(9);
    keys_.emplace(r.id, std::move(r));
  }
}

namespace {

/// One new row (the caller holds the store's database lock).
void insert_row(sqlite_db& db, const api_key_record& r) {
  db.prepare("INSERT INTO api_keys(id, name, user, tenant, scopes, "
             "created_ms, expires_ms, created_by, digest, revoked_ms) "
             "VALUES(?,?,?,?,?,?,?,?,?,?)")
    .bind(1, r.id)
    .bind(2, r.name)
    .bind(3, r.user)
    .bind(4, r.tenant)
    .bind(5, join(r.scopes))
    .bind(6, r.created_ms)
    .bind(7, r.expires_ms)
    .bind(8, r.created_by)
    .bind(9, r.digest)
    .bind(10, r.revoked_ms)
    .run();
}

} // namespace

api_key_record api_key_store::create(api_key_record r, std::string& token,
                                     int64_t now_ms) {
  r.id = hex_encode(random_bytes(8));
  auto secret = base64url_encode(random_bytes(32));
  token = "thk_" + r.id + "_" + secret;
  r.digest = sha256_hex(secret);
  r.created_ms = now_ms;
  r.revoked_ms = 0;
  {
    std::lock_guard<std::mutex> g(db_mtx_);
    insert_row(db_, r);
  }
  std::unique_lock<std::shared_mutex> g(mtx_);
  keys_[r.id] = r;
  return r;
}

std::vector<api_key_record> api_key_store::list(const std::string& tenant,
                                                bool all) const {
  std::vector<api_key_record> out;
  {
    std::shared_lock<std::shared_mutex> g(mtx_);
    for (auto& [id, r] : keys_)
      if (all || r.tenant == tenant)
        out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return a.created_ms != b.created_ms ? a.created_ms < b.created_ms
                                        : a.id < b.id;
  });
  return out;
}

std::optional<api_key_record> api_key_store::get(const std::string& id) const {
  std::shared_lock<std::shared_mutex> g(mtx_);
  auto i = keys_.find(id);
  if (i == keys_.end())
    return std::nullopt;
  return i->second;
}

std::optional<api_key_record>
api_key_store::update(const std::string& id,
                      const std::optional<std::string>& name,
                      const std::optional<std::vector<std::string>>& scopes) {
  // db_mtx_ first, as everywhere: updates of one key are serialized and
  // the table and the map agree
  std::lock_guard<std::mutex> dg(db_mtx_);
  api_key_record next;
  {
    std::shared_lock<std::shared_mutex> g(mtx_);
    auto i = keys_.find(id);
    if (i == keys_.end() || i->second.revoked_ms != 0)
      return std::nullopt;
    next = i->second;
  }
  if (name)
    next.name = *name;
  if (scopes)
    next.scopes = *scopes;
  db_.prepare("UPDATE api_keys SET name = ?, scopes = ? WHERE id = ?")
    .bind(1, next.name)
    .bind(2, join(next.scopes))
    .bind(3, id)
    .run();
  std::unique_lock<std::shared_mutex> g(mtx_);
  auto i = keys_.find(id);
  if (i == keys_.end() || i->second.revoked_ms != 0)
    return std::nullopt; // revoked meanwhile: revocation wins
  i->second.name = next.name;
  i->second.scopes = next.scopes;
  return i->second;
}

std::optional<std::string> api_key_store::import(const api_key_record& r) {
  api_key_record next = r;
  bool known = false;
  {
    std::shared_lock<std::shared_mutex> g(mtx_);
    if (auto i = keys_.find(r.id); i != keys_.end()) {
      if (i->second.digest != r.digest)
        return "API key " + r.id + " exists here with another secret";
      known = true;
      next = i->second;
      next.name = r.name;
      next.scopes = r.scopes;
      next.expires_ms = r.expires_ms;
      if (next.revoked_ms == 0)
        next.revoked_ms = r.revoked_ms;
    }
  }
  {
    std::lock_guard<std::mutex> g(db_mtx_);
    if (known)
      db_
        .prepare("UPDATE api_keys SET name = ?, scopes = ?, expires_ms = ?, "
                 "revoked_ms = ? WHERE id = ?")
        .bind(1, next.name)
        .bind(2, join(next.scopes))
        .bind(3, next.expires_ms)
        .bind(4, next.revoked_ms)
        .bind(5, next.id)
        .run();
    else
      insert_row(db_, next);
  }
  std::unique_lock<std::shared_mutex> g(mtx_);
  keys_[next.id] = std::move(next);
  return std::nullopt;
}

bool api_key_store::revoke(const std::string& id, int64_t now_ms) {
  {
    std::unique_lock<std::shared_mutex> g(mtx_);
    auto i = keys_.find(id);
    if (i == keys_.end() || i->second.revoked_ms != 0)
      return false;
    i->second.revoked_ms = now_ms;
  }
  std::lock_guard<std::mutex> g(db_mtx_);
  db_.prepare("UPDATE api_keys SET revoked_ms = ? WHERE id = ?")
    .bind(1, now_ms)
    .bind(2, id)
    .run();
  return true;
}

std::optional<api_key_record> api_key_store::live_admin(int64_t now_ms) const {
  std::shared_lock<std::shared_mutex> g(mtx_);
  for (auto& [id, r] : keys_) {
    bool admin =
      std::find(r.scopes.begin(), r.scopes.end(), "admin") != r.scopes.end();
    if (admin && r.tenant.empty() && r.revoked_ms == 0 &&
        (r.expires_ms == 0 || now_ms < r.expires_ms))
      return r;
  }
  return std::nullopt;
}

api_key_check api_key_store::verify(std::string_view token, int64_t now_ms,
                                    api_key_record& out) const {
  // thk_ + 16 hex + _ + 43 base64url characters
  if (!looks_like_key(token) || token.size() != 4 + 16 + 1 + 43 ||
      token[20] != '_')
    return api_key_check::malformed;
  std::string id(token.substr(4, 16));
  auto digest = sha256_hex(token.substr(21));
  std::shared_lock<std::shared_mutex> g(mtx_);
  auto i = keys_.find(id);
  if (i == keys_.end())
    return api_key_check::unknown;
  auto& r = i->second;
  if (r.digest.size() != digest.size() ||
      CRYPTO_memcmp(r.digest.data(), digest.data(), digest.size()) != 0)
    return api_key_check::unknown;
  if (r.revoked_ms != 0)
    return api_key_check::revoked;
  if (r.expires_ms != 0 && now_ms >= r.expires_ms)
    return api_key_check::expired;
  out = r;
  return api_key_check::ok;
}

} // namespace themis::engine
