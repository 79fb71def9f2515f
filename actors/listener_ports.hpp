#pragma once
/// Opening a listener with a newcomer-friendly answer when its port is
/// taken (issue 35): a built-in default port in use (a local PostgreSQL on
/// 5432, mosquitto on 1883) moves to a free port and says so; a port the
/// operator chose fails start-up with the key, flag and variable that
/// move it.

#include <functional>
#include <memory>
#include <string>

namespace themis {

class http_acceptor;

struct listener_port {
  const char* what; ///< "PostgreSQL", "MQTT", …
  const char* key;  ///< "pg.port"
  const char* flag; ///< "--pg-port"
  int port;         ///< configured
  int default_port; ///< built in
};

/// Calls `open(port)`; see above. Returns nullptr after printing the
/// error (the caller exits with 2).
std::shared_ptr<http_acceptor>
open_listener(const listener_port& p, const std::string& bind,
              const std::function<std::shared_ptr<http_acceptor>(int)>& open);

} // namespace themis
