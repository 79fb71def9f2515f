#pragma once
/// The trigger actors of serverless functions (issue 27), under a
/// `functions_sup` supervisor of their own:
///
/// - `function_triggers` follows the changefeed hub, but reads each change
///   trigger's events from the change log after its durable checkpoint,
///   never from a queue of its own: the hub's sends are asynchronous and
///   the log is the backlog, so a slow or failing trigger never holds up
///   the hub, the store writer or another trigger. Each matching event is
///   one invocation, a detached worker actor; a success (or a dead
///   letter after `functions.trigger_max_attempts` failures, retried with
///   exponential backoff) advances the checkpoint. After a crash or a
///   restart the trigger resumes after its checkpoint: at least once.
/// - `function_mqtt_triggers` is an internal broker client subscribed to
///   each MQTT trigger's filter in its tenant's tree; matching PUBLISHes
///   wait in a bounded queue (`functions.trigger_queue`; more are dropped
///   and counted), each an invocation; at most once.

#include <caf/fwd.hpp>
#include <memory>

#include "handlers/handler_env.hpp"
#include "supervision/supervisor.hpp"

namespace themis {

struct server_context;

caf::actor spawn_function_triggers(caf::actor_system& sys,
                                   std::shared_ptr<server_context> ctx);
caf::actor spawn_function_mqtt_triggers(caf::actor_system& sys,
                                        std::shared_ptr<server_context> ctx);

/// What the host API of a trigger's invocation uses (the router's env).
handler_env function_trigger_env(server_context& c);

/// `functions_sup` with both trigger actors (one-for-one, `flags`).
child_spec functions_supervisor(std::shared_ptr<server_context> ctx,
                                supervisor_flags flags);

} // namespace themis
