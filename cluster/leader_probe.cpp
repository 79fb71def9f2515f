#include "cluster/leader_probe.hpp"

#include <cerrno>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace themis::cluster {

probe_result probe_tcp(const std::string& host_port, int timeout_ms) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return probe_result::unknown;
  auto host = host_port.substr(0, colon);
  auto port = host_port.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || !res)
    return probe_result::unknown;
  auto out = probe_result::unknown;
  int fd =
    ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
    if (rc == 0)
      out = probe_result::accepted;
    else if (errno == ECONNREFUSED)
      out = probe_result::refused;
    else if (errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, timeout_ms) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        out = err == 0              ? probe_result::accepted
              : err == ECONNREFUSED ? probe_result::refused
                                    : probe_result::unknown;
      }
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return out;
}

} // namespace themis::cluster
