#include "auth/usb_admin/key_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/json_bounded.hpp"

namespace themis::auth::usb_admin {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

/// An flock held for one read-modify-write: the CLI and the server may
/// enroll at the same time.
class file_lock {
public:
  explicit file_lock(const fs::path& p) {
    fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~file_lock() {
    if (fd_ >= 0)
      ::close(fd_); // releases the lock
  }
  bool ok() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

constexpr size_t max_file_bytes = 1 << 20;

} // namespace

key_store::key_store(fs::path data_dir) :
  file_(file_in(data_dir)), lock_(data_dir / "usb-admin-keys.lock") {}

fs::path key_store::file_in(const fs::path& dir) {
  return dir / "usb-admin-keys.json";
}

bool key_store::valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
          c == '@'))
      return false;
  return true;
}

bool key_store::reload_locked(std::string* error) {
  std::error_code ec;
  auto size = fs::file_size(file_, ec);
  if (ec) { // no file: no keys
    keys_.clear();
    loaded_ = true;
    broken_.clear();
    size_ = static_cast<uintmax_t>(-1);
    return true;
  }
  auto mtime = fs::last_write_time(file_, ec);
  if (loaded_ && !ec && mtime == mtime_ && size == size_) {
    if (!broken_.empty() && error)
      *error = broken_;
    return broken_.empty();
  }
  auto fail = [&](std::string why) {
    // fail closed: a file that no longer parses enrolls nobody (a hand
    // edit removing a compromised key must not keep it valid on a typo)
    keys_.clear();
    mtime_ = mtime;
    size_ = size;
    loaded_ = true;
    broken_ = file_.string() + ": " + why;
    if (error)
      *error = broken_;
    return false;
  };
  if (size > max_file_bytes)
    return fail("larger than 1 MiB");
  std::ifstream in(file_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  if (engine::parse_untrusted_json(ss.str(), j) !=
        engine::json_parse_status::ok ||
      !j.is_object() || !j.contains("keys") || !j["keys"].is_array())
    return fail("not a {\"keys\": [...]} document");
  std::vector<enrolled_key> keys;
  for (auto& k : j["keys"]) {
    if (!k.is_object() || keys.size() >= max_keys)
      return fail("too many keys or a malformed entry");
    enrolled_key e;
    auto str = [&](const char* f) {
      return k.contains(f) && k[f].is_string() ? k[f].get<std::string>()
                                               : std::string();
    };
    e.name = str("name");
    e.public_pem = str("public_key");
    if (k.contains("created_ms") && k["created_ms"].is_number_integer())
      e.created_ms = k["created_ms"].get<int64_t>();
    std::string why;
    auto parsed = admin_key::from_pem(e.public_pem, why);
    if (!parsed)
      return fail("key " + e.name + ": " + why);
    // the id is recomputed, never trusted from the file
    e.id = parsed->fingerprint();
    e.type = parsed->type();
    keys.push_back(std::move(e));
  }
  keys_ = std::move(keys);
  mtime_ = mtime;
  size_ = size;
  loaded_ = true;
  broken_.clear();
  return true;
}

bool key_store::write_locked(const std::vector<enrolled_key>& keys,
                             std::string& error) {
  json arr = json::array();
  for (auto& k : keys)
    arr.push_back({{"id", k.id},
                   {"name", k.name},
                   {"type", k.type},
                   {"public_key", k.public_pem},
                   {"created_ms", k.created_ms}});
  auto text = json{{"keys", arr}}.dump(2) + "\n";
  auto tmp = file_;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot write " + tmp.string();
    return false;
  }
  bool ok = ::write(fd, text.data(), text.size()) ==
              static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  std::error_code ec;
  if (ok)
    fs::rename(tmp, file_, ec);
  if (!ok || ec) {
    fs::remove(tmp, ec);
    error = "cannot write " + file_.string();
    return false;
  }
  keys_ = keys;
  loaded_ = false; // re-stat on the next read
  return reload_locked(&error);
}

std::vector<enrolled_key> key_store::list(std::string* error) {
  std::lock_guard g(mu_);
  reload_locked(error);
  return keys_;
}

bool key_store::contains(const std::string& id) {
  std::lock_guard g(mu_);
  reload_locked(nullptr);
  for (auto& k : keys_)
    if (k.id == id)
      return true;
  return false;
}

std::optional<admin_key> key_store::find(const std::string& id,
                                         enrolled_key* meta) {
  std::lock_guard g(mu_);
  reload_locked(nullptr);
  for (auto& k : keys_)
    if (k.id == id) {
      std::string why;
      if (meta)
        *meta = k;
      return admin_key::from_pem(k.public_pem, why);
    }
  return std::nullopt;
}

bool key_store::add(const std::string& pem, std::string name, int64_t now_ms,
                    enrolled_key& out, std::string& error, int& status) {
  status = 400;
  auto parsed = admin_key::from_pem(pem, error);
  if (!parsed)
    return false;
  if (name.empty())
    name = "usb-" + parsed->fingerprint().substr(0, 12);
  if (!valid_name(name)) {
    error = "name: 1-64 of A-Z a-z 0-9 . _ - @";
    return false;
  }
  std::lock_guard g(mu_);
  file_lock fl(lock_);
  status = 500;
  if (!fl.ok()) {
    error = "cannot lock " + lock_.string();
    return false;
  }
  loaded_ = false; // another process may have written since
  if (!reload_locked(&error))
    return false;
  for (auto& k : keys_)
    if (k.id == parsed->fingerprint() || k.name == name) {
      status = 409;
      error = k.id == parsed->fingerprint()
                ? "this key is already enrolled as " + k.name
                : "the name " + name + " is taken";
      return false;
    }
  if (keys_.size() >= max_keys) {
    status = 507;
    error = "at most 64 USB admin keys";
    return false;
  }
  out = {parsed->fingerprint(), name, parsed->type(), pem, now_ms};
  auto keys = keys_;
  keys.push_back(out);
  return write_locked(keys, error);
}

bool key_store::remove(const std::string& id_or_name, enrolled_key& out,
                       std::string& error) {
  std::lock_guard g(mu_);
  file_lock fl(lock_);
  if (!fl.ok()) {
    error = "cannot lock " + lock_.string();
    return false;
  }
  loaded_ = false;
  if (!reload_locked(&error))
    return false;
  auto keys = keys_;
  for (auto it = keys.begin(); it != keys.end(); ++it)
    if (it->id == id_or_name || it->name == id_or_name) {
      out = *it;
      keys.erase(it);
      return write_locked(keys, error);
    }
  return false;
}

} // namespace themis::auth::usb_admin
