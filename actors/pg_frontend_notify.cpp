/// Sessions and notifications for pg_frontend (issue 36): LISTEN / NOTIFY
/// / UNLISTEN and pg_notify() applied when the transaction commits,
/// NotificationResponse at ReadyForQuery and while idle, what
/// pg_stat_activity shows of this session, and the signals it may send
/// other sessions (pg_terminate_backend, pg_cancel_backend).

#include <algorithm>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/pg_frontend.hpp"
#include "actors/pg_sessions.hpp"
#include "actors/pg_sql_hooks.hpp"
#include "engine/sql/session_functions.hpp"

namespace themis {

using namespace themis::pgwire;

namespace {

constexpr size_t max_query_text = 1024; // track_activity_query_size

void put_i32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

/// NotificationResponse ('A').
void put_notification(std::string& out, const pg_notification& n) {
  out.push_back('A');
  put_i32(out, static_cast<uint32_t>(4 + 4 + n.channel.size() + 1 +
                                     n.payload.size() + 1));
  put_i32(out, static_cast<uint32_t>(n.pid));
  out += n.channel;
  out.push_back('\0');
  out += n.payload;
  out.push_back('\0');
}

} // namespace

class pg_frontend::notify_hooks : public sql::session_hooks {
public:
  explicit notify_hooks(pg_frontend& fe) : fe_(fe) {}

  void notify(const std::string& channel, const std::string& payload) override {
    if (sql::is_change_channel(channel, nullptr))
      throw sql::sql_error("42501", "channel \"" + channel +
                                      "\" carries change events: NOTIFY on "
                                      "it is refused");
    fe_.pending_.push_back({'N', channel, payload});
  }

  bool terminate_backend(int32_t pid) override {
    auto e = target(pid, "permission denied to terminate process");
    if (e)
      pg_sessions::terminate(*e);
    return e != nullptr;
  }

  bool cancel_backend(int32_t pid) override {
    auto e = target(pid, "permission denied to cancel query");
    if (e)
      pg_sessions::cancel(*e);
    return e != nullptr;
  }

  std::string activity_json() override {
    return fe_.sessions_ ? pg_activity_json(*fe_.sessions_, fe_.who_) : "[]";
  }

private:
  /// pg_signal_target, plus PostgreSQL's WARNING when there is no backend
  /// `pid` the caller can see.
  std::shared_ptr<pg_backend_entry> target(int32_t pid, const char* denied) {
    auto e = pg_signal_target(fe_.sessions_, fe_.who_, pid, denied);
    if (!e) {
      error_fields w;
      w.severity = "WARNING";
      w.sqlstate = "01000";
      w.message =
        "PID " + std::to_string(pid) + " is not a PostgreSQL backend process";
      fe_.session_.notice(w);
    }
    return e;
  }

  pg_frontend& fe_;
};

void pg_frontend::on_bad_startup(const std::string& why) {
  spdlog::info("pg {}: {}: closing the connection", opts_.session.backend_pid,
               why);
}

void pg_frontend::attach(pg_sessions& sessions,
                         std::shared_ptr<pg_backend_entry> me) {
  sessions_ = &sessions;
  me_ = std::move(me);
  hooks_ = std::make_shared<notify_hooks>(*this);
  sql::register_session_functions(db_, hooks_.get());
}

void pg_frontend::publish_identity() {
  if (!me_)
    return;
  std::lock_guard<std::mutex> g(me_->mtx);
  me_->user = info_.user;
  me_->principal = who_.user.empty() ? who_.via : who_.user;
  me_->tenant = who_.tenant;
  me_->admin = who_.is_admin();
  me_->database = info_.database;
  me_->application_name = info_.settings["application_name"];
  me_->state = "idle";
  me_->state_change_us = pg_sessions::now_us();
  me_->ready = true;
}

void pg_frontend::set_active(const std::string& query) {
  idle_since_.reset();
  if (!me_)
    return;
  auto now = pg_sessions::now_us();
  std::lock_guard<std::mutex> g(me_->mtx);
  me_->cancel = false; // an earlier statement's cancel is not this one's
  me_->timed_out = false;
  auto ms = statement_timeout_ms();
  me_->deadline_ns =
    ms ? std::chrono::steady_clock::now().time_since_epoch().count() +
           ms * 1000000
       : 0;
  me_->state = "active";
  me_->query.assign(query, 0, std::min(query.size(), max_query_text));
  me_->query_start_us = now;
  me_->state_change_us = now;
  if (tx_ == tx::idle)
    me_->xact_start_us = now;
}

bool pg_frontend::run_observed(portal& p, size_t max_rows, bool describe) {
  if (sql::is_notify_statement(p.st)) {
    pending_.push_back({p.st.tag == "LISTEN"   ? 'L'
                        : p.st.tag == "NOTIFY" ? 'N'
                                               : 'U',
                        p.st.var, p.st.val});
  }
  try {
    bool done = run(p, max_rows, describe);
    if (tx_ == tx::idle)
      // autocommit, COMMIT (a failed block's COMMIT answers ROLLBACK) or
      // ROLLBACK: the transaction's notifications go or are dropped
      apply_pending(p.tag != "ROLLBACK");
    return done;
  } catch (...) {
    if (tx_ == tx::idle)
      apply_pending(false);
    throw;
  }
}

void pg_frontend::apply_pending(bool commit) {
  if (pending_.empty())
    return;
  if (!commit || !sessions_) {
    pending_.clear();
    return;
  }
  std::vector<std::pair<std::string, std::string>> notes;
  for (auto& op : pending_) {
    switch (op.kind) {
      case 'L':
        sessions_->listen(info_.backend_pid, listen_scope(), op.channel);
        break;
      case 'U':
        sessions_->unlisten(info_.backend_pid, listen_scope(), op.channel);
        break;
      default: {
        // identical notifications of one transaction are folded into one
        std::pair<std::string, std::string> n{op.channel, op.payload};
        if (std::find(notes.begin(), notes.end(), n) == notes.end())
          notes.push_back(std::move(n));
      }
    }
  }
  pending_.clear();
  if (!notes.empty())
    sessions_->notify(info_.backend_pid, listen_scope(), notes);
}

void pg_frontend::deliver_notifications() {
  if (!me_)
    return;
  std::deque<pg_notification> q;
  uint64_t dropped = 0;
  {
    std::lock_guard<std::mutex> g(me_->mtx);
    if (me_->queue.empty() && !me_->dropped)
      return;
    q.swap(me_->queue);
    me_->queued_bytes = 0;
    dropped = me_->dropped;
    me_->dropped = 0;
  }
  if (dropped) {
    error_fields w;
    w.severity = "WARNING";
    w.sqlstate = "01000";
    w.message = std::to_string(dropped) +
                " notification(s) were dropped: this session's queue (" +
                std::to_string(pg_sessions::max_queued_bytes >> 10) +
                " KiB) was full";
    session_.notice(w);
  }
  for (auto& n : q)
    put_notification(session_.out(), n);
}

bool pg_frontend::terminating() const {
  return me_ && me_->terminate;
}

void pg_frontend::ready() {
  if (session_.closed())
    return;
  if (tx_ == tx::idle)
    deliver_notifications();
  idle_since_ = std::chrono::steady_clock::now();
  if (me_) {
    auto now = pg_sessions::now_us();
    std::lock_guard<std::mutex> g(me_->mtx);
    me_->cancel = false;
    me_->deadline_ns = 0;
    me_->state = tx_ == tx::idle    ? "idle"
                 : tx_ == tx::block ? "idle in transaction"
                                    : "idle in transaction (aborted)";
    me_->state_change_us = now;
    if (tx_ == tx::idle)
      me_->xact_start_us = 0;
    auto app = info_.settings.find("application_name");
    if (app != info_.settings.end() && app->second != me_->application_name)
      me_->application_name = app->second;
  }
  session_.query_done(status());
}

void pg_frontend::on_wake() {
  if (terminating()) {
    terminate("terminating connection due to administrator command");
    return;
  }
  if (session_.authenticated() && tx_ == tx::idle && !copy_) {
    deliver_notifications();
    session_.flush();
  }
}

} // namespace themis
