#pragma once
/// One server per data directory (issue 28): an exclusive flock(2) on
/// `{data_dir}/themisd.lock`, taken before any store is opened and held
/// until the process ends. The file holds the holder's PID, so a second
/// instance can say who has it. The kernel drops the lock when the holder
/// dies (kill -9 included): a stale file never blocks a start.

#include <string>

namespace themis::engine {

class data_dir_lock {
public:
  static constexpr const char* file_name = "themisd.lock";

  data_dir_lock() = default;
  data_dir_lock(const data_dir_lock&) = delete;
  data_dir_lock& operator=(const data_dir_lock&) = delete;
  data_dir_lock(data_dir_lock&& other) noexcept;
  data_dir_lock& operator=(data_dir_lock&& other) noexcept;
  ~data_dir_lock();

  /// Takes the lock on `data_dir` and writes this process's PID into the
  /// file. False with `error` (naming the holder's PID when another
  /// process has it) otherwise.
  bool acquire(const std::string& data_dir, std::string& error);
  bool held() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

} // namespace themis::engine
