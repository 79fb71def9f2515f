#pragma once
/// The job manager actor (under jobs_sup): owns the job_service, starts one
/// runner actor per running job and monitors it, holds long-poll answers.
/// Detached because job records are written to SQLite synchronously.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_jobs_manager(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx);

} // namespace themis
