#pragma once
/// Runs one invocation of a compiled module (issue 27): a fresh store and
/// instance each time (nothing is shared between invocations or tenants),
/// stdin = the request body, stdout = the response body, stderr = the
/// function's log, under a step budget, a wall-clock deadline, a memory
/// cap and an output cap. A trap ends only this invocation.

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "functions/function_limits.hpp"
#include "functions/wasm_module.hpp"

namespace themis::functions {

/// Answers of the host API's document calls (their i32 results).
enum class host_status : int32_t {
  ok = 0,
  not_found = -1,
  forbidden = -2, ///< the caller's scopes do not allow it
  invalid = -3,   ///< a bad collection name, key or JSON
  failed = -4,    ///< the store refused or failed
};

/// The database behind the host API, implemented by the server for one
/// caller (tenant namespace and scopes); called on the invocation's
/// thread, may block.
class host_api {
public:
  virtual ~host_api() = default;
  virtual host_status get_document(std::string_view collection,
                                   std::string_view key, std::string& json) = 0;
  virtual host_status put_document(std::string_view collection,
                                   std::string_view key,
                                   std::string_view json) = 0;
  /// Runs an AQL query; `rows` gets the result as a JSON array.
  virtual host_status aql_query(std::string_view query, std::string& rows) = 0;
  /// Publishes an MQTT message (QoS 0) in the caller's topic tree.
  virtual host_status mqtt_publish(std::string_view topic,
                                   std::string_view payload) = 0;
};

struct invocation_input {
  std::string body;                        ///< read from stdin
  std::vector<std::string> args;           ///< argv (argv[0]: the function id)
  std::vector<std::string> environ;        ///< "NAME=value"
  host_api* host = nullptr;                ///< null: document calls fail
  const std::atomic<bool>* stop = nullptr; ///< server shutdown
};

enum class outcome : uint8_t {
  ok,       ///< `_start` returned or proc_exit(0)
  exit,     ///< proc_exit with a non-zero code
  trap,     ///< a wasm trap (unreachable, bad access, stack exhausted …)
  deadline, ///< the wall-clock deadline passed
  fuel,     ///< the step budget ran out
  memory,   ///< linear memory grew past the cap
  output,   ///< stdout exceeded the output cap
  stopped,  ///< the server shut down
};
const char* outcome_name(outcome o);

struct invocation_result {
  outcome kind = outcome::ok;
  int32_t exit_code = 0;
  int status = 200; ///< set by themis.set_status
  std::vector<std::pair<std::string, std::string>> headers;
  std::string out;     ///< stdout
  std::string log;     ///< stderr and themis.log lines (capped)
  std::string message; ///< why it ended, for anything but ok
  uint64_t steps = 0;
  uint32_t memory_pages = 0; ///< at the end
};

invocation_result invoke(const compiled_module& m, const invocation_input& in,
                         const function_limits& lim);

} // namespace themis::functions
