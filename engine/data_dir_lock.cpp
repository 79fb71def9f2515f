#include "engine/data_dir_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace themis::engine {

data_dir_lock::data_dir_lock(data_dir_lock&& other) noexcept :
  fd_(std::exchange(other.fd_, -1)) {}

data_dir_lock& data_dir_lock::operator=(data_dir_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

data_dir_lock::~data_dir_lock() {
  // Closing releases the lock. The file stays: removing it would let a
  // third process lock a fresh inode while a second still waits on the old.
  if (fd_ >= 0)
    ::close(fd_);
}

bool data_dir_lock::acquire(const std::string& data_dir, std::string& error) {
  auto path = data_dir + "/" + file_name;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error =
      "engine.data_dir: cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) {
      char buf[32] = {};
      auto n = ::pread(fd, buf, sizeof buf - 1, 0);
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
        pid.pop_back();
      error = "engine.data_dir: '" + data_dir +
              "' is in use by another themisd (pid " +
              (pid.empty() ? std::string("unknown") : pid) + ", lock file " +
              path + "); stop it or choose another data directory";
    } else {
      error =
        "engine.data_dir: cannot lock " + path + ": " + std::strerror(err);
    }
    ::close(fd);
    return false;
  }
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) !=
                                   static_cast<ssize_t>(pid.size())) {
    error =
      "engine.data_dir: cannot write " + path + ": " + std::strerror(errno);
    ::close(fd);
    return false;
  }
  fd_ = fd;
  return true;
}

} // namespace themis::engine
