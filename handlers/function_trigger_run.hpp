#pragma once
/// What a trigger does on a worker thread (issue 27): runs its function
/// as the trigger's creator on one event or MQTT message, stores an MQTT
/// trigger's output, and builds the dead letter of an event that failed
/// every attempt. The trigger actor (actors/function_triggers.cpp)
/// decides when; this decides what.

#include <memory>
#include <string>
#include <vector>

#include "engine/read_types.hpp"
#include "engine/write_types.hpp"
#include "functions/trigger_store.hpp"
#include "handlers/function_invocation.hpp"
#include "handlers/handler_env.hpp"

namespace themis {

/// How one trigger invocation ended (the work runner's answer status).
enum class trigger_result : int {
  done = 200,   ///< the function succeeded (and its output was stored)
  gone = 404,   ///< the function (or functions) no longer exists: skip
  busy = 429,   ///< its concurrency limit: try again soon, not an attempt
  failed = 500, ///< a failure that counts as an attempt (body: why)
  stopped = 503 ///< the server shuts down: not an attempt, not dead
};

/// The event as the function's stdin: event_json with the collection as
/// the trigger's tenant names it.
std::string trigger_event_json(const functions::trigger_spec& t,
                               const engine::change_event& e);

/// A trigger's function with one of its invocation slots taken (given
/// back when the last copy of `slot` goes). Taken on the trigger actor
/// before a worker is started, so a busy function costs no thread.
struct trigger_admission {
  trigger_result result = trigger_result::done; ///< done: admitted
  std::shared_ptr<functions::function_entry> function;
  std::shared_ptr<void> slot;
};
trigger_admission admit_trigger(functions::function_registry& reg,
                                const functions::trigger_spec& t);

/// Runs the admitted function of `t` on `call` (stdin, argv after the id,
/// environment, hops) as the trigger's creator; for an MQTT trigger with an
/// output collection, stores stdout (a JSON object; its `_key`, or a fresh
/// one) there through `w`.
api_response run_trigger(handler_env& env, const functions::trigger_spec& t,
                         const trigger_admission& admitted,
                         invocation_request call, const std::string& request_id,
                         blocking_writer& w);

/// Dead letters go to this collection of the trigger's tenant.
inline constexpr const char* dead_letter_collection = "function_dead_letters";

/// The write of a dead letter: `{trigger, function, sequence, event,
/// error, attempts, time_ms}` keyed `<trigger>-<sequence>`.
engine::write_batch dead_letter_batch(const functions::trigger_spec& t,
                                      uint64_t sequence,
                                      const std::string& event,
                                      const std::string& error,
                                      uint32_t attempts);

} // namespace themis
