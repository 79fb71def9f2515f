#include "actors/ttl_sweeper.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <spdlog/spdlog.h>

#include "actors/cluster_node.hpp"
#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "engine/index_store.hpp"
#include "engine/sqlite_db.hpp"
#include "engine/store_schema.hpp"

namespace themis {

namespace {

constexpr size_t sweep_batch = 1000;

/// The removals of one sweep (empty: nothing has expired).
engine::write_batch expired_batch(const std::string& db_path) {
  engine::write_batch b;
  b.atomic = false; // a document changed meanwhile fails alone
  engine::sqlite_db db(db_path, true, 2000);
  auto now = std::chrono::duration<double>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  for (auto& d : engine::load_ttl_indexes(db.handle())) {
    if (b.ops.size() >= sweep_batch)
      break;
    for (auto& [key, rev] : engine::expired_keys(db.handle(), d, now,
                                                 sweep_batch - b.ops.size())) {
      engine::write_op op;
      op.kind = engine::op_kind::remove;
      op.collection = d.collection;
      op.key = key;
      op.if_match = rev;
      b.ops.push_back(std::move(op));
    }
  }
  return b;
}

caf::behavior ttl_sweeper(caf::event_based_actor* self,
                          std::shared_ptr<server_context> ctx) {
  engine::store_options so;
  so.data_dir = ctx->config.engine.data_dir;
  auto db_path = engine::database_path(so);
  self->delayed_send(self, std::chrono::seconds(1), tick_atom::value);
  return {
    [=](tick_atom) {
      auto again = [self](bool now) {
        self->delayed_send(self,
                           now ? std::chrono::milliseconds(10)
                               : std::chrono::milliseconds(1000),
                           tick_atom::value);
      };
      auto writer = registered(self->system(), store_writer_name);
      if (!writer || ctx->stopping.load())
        return again(false);
      if (!cluster_duty_allowed(*ctx, "ttl_sweep")) // issue 25
        return again(false);
      engine::write_batch b;
      try {
        b = expired_batch(db_path);
      } catch (const std::exception& e) {
        spdlog::warn("ttl sweep: {}", e.what());
        return again(false);
      }
      if (b.ops.empty())
        return again(false);
      bool full = b.ops.size() >= sweep_batch;
      self
        ->request(writer, std::chrono::seconds(60), write_atom::value,
                  std::move(b))
        .then(
          [=](engine::write_result& r) {
            size_t removed = 0;
            for (auto& x : r.results)
              removed += x.status == engine::op_status::ok;
            if (removed)
              spdlog::debug("ttl sweep: {} expired documents removed", removed);
            again(full && r.committed);
          },
          [=](caf::error&) { again(false); });
    },
  };
}

} // namespace

caf::actor spawn_ttl_sweeper(caf::actor_system& sys,
                             std::shared_ptr<server_context> ctx) {
  return sys.spawn(ttl_sweeper, std::move(ctx));
}

} // namespace themis
