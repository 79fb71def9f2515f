#include "handlers/log_output.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace themis {

namespace {

int open_log(const std::string& path, std::string& error) {
  int fd =
    ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    error = "cannot open " + path + ": " + std::strerror(errno);
  return fd;
}

} // namespace

log_output::log_output(std::string path) : path_(std::move(path)) {
  if (!path_.empty()) {
    std::string error;
    fd_ = open_log(path_, error);
    if (fd_ < 0)
      throw std::runtime_error(error);
  }
  buf_.reserve(flush_bytes + 4096);
}

log_output::~log_output() {
  flush();
  if (fd_ > 2)
    ::close(fd_);
}

void log_output::append(std::string_view line) {
  std::lock_guard<std::mutex> g(mtx_);
  buf_.append(line);
  if (buf_.size() >= flush_bytes)
    write_out();
}

void log_output::flush() {
  std::lock_guard<std::mutex> g(mtx_);
  write_out();
}

void log_output::write_out() {
  size_t off = 0;
  while (off < buf_.size()) {
    auto n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break; // a full disk or a closed stderr: the lines are lost, not kept
    off += static_cast<size_t>(n);
  }
  buf_.clear();
}

std::optional<std::string> log_output::reopen() {
  std::lock_guard<std::mutex> g(mtx_);
  write_out();
  if (path_.empty())
    return std::nullopt;
  std::string error;
  int fd = open_log(path_, error);
  if (fd < 0)
    return error; // keeps writing to the old (renamed) file
  if (fd_ > 2)
    ::close(fd_);
  fd_ = fd;
  return std::nullopt;
}

} // namespace themis
