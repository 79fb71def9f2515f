/// themisd: the ThemisDB network and API server.

#include <cstdio>
#include <string_view>
#include <unistd.h>

#include "actors/server.hpp"
#include "config/config_loader.hpp"
#include "engine/data_dir_lock.hpp"
#include "engine/stack_guard.hpp"
#include "handlers/grpc_service.hpp"
#include "themis/input_limits.hpp"
#include "themisd/admin_cli.hpp"

extern char** environ;

int main(int argc, char** argv) {
  // `themisd admin …` (issue 24): offline administration, no server
  if (argc > 1 && std::string_view(argv[1]) == "admin")
    return themis::run_admin_cli(argc, argv, environ);
  auto outcome = themis::load_config(argc, argv, environ, THEMIS_VERSION);
  if (outcome.exit_code >= 0) {
    std::fprintf(outcome.exit_code == 0 ? stdout : stderr, "%s\n",
                 outcome.message.c_str());
    return outcome.exit_code;
  }
  // One server per data directory, before any store is opened; held until
  // the process ends.
  themis::engine::data_dir_lock dir_lock;
  {
    std::string error;
    if (!dir_lock.acquire(outcome.config.engine.data_dir, error)) {
      std::fprintf(stderr, "themisd: %s\n", error.c_str());
      return 2;
    }
  }
  // Hostile-input limits, before any thread exists: every thread gets a
  // known stack, and every parser reads the same limits (issue 17).
  auto& lim = outcome.config.limits;
  if (!themis::engine::set_default_thread_stack(size_t{lim.thread_stack_kb} *
                                                1024))
    std::fprintf(stderr, "themisd: could not set limits.thread_stack_kb\n");
  themis::set_max_json_depth(lim.max_json_depth);
  auto& pl = themis::parser_limits_setting();
  pl.max_sql_depth = lim.max_sql_depth;
  pl.max_sql_bytes = lim.max_sql_bytes;
  pl.max_aql_clauses = lim.max_aql_clauses;
  pl.thread_stack_bytes = size_t{lim.thread_stack_kb} * 1024;
  // grpc.testing.TestService (read at start, like the method tables)
  themis::set_grpc_interop_service(outcome.config.grpc.interop_service);
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
