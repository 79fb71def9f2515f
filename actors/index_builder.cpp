#include "actors/index_builder.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "engine/index_background.hpp"
#include "engine/sqlite_db.hpp"
#include "engine/store_schema.hpp"

namespace themis {

namespace {

constexpr auto idle_period = std::chrono::milliseconds(250);

caf::behavior index_builder(caf::event_based_actor* self,
                            std::shared_ptr<server_context> ctx) {
  engine::store_options so;
  so.data_dir = ctx->config.engine.data_dir;
  auto db_path = engine::database_path(so);
  auto chunk = std::to_string(ctx->config.engine.index_build_chunk);
  auto pause =
    std::chrono::milliseconds(ctx->config.engine.index_build_pause_ms);
  self->delayed_send(self, idle_period, tick_atom::value);
  return {
    [=](tick_atom) {
      auto later = [self] {
        self->delayed_send(self, idle_period, tick_atom::value);
      };
      auto writer = registered(self->system(), store_writer_name);
      if (!writer || ctx->stopping.load())
        return later();
      std::vector<std::pair<std::string, std::string>> builds;
      try {
        engine::sqlite_db db(db_path, true, 2000);
        builds = engine::running_index_builds(db.handle());
      } catch (const std::exception& e) {
        spdlog::warn("index builder: {}", e.what());
        return later();
      }
      if (builds.empty())
        return later();
      // one build at a time, oldest first: each finishes sooner
      auto [collection, name] = builds.front();
      engine::write_op op;
      op.kind = engine::op_kind::index_build_step;
      op.collection = collection;
      op.key = name;
      op.doc = chunk;
      engine::write_batch b;
      b.ops.push_back(std::move(op));
      self
        ->request(writer, std::chrono::seconds(120), write_atom::value,
                  std::move(b))
        .then(
          [=](engine::write_result& r) {
            if (!r.committed || r.results.empty()) {
              spdlog::warn("index build of {} on {}: step not committed: {}",
                           name, collection, r.error);
              return later();
            }
            auto& x = r.results.front();
            if (x.doc == "ready")
              spdlog::info("index {} on {} built in the background", name,
                           collection);
            else if (x.doc == "failed")
              spdlog::warn("index build of {} on {} failed: {}", name,
                           collection, x.message);
            self->delayed_send(self, pause, tick_atom::value);
          },
          [=](caf::error& e) {
            spdlog::warn("index build of {} on {}: {}", name, collection,
                         to_string(e));
            later();
          });
    },
  };
}

} // namespace

caf::actor spawn_index_builder(caf::actor_system& sys,
                               std::shared_ptr<server_context> ctx) {
  return sys.spawn(index_builder, std::move(ctx));
}

} // namespace themis
