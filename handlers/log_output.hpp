#pragma once
/// Where log lines go: stderr or a file, through a buffer. Lines are
/// appended in memory under a mutex and written with one write(2) when
/// 64 KiB have collected or at the next flush (at once for the server
/// log's info lines, every second otherwise), so an access log line costs
/// no system call of its own. `reopen` (SIGUSR1) closes the file and opens
/// the same path again, after logrotate renamed it.

#include <memory>
#include <mutex>
#include <optional>
#include <spdlog/sinks/base_sink.h>
#include <string>
#include <string_view>

namespace themis {

class log_output {
public:
  /// `path` empty: standard error. Throws std::runtime_error when the file
  /// cannot be opened.
  explicit log_output(std::string path);
  ~log_output();
  log_output(const log_output&) = delete;
  log_output& operator=(const log_output&) = delete;

  void append(std::string_view line);
  void flush();
  /// Flushes, then opens the path again; the error, or nothing.
  std::optional<std::string> reopen();
  const std::string& path() const { return path_; }

  static constexpr size_t flush_bytes = 64 * 1024;

private:
  void write_out(); ///< under mtx_
  std::mutex mtx_;
  std::string path_;
  int fd_ = 2;
  std::string buf_;
};

/// A spdlog sink (one per logger: each has its own pattern) over a shared
/// output.
class log_output_sink : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit log_output_sink(std::shared_ptr<log_output> out) :
    out_(std::move(out)) {}

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    out_->append(std::string_view(formatted.data(), formatted.size()));
  }
  void flush_() override { out_->flush(); }

private:
  std::shared_ptr<log_output> out_;
};

} // namespace themis
