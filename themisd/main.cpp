/// themisd: the ThemisDB network and API server.

#include <cstdio>
#include <unistd.h>

#include "actors/server.hpp"
#include "config/config_loader.hpp"

extern char** environ;

int main(int argc, char** argv) {
  auto outcome = themis::load_config(argc, argv, environ, THEMIS_VERSION);
  if (outcome.exit_code >= 0) {
    std::fprintf(outcome.exit_code == 0 ? stdout : stderr, "%s\n",
                 outcome.message.c_str());
    return outcome.exit_code;
  }
  // SIGHUP re-reads the same sources: the file, the environment, the flags.
  auto reload =
    [argc, argv](std::string& error) -> std::optional<themis::server_config> {
    auto again = themis::load_config(argc, argv, environ, THEMIS_VERSION);
    if (again.exit_code >= 0) {
      error = again.message;
      return std::nullopt;
    }
    return again.config;
  };
  return themis::run_server(outcome.config, THEMIS_VERSION, reload);
}
