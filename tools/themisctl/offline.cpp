#include "tools/themisctl/offline.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/backup.hpp"
#include "engine/data_dir_lock.hpp"
#include "engine/security/api_key_store.hpp"
#include "themis/clock.hpp"
#include "tools/themisctl/table.hpp"

namespace themisctl {

namespace fs = std::filesystem;

namespace {} // namespace

int init_data_dir(const std::string& data_dir, const std::string& name,
                  bool force, bool json) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "themisctl init: cannot create %s: %s\n",
                 data_dir.c_str(), ec.message().c_str());
    return 1;
  }
  // a running server keeps its keys in memory: a key written under it
  // would not be seen until its restart, so refuse instead
  themis::engine::data_dir_lock lock;
  std::string error;
  if (!lock.acquire(data_dir, error)) {
    std::fprintf(stderr,
                 "themisctl init: %s\n(with the server running, create keys "
                 "with `themisctl keys create` and an admin token)\n",
                 error.c_str());
    return 2;
  }
  try {
    themis::engine::api_key_store keys(
      themis::engine::api_key_store::path_in(data_dir), 5000);
    auto now = themis::unix_now_ms();
    if (auto existing = keys.live_admin(now); existing && !force) {
      std::fprintf(
        stderr,
        "themisctl init: %s already has an admin API key (id %s, "
        "created %s by %s); nothing was created. Use it with "
        "`themisctl keys create`, or revoke it first (or --force).\n",
        data_dir.c_str(), existing->id.c_str(),
        utc_time(existing->created_ms).c_str(), existing->created_by.c_str());
      return 2;
    } else if (existing) {
      std::fprintf(stderr,
                   "themisctl init --force: admin API key %s stays live; "
                   "revoke it with the new token if it was lost\n",
                   existing->id.c_str());
    }
    themis::engine::api_key_record r;
    r.name = name;
    r.user = name;
    r.scopes = {"admin"};
    r.created_by = "themisctl init";
    std::string token;
    auto saved = keys.create(std::move(r), token, now);
    if (json) {
      nlohmann::json j = {{"id", saved.id},     {"name", saved.name},
                          {"user", saved.user}, {"scopes", saved.scopes},
                          {"token", token},     {"data_dir", data_dir}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("%s\n", token.c_str());
      std::fprintf(stderr,
                   "themisctl init: created admin API key %s in %s/auth.db.\n"
                   "The token above is shown once; only its digest is "
                   "stored. Use it as\n  THEMIS_TOKEN=<token> themisctl "
                   "status\n  curl -H 'Authorization: Bearer <token>' ...\n",
                   saved.id.c_str(), data_dir.c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "themisctl init: %s\n", e.what());
    return 1;
  }
}

int restore_data_dir(const std::string& from, const std::string& data_dir,
                     bool json) {
  std::error_code ec;
  if (fs::exists(data_dir, ec) && !fs::is_empty(data_dir, ec)) {
    std::fprintf(stderr,
                 "themisctl restore: %s is not empty; restore only fills a "
                 "new or empty data directory\n",
                 data_dir.c_str());
    return 2;
  }
  themis::engine::backup_result manifest;
  std::string error;
  if (!themis::engine::restore_backup(from, data_dir, manifest, error)) {
    std::fprintf(stderr, "themisctl restore: %s\n", error.c_str());
    return 1;
  }
  if (json) {
    nlohmann::json files = nlohmann::json::array();
    for (auto& f : manifest.files)
      files.push_back(f.name);
    nlohmann::json j = {{"restored", true},
                        {"from", from},
                        {"data_dir", data_dir},
                        {"sequence", manifest.sequence},
                        {"files", files}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("restored %s into %s: documents and change log as of "
                "sequence %llu; start themisd with --data-dir %s\n",
                from.c_str(), data_dir.c_str(),
                static_cast<unsigned long long>(manifest.sequence),
                data_dir.c_str());
  }
  return 0;
}

} // namespace themisctl
