#include "actors/listener_ports.hpp"

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <cstdio>
#include <spdlog/spdlog.h>

#include "actors/http_listener.hpp"
#include "config/config_loader.hpp"

namespace themis {

std::shared_ptr<http_acceptor>
open_listener(const listener_port& p, const std::string& bind,
              const std::function<std::shared_ptr<http_acceptor>(int)>& open) {
  try {
    return open(p.port);
  } catch (const boost::system::system_error& e) {
    bool in_use = e.code() == boost::asio::error::address_in_use;
    if (in_use && p.port == p.default_port) {
      try {
        auto moved = open(0);
        spdlog::warn("{} port {} is in use on {} (another server?): {} "
                     "listens on port {} instead; set {} ({} or {}) to "
                     "choose one, 0 to turn it off",
                     p.what, p.port, bind, p.what, moved->port(), p.key, p.flag,
                     env_name(p.key));
        return moved;
      } catch (const std::exception&) {
        // fall through to the error below
      }
    }
    std::fprintf(stderr,
                 "themisd: config error: %s: cannot listen on %s:%d: %s%s; "
                 "set %s (%s or %s) to another port, or 0 to turn the %s "
                 "listener off\n",
                 p.key, bind.c_str(), p.port, e.what(),
                 in_use ? " (another server holds it)" : "", p.key, p.flag,
                 env_name(p.key).c_str(), p.what);
  } catch (const std::exception& e) {
    std::fprintf(stderr,
                 "themisd: config error: %s: cannot listen on %s:%d: "
                 "%s\n",
                 p.key, bind.c_str(), p.port, e.what());
  }
  return nullptr;
}

} // namespace themis
