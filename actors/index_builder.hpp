#pragma once
/// Drives background index builds (issue 22, engine/index_background.hpp):
/// finds the builds still running (on its own read-only connection, so a
/// build interrupted by a restart resumes from its stored watermark) and
/// sends the store writer one `index_build_step` at a time, waiting for
/// each to commit and `engine.index_build_pause_ms` more before the next,
/// so the writer's queue never holds more than one chunk of a build and
/// ordinary writes run between chunks. Idle, it looks again every 250 ms.

#include <caf/fwd.hpp>
#include <memory>

namespace themis {

struct server_context;

caf::actor spawn_index_builder(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx);

} // namespace themis
