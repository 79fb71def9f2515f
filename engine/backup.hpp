#pragma once
/// Online backup and offline restore of a data directory (issue 28).
///
/// A backup copies every store of a running server — themis.db (documents,
/// change log, SQL tables, saved MQTT state), jobs.db and auth.db — with
/// SQLite's online backup API into a new directory. One read transaction
/// per source is opened first, all within a few microseconds, and held
/// while its pages are copied: WAL readers see one committed snapshot, so
/// the copy never restarts however hard the server writes, and documents
/// and change log are consistent to one change sequence (reported). The
/// manifest `backup.json` is written last: a directory without it is not
/// a backup. Plain C++ and SQLite: no CAF.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace themis::engine {

/// The manifest a finished backup holds.
constexpr const char* backup_manifest_name = "backup.json";

/// The stores of a data directory, in the order a backup copies them.
const std::vector<std::string>& backup_store_files();

struct backup_file {
  std::string name;
  uint64_t bytes = 0;
};

struct backup_result {
  uint64_t sequence = 0;          ///< documents and change log as of this
  uint64_t compacted_through = 0; ///< change log rows ≤ this were retired
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  uint64_t bytes = 0;
  std::vector<backup_file> files;
  std::string version; ///< of the themisd that made it
};

struct backup_options {
  std::string data_dir;
  std::string to; ///< new or empty directory (created)
  int busy_timeout_ms = 5000;
  /// Pages per sqlite3_backup_step: progress granularity. The source's
  /// read transaction stays open between steps, so steps never restart.
  int pages_per_step = 128;
  /// A fresh MQTT broker snapshot for the copy's state_blobs ('mqtt');
  /// empty keeps the one the server saved last.
  std::string mqtt_state;
  std::string version;
  /// Called after each step with pages copied and pages in all stores.
  std::function<void(uint64_t done, uint64_t total)> progress;
  /// The sequence is known (every snapshot taken), before copying.
  std::function<void(uint64_t sequence)> on_snapshot;
  const std::atomic<bool>* stop = nullptr; ///< set: abandon the copy
};

/// Why `to` cannot receive a backup of `data_dir`, or "" if it can: it
/// must be an absolute path, outside the data directory, and a new or
/// empty directory.
std::string check_backup_target(const std::string& to,
                                const std::string& data_dir);

/// Copies every store; throws std::runtime_error naming what failed (the
/// partial copy has no manifest).
backup_result backup_data_dir(const backup_options& opts);

/// Reads `dir`/backup.json; false with `error` if it is missing or bad.
bool read_backup_manifest(const std::string& dir, backup_result& out,
                          std::string& error);

/// Offline restore: copies a finished backup into `data_dir`, which must
/// not exist or be empty (no server may run on it). False with `error`.
bool restore_backup(const std::string& from, const std::string& data_dir,
                    backup_result& manifest, std::string& error);

} // namespace themis::engine
