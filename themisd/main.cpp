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
  return themis::run_server(outcome.config, THEMIS_VERSION);
}
