#pragma once
/// Work that may block for a long time (AQL queries) runs in detached
/// actors, each on its own thread, so the scheduler threads connection
/// actors need are never held. Writes from there go to the store writer
/// as a blocking request.

#include <caf/fwd.hpp>
#include <functional>
#include <memory>

#include "handlers/handler_env.hpp"

namespace themis {

struct server_context;
struct job_run;

/// Spawns a worker that runs `work` when it receives `run_atom` and
/// answers with its api_response.
caf::actor
spawn_work_runner(caf::actor_system& sys, std::shared_ptr<server_context> ctx,
                  std::function<api_response(blocking_writer&)> work);

/// Spawns the runner of one job: it executes the query, streams result
/// rows into the job store and reports a job_outcome to `manager`.
caf::actor spawn_job_runner(caf::actor_system& sys,
                            std::shared_ptr<server_context> ctx, job_run run,
                            caf::actor manager);

} // namespace themis
