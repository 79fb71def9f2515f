/// /api/v1/admin/… (issue 28): what an operator and themisctl use —
/// status, online backup, reload and drain. Global admins only: a
/// tenant's admin administers its keys, not the server.

#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "engine/backup.hpp"
#include "handlers/admin_state.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// The whole server's admin (no tenant, admin scope); 403 otherwise, 404
/// when the server has no operator state (tests of the router alone).
bool require_operator(route_context& ctx) {
  if (!require_global_admin(ctx))
    return false;
  if (!ctx.env.admin) {
    ctx.respond(error_response(404, "no operator routes on this server"));
    return false;
  }
  return true;
}

json render(const backup_status& b) {
  json j = {
    {"id", b.id.empty() ? json(nullptr) : json(b.id)},
    {"state", b.state},
    {"to", b.to},
    {"sequence", b.sequence},
    {"compacted_through", b.compacted_through},
    {"pages_done", b.pages_done},
    {"pages_total", b.pages_total},
    {"bytes", b.bytes},
    {"started_ms", b.started_ms},
    {"finished_ms", b.finished_ms ? json(b.finished_ms) : json(nullptr)}};
  j["progress"] = b.pages_total
                    ? static_cast<double>(b.pages_done) / b.pages_total
                    : (b.state == "completed" ? 1.0 : 0.0);
  if (!b.error.empty())
    j["error"] = b.error;
  return j;
}

std::string new_backup_id() {
  static constexpr char hex[] = "0123456789abcdef";
  std::random_device rd;
  std::string id(16, '0');
  for (auto& c : id)
    c = hex[rd() & 0xf];
  return id;
}

} // namespace

bool require_global_admin(route_context& ctx) {
  auto& who = ctx.req.who;
  if (who.is_admin() && who.tenant.empty())
    return true;
  auto r =
    error_response(403, "this needs the admin scope of the global namespace");
  r.set_header("WWW-Authenticate", "Bearer realm=\"themis\", "
                                   "error=\"insufficient_scope\", "
                                   "scope=\"admin\"");
  ctx.respond(std::move(r));
  return false;
}

void admin_status(route_context& ctx) {
  if (!require_operator(ctx))
    return;
  auto& m = ctx.env.metrics;
  auto& cfg = ctx.env.config;
  json listeners = json::array();
  for (auto& l : ctx.env.admin->listeners())
    listeners.push_back({{"name", l.name}, {"address", l.address}});
  json j = {{"status", m.draining.load() ? "draining" : "ok"},
            {"version", ctx.env.admin->version},
            {"uptime_seconds", static_cast<int64_t>(m.uptime_seconds())},
            {"data_dir", cfg.engine.data_dir},
            {"last_sequence", m.engine_last_sequence.load()},
            {"auth_required", cfg.auth.required},
            {"api_keys", cfg.auth.api_keys},
            {"listeners", listeners},
            {"backup", render(ctx.env.admin->backup())}};
  ctx.respond(json_response(200, dump(j)));
}

void admin_users(route_context& ctx) {
  if (!require_operator(ctx))
    return;
  if (!ctx.env.admin->users)
    return ctx.respond(error_response(503, "not available"));
  ctx.respond(json_response(200, ctx.env.admin->users()));
}

void admin_backup_get(route_context& ctx) {
  if (!require_operator(ctx))
    return;
  ctx.respond(json_response(200, dump(render(ctx.env.admin->backup()))));
}

void admin_backup_start(route_context& ctx) {
  if (!require_operator(ctx))
    return;
  json body;
  if (auto bad = parse_json_body(ctx.req.body, body))
    return ctx.respond(std::move(*bad));
  if (body.is_discarded() || !body.is_object() || !body.contains("to") ||
      !body["to"].is_string())
    return ctx.respond(
      error_response(400, "expected {\"to\": \"/absolute/new/or/empty/dir\"}"));
  bool wait = true;
  if (body.contains("wait")) {
    if (!body["wait"].is_boolean())
      return ctx.respond(error_response(400, "wait must be true or false"));
    wait = body["wait"].get<bool>();
  }
  auto to = body["to"].get<std::string>();
  auto& data_dir = ctx.env.config.engine.data_dir;
  if (auto bad = engine::check_backup_target(to, data_dir); !bad.empty())
    return ctx.respond(error_response(400, bad));
  auto* st = ctx.env.admin;
  backup_status fresh;
  fresh.id = new_backup_id();
  fresh.to = to;
  fresh.started_ms = unix_now_ms();
  if (!st->begin_backup(fresh)) {
    auto r = error_response(409, "a backup is running; GET "
                                 "/api/v1/admin/backup shows its progress");
    r.set_header("Retry-After", "1");
    return ctx.respond(std::move(r));
  }
  audit_event_of(ctx, "backup.start", "ok", "backup " + fresh.id + " to " + to);
  engine::backup_options opts;
  opts.data_dir = data_dir;
  opts.to = to;
  opts.busy_timeout_ms =
    static_cast<int>(ctx.env.config.engine.busy_timeout_ms);
  opts.version = st->version;
  auto snapshot = st->mqtt_snapshot;
  // On a worker thread (a detached actor): the copy takes as long as the
  // stores are large, and never holds a scheduler thread or the writer.
  auto work = [st, opts, snapshot](blocking_writer& w) mutable {
    opts.stop = w.stop_flag();
    opts.progress = [st](uint64_t done, uint64_t total) {
      st->update_backup([&](backup_status& b) {
        b.pages_done = done;
        b.pages_total = total;
      });
    };
    opts.on_snapshot = [st](uint64_t seq) {
      st->update_backup([&](backup_status& b) { b.sequence = seq; });
    };
    int status = 200;
    try {
      if (snapshot)
        opts.mqtt_state = snapshot();
      auto res = engine::backup_data_dir(opts);
      st->update_backup([&](backup_status& b) {
        b.state = "completed";
        b.sequence = res.sequence;
        b.compacted_through = res.compacted_through;
        b.bytes = res.bytes;
        b.pages_done = b.pages_total;
        b.finished_ms = res.finished_ms;
      });
    } catch (const std::invalid_argument& e) {
      status = 400;
      st->update_backup([&](backup_status& b) {
        b.state = "failed";
        b.error = e.what();
        b.finished_ms = unix_now_ms();
      });
    } catch (const std::exception& e) {
      status = 500;
      st->update_backup([&](backup_status& b) {
        b.state = "failed";
        b.error = e.what();
        b.finished_ms = unix_now_ms();
      });
    }
    return json_response(status, dump(render(st->backup())));
  };
  if (wait)
    return ctx.work.run_blocking(std::move(work), ctx.respond);
  ctx.work.run_blocking(std::move(work), [](api_response) {});
  auto r = json_response(202, dump(render(st->backup())));
  r.set_header("Location", "/api/v1/admin/backup");
  ctx.respond(std::move(r));
}

void admin_reload(route_context& ctx) {
  if (!require_operator(ctx))
    return;
  auto fn = ctx.env.admin->reload;
  if (!fn)
    return ctx.respond(error_response(501, "reload is not available"));
  audit_event_of(ctx, "server.reload", "ok", "");
  // the configuration file is read: on a worker, off the scheduler
  ctx.work.run_blocking(
    [fn](blocking_writer&) {
      auto r = fn();
      json j = {{"applied", r.applied},
                {"changed", r.changed},
                {"restart_needed", r.restart}};
      if (!r.applied) {
        j["error"] = true;
        j["message"] = "configuration not reloaded (the running one "
                       "stays): " +
                       r.error;
        j["status_code"] = 422;
      }
      return json_response(r.applied ? 200 : 422, dump(j));
    },
    ctx.respond);
}

void admin_drain(route_context& ctx) {
  if (!require_operator(ctx))
    return;
  if (!ctx.env.admin->request_drain)
    return ctx.respond(error_response(501, "drain is not available"));
  audit_event_of(ctx, "server.drain", "ok", "");
  ctx.env.admin->request_drain();
  ctx.respond(json_response(
    202, dump({{"drain", "requested"},
               {"drain_timeout_ms", ctx.env.config.server.drain_timeout_ms}})));
}

} // namespace themis
