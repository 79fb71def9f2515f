#include "engine/backup.hpp"

#include "engine/search/search_backup.hpp"
#include "themis/clock.hpp"
#include <algorithm>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace themis::engine {

namespace fs = std::filesystem;

namespace {

struct db_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using db_ptr = std::unique_ptr<sqlite3, db_closer>;

db_ptr open_db(const std::string& path, int flags, int busy_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_ptr db(raw);
  if (rc != SQLITE_OK)
    throw std::runtime_error("cannot open " + path + ": " +
                             (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(raw, busy_ms);
  return db;
}

void exec(sqlite3* db, const char* sql, const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    throw std::runtime_error(what + ": " + msg);
  }
}

int64_t query_int(sqlite3* db, const char* sql, const std::string& what) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
    throw std::runtime_error(what + ": " + sqlite3_errmsg(db));
  int64_t v = 0;
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    throw std::runtime_error(what + ": " + sqlite3_errmsg(db));
  return v;
}

/// Data reaches the disk before the manifest says the backup is whole.
void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  (void)::fsync(fd);
  ::close(fd);
}

/// One store being copied: its source connection holds a read
/// transaction (the snapshot) from open until finish.
struct source {
  std::string name;
  db_ptr db;
  int64_t pages = 0;
};

/// Copies `src` (its open transaction) into a new file `dest_path` in
/// steps; reports each step through `step_done(pages)`.
void copy_store(sqlite3* src, const std::string& dest_path, int busy_ms,
                int pages_per_step, const std::atomic<bool>* stop,
                const std::function<void(int64_t)>& step_done) {
  auto dest =
    open_db(dest_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, busy_ms);
  auto* b = sqlite3_backup_init(dest.get(), "main", src, "main");
  if (!b)
    throw std::runtime_error("backup of " + dest_path + ": " +
                             sqlite3_errmsg(dest.get()));
  int rc = SQLITE_OK;
  int64_t last_done = 0;
  while (true) {
    if (stop && stop->load()) {
      sqlite3_backup_finish(b);
      throw std::runtime_error("backup abandoned: the server is stopping");
    }
    rc = sqlite3_backup_step(b, pages_per_step);
    auto done = static_cast<int64_t>(sqlite3_backup_pagecount(b)) -
                sqlite3_backup_remaining(b);
    if (done != last_done) {
      step_done(done - last_done);
      last_done = done;
    }
    if (rc == SQLITE_DONE)
      break;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (rc != SQLITE_OK)
      break;
  }
  rc = sqlite3_backup_finish(b);
  if (rc != SQLITE_OK)
    throw std::runtime_error("backup of " + dest_path + ": " +
                             sqlite3_errmsg(dest.get()));
}

nlohmann::json manifest_json(const backup_result& r) {
  auto files = nlohmann::json::array();
  for (auto& f : r.files)
    files.push_back({{"name", f.name}, {"bytes", f.bytes}});
  return {{"format", 1},
          {"sequence", r.sequence},
          {"compacted_through", r.compacted_through},
          {"started_ms", r.started_ms},
          {"finished_ms", r.finished_ms},
          {"bytes", r.bytes},
          {"files", files},
          {"version", r.version}};
}

bool dir_is_empty(const fs::path& p, std::error_code& ec) {
  return fs::is_empty(p, ec) && !ec;
}

} // namespace

const std::vector<std::string>& backup_store_files() {
  static const std::vector<std::string> f = {"themis.db", "jobs.db", "auth.db"};
  return f;
}

std::string check_backup_target(const std::string& to,
                                const std::string& data_dir) {
  if (to.empty())
    return "\"to\" is required: a new or empty directory on the server host";
  fs::path p(to);
  if (!p.is_absolute())
    return "\"to\" must be an absolute path: " + to;
  std::error_code ec;
  auto target = fs::weakly_canonical(p, ec);
  auto data = fs::weakly_canonical(fs::absolute(data_dir, ec), ec);
  auto rel = target.lexically_relative(data);
  if (!data.empty() && !rel.empty() && *rel.begin() != "..")
    return "\"to\" must be outside the data directory: " + to;
  if (fs::exists(p, ec)) {
    if (!fs::is_directory(p, ec))
      return "\"to\" exists and is not a directory: " + to;
    if (!dir_is_empty(p, ec))
      return "\"to\" must be a new or empty directory: " + to + " is not empty";
  }
  return "";
}

backup_result backup_data_dir(const backup_options& opts) {
  backup_result out;
  out.started_ms = unix_now_ms();
  out.version = opts.version;
  if (auto bad = check_backup_target(opts.to, opts.data_dir); !bad.empty())
    throw std::invalid_argument(bad);
  std::error_code ec;
  fs::create_directories(opts.to, ec);
  if (ec)
    throw std::runtime_error("cannot create " + opts.to + ": " + ec.message());

  // Every snapshot first, back to back: the stores are copied as of (almost)
  // one instant, and themis.db exactly as of `sequence`.
  std::vector<source> sources;
  for (auto& name : backup_store_files()) {
    auto path = (fs::path(opts.data_dir) / name).string();
    if (!fs::exists(path, ec))
      continue; // jobs.db appears with the first job
    source s;
    s.name = name;
    // read-write without create: a read-only connection cannot open a WAL
    // database whose -shm it may not create
    s.db = open_db(path, SQLITE_OPEN_READWRITE, opts.busy_timeout_ms);
    exec(s.db.get(), "BEGIN", name);
    // the first read fixes the WAL snapshot this transaction sees
    s.pages = query_int(s.db.get(), "PRAGMA page_count", name);
    if (name == "themis.db") {
      out.compacted_through = static_cast<uint64_t>(
        query_int(s.db.get(),
                  "SELECT COALESCE((SELECT v FROM meta WHERE k = "
                  "'compacted_through'), 0)",
                  name));
      out.sequence = std::max<uint64_t>(
        out.compacted_through,
        static_cast<uint64_t>(query_int(
          s.db.get(), "SELECT COALESCE(MAX(seq), 0) FROM changelog", name)));
    }
    sources.push_back(std::move(s));
  }
  if (sources.empty() || sources.front().name != "themis.db")
    throw std::runtime_error("no themis.db in " + opts.data_dir);
  if (opts.on_snapshot)
    opts.on_snapshot(out.sequence);

  uint64_t total = 0, done = 0;
  for (auto& s : sources)
    total += static_cast<uint64_t>(s.pages);
  if (opts.progress)
    opts.progress(0, total);
  for (auto& s : sources) {
    auto dest = (fs::path(opts.to) / s.name).string();
    copy_store(s.db.get(), dest, opts.busy_timeout_ms, opts.pages_per_step,
               opts.stop, [&](int64_t pages) {
                 done += static_cast<uint64_t>(pages);
                 if (opts.progress)
                   opts.progress(std::min(done, total), total);
               });
    exec(s.db.get(), "COMMIT", s.name);
    s.db.reset();
  }

  if (!opts.mqtt_state.empty()) {
    // the broker as of now rather than as of its last periodic save
    auto dest = open_db((fs::path(opts.to) / "themis.db").string(),
                        SQLITE_OPEN_READWRITE, opts.busy_timeout_ms);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(dest.get(),
                           "INSERT OR REPLACE INTO state_blobs(k, v) "
                           "VALUES('mqtt', ?1)",
                           -1, &st, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("mqtt state: ") +
                               sqlite3_errmsg(dest.get()));
    sqlite3_bind_text(st, 1, opts.mqtt_state.data(),
                      static_cast<int>(opts.mqtt_state.size()), SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
      throw std::runtime_error(std::string("mqtt state: ") +
                               sqlite3_errmsg(dest.get()));
  }

  for (auto& s : sources) {
    auto path = (fs::path(opts.to) / s.name).string();
    fsync_path(path);
    backup_file f{s.name, static_cast<uint64_t>(fs::file_size(path, ec))};
    out.bytes += f.bytes;
    out.files.push_back(std::move(f));
  }
  // search index definitions (issue 32): rebuilt from the documents on
  // restore (engine/search/search_backup.hpp says why)
  if (auto defs = search::export_definitions(opts.data_dir); !defs.empty()) {
    auto path = (fs::path(opts.to) / search::backup_definitions_name).string();
    std::ofstream f(path, std::ios::trunc);
    f << defs.dump() << "\n";
    if (!f)
      throw std::runtime_error("cannot write " + path);
    f.close();
    fsync_path(path);
  }
  out.finished_ms = unix_now_ms();
  auto manifest = fs::path(opts.to) / backup_manifest_name;
  auto tmp = manifest.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << manifest_json(out).dump(2) << "\n";
    if (!f)
      throw std::runtime_error("cannot write " + tmp);
  }
  fsync_path(tmp);
  fs::rename(tmp, manifest, ec);
  if (ec)
    throw std::runtime_error("cannot write " + manifest.string() + ": " +
                             ec.message());
  fsync_path(opts.to);
  return out;
}

bool read_backup_manifest(const std::string& dir, backup_result& out,
                          std::string& error) {
  auto path = (fs::path(dir) / backup_manifest_name).string();
  std::ifstream f(path);
  if (!f) {
    error = path + " not found: " + dir +
            " is not a finished backup (its manifest is written last)";
    return false;
  }
  auto j = nlohmann::json::parse(f, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("files") ||
      !j["files"].is_array()) {
    error = path + " is not a backup manifest";
    return false;
  }
  out.sequence = j.value("sequence", uint64_t{0});
  out.compacted_through = j.value("compacted_through", uint64_t{0});
  out.started_ms = j.value("started_ms", int64_t{0});
  out.finished_ms = j.value("finished_ms", int64_t{0});
  out.bytes = j.value("bytes", uint64_t{0});
  out.version = j.value("version", std::string());
  out.files.clear();
  for (auto& e : j["files"]) {
    if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) {
      error = path + ": a file entry has no name";
      return false;
    }
    auto name = e["name"].get<std::string>();
    auto& known = backup_store_files();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      error = path + ": unknown store " + name;
      return false;
    }
    out.files.push_back({name, e.value("bytes", uint64_t{0})});
  }
  return true;
}

bool restore_backup(const std::string& from, const std::string& data_dir,
                    backup_result& manifest, std::string& error) {
  if (!read_backup_manifest(from, manifest, error))
    return false;
  std::error_code ec;
  if (fs::exists(data_dir, ec)) {
    if (!fs::is_directory(data_dir, ec) || !dir_is_empty(data_dir, ec)) {
      error = "the data directory " + data_dir +
              " must be new or empty: restore never overwrites a store";
      return false;
    }
  }
  fs::create_directories(data_dir, ec);
  if (ec) {
    error = "cannot create " + data_dir + ": " + ec.message();
    return false;
  }
  try {
    // through SQLite, not a file copy: a backup directory a server was
    // started on may hold a WAL the copy must include
    for (auto& f : manifest.files) {
      auto src_path = (fs::path(from) / f.name).string();
      auto src = open_db(src_path, SQLITE_OPEN_READWRITE, 5000);
      exec(src.get(), "BEGIN", f.name);
      query_int(src.get(), "PRAGMA page_count", f.name);
      auto dest = (fs::path(data_dir) / f.name).string();
      copy_store(src.get(), dest, 5000, 4096, nullptr, [](int64_t) {});
      exec(src.get(), "COMMIT", f.name);
      auto check = open_db(dest, SQLITE_OPEN_READWRITE, 5000);
      sqlite3_stmt* s = nullptr;
      std::string verdict;
      if (sqlite3_prepare_v2(check.get(), "PRAGMA quick_check", -1, &s,
                             nullptr) == SQLITE_OK &&
          sqlite3_step(s) == SQLITE_ROW)
        verdict = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
      sqlite3_finalize(s);
      if (verdict != "ok") {
        error = dest + " failed its integrity check: " + verdict;
        return false;
      }
      fsync_path(dest);
    }
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
  // search indexes (issue 32): their definitions, built again on start
  auto defs_path = fs::path(from) / search::backup_definitions_name;
  if (fs::exists(defs_path, ec)) {
    std::ifstream f(defs_path);
    auto defs = nlohmann::json::parse(f, nullptr, false);
    error = defs.is_discarded()
              ? defs_path.string() + " is not JSON"
              : search::import_definitions(data_dir, defs);
    if (!error.empty())
      return false;
  }
  fsync_path(data_dir);
  return true;
}

} // namespace themis::engine
