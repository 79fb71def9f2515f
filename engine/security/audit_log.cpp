#include "engine/security/audit_log.hpp"

#include <chrono>

namespace themis::engine {

audit_log::audit_log(const std::string& path, int busy_timeout_ms) :
  db_(path, false, busy_timeout_ms) {
  db_.exec("PRAGMA journal_mode=WAL");
  db_.exec("PRAGMA synchronous=NORMAL");
  db_.exec(R"sql(
    CREATE TABLE IF NOT EXISTS audit(
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      ts_ms INTEGER NOT NULL,
      action TEXT NOT NULL,
      outcome TEXT NOT NULL,
      protocol TEXT NOT NULL,
      user TEXT NOT NULL,
      tenant TEXT NOT NULL,
      remote TEXT NOT NULL,
      request_id TEXT NOT NULL,
      detail TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS audit_tenant ON audit(tenant, seq);
    CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  )sql");
}

bool audit_log::append(audit_event e) {
  if (e.ts_ms == 0)
    e.ts_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::lock_guard<std::mutex> g(mtx_);
  try {
    db_
      .prepare("INSERT INTO audit(ts_ms, action, outcome, protocol, user, "
               "tenant, remote, request_id, detail) "
               "VALUES(?,?,?,?,?,?,?,?,?)")
      .bind(1, e.ts_ms)
      .bind(2, e.action)
      .bind(3, e.outcome)
      .bind(4, e.protocol)
      .bind(5, e.user)
      .bind(6, e.tenant)
      .bind(7, e.remote)
      .bind(8, e.request_id)
      .bind(9, e.detail)
      .run();
    return true;
  } catch (const sqlite_error&) {
    ++failures_;
    return false;
  }
}

namespace {

audit_event read_event(stmt_ref& s) {
  audit_event e;
  e.seq = s.int64(0);
  e.ts_ms = s.int64(1);
  e.action = s.text(2);
  e.outcome = s.text(3);
  e.protocol = s.text(4);
  e.user = s.text(5);
  e.tenant = s.text(6);
  e.remote = s.text(7);
  e.request_id = s.text(8);
  e.detail = s.text(9);
  return e;
}

} // namespace

void audit_log::scan(const audit_filter& f,
                     const std::function<bool(const audit_event&)>& visit) {
  std::lock_guard<std::mutex> g(mtx_);
  // instr(lower()) rather than LIKE: the caller's text is no pattern
  auto s = db_.prepare(
    "SELECT seq, ts_ms, action, outcome, protocol, user, tenant, remote, "
    "request_id, detail FROM audit WHERE seq > ?1 AND (?2 OR tenant = ?3) "
    "AND ts_ms >= ?4 AND ts_ms <= ?5 "
    "AND (?6 = '' OR instr(lower(user), lower(?6)) > 0) "
    "AND (?7 = '' OR instr(lower(action), lower(?7)) > 0) "
    "AND (NOT ?8 OR outcome = 'ok') ORDER BY seq DESC");
  s.bind(1, f.after_seq)
    .bind(2, static_cast<int64_t>(f.all))
    .bind(3, f.tenant)
    .bind(4, f.from_ms)
    .bind(5, f.to_ms)
    .bind(6, f.user)
    .bind(7, f.action)
    .bind(8, static_cast<int64_t>(f.only_ok));
  while (s.step())
    if (!visit(read_event(s)))
      break;
}

std::vector<audit_event> audit_log::list(int64_t after_seq, size_t limit,
                                         const std::string& tenant, bool all,
                                         const std::string& action) {
  std::vector<audit_event> out;
  std::lock_guard<std::mutex> g(mtx_);
  auto s = db_.prepare(
    "SELECT seq, ts_ms, action, outcome, protocol, user, tenant, remote, "
    "request_id, detail FROM audit WHERE seq > ?1 AND (?2 OR tenant = ?3) "
    "AND (?4 = '' OR action = ?4 OR action LIKE ?4 || '.%') ORDER BY seq "
    "LIMIT ?5");
  s.bind(1, after_seq)
    .bind(2, static_cast<int64_t>(all))
    .bind(3, tenant)
    .bind(4, action)
    .bind(5, static_cast<int64_t>(limit));
  while (s.step())
    out.push_back(read_event(s));
  return out;
}

} // namespace themis::engine
