#include "engine/jobs/job_store.hpp"

namespace themis::engine {

namespace {

constexpr const char* columns =
  "id, seq, status, query, bind_vars, idempotency_key, ttl_s, created_ms, "
  "started_ms, finished_ms, expires_ms, rows_scanned, rows_produced, "
  "result_count, writes, error, error_kind, expired, owner_user, owner_tenant";

} // namespace

std::string job_store::path_in(const std::string& data_dir) {
  auto dir = data_dir.empty() ? std::string(".") : data_dir;
  if (dir.back() != '/')
    dir.push_back('/');
  return dir + "jobs.db";
}

job_store::job_store(const std::string& path, int busy_timeout_ms) :
  db_(path, false, busy_timeout_ms) {
  db_.exec("PRAGMA journal_mode=WAL");
  // Job state is re-derivable (a lost update at power loss leaves a job
  // running → failed/interrupted on restart); NORMAL keeps page appends
  // cheap.
  db_.exec("PRAGMA synchronous=NORMAL");
  db_.exec(R"sql(
    CREATE TABLE IF NOT EXISTS jobs(
      id TEXT PRIMARY KEY,
      seq INTEGER NOT NULL UNIQUE,
      status TEXT NOT NULL,
      query TEXT NOT NULL,
      bind_vars TEXT NOT NULL,
      idempotency_key TEXT,
      ttl_s INTEGER NOT NULL,
      created_ms INTEGER NOT NULL,
      started_ms INTEGER NOT NULL DEFAULT 0,
      finished_ms INTEGER NOT NULL DEFAULT 0,
      expires_ms INTEGER NOT NULL DEFAULT 0,
      rows_scanned INTEGER NOT NULL DEFAULT 0,
      rows_produced INTEGER NOT NULL DEFAULT 0,
      result_count INTEGER NOT NULL DEFAULT 0,
      writes INTEGER NOT NULL DEFAULT 0,
      error TEXT NOT NULL DEFAULT '',
      error_kind TEXT NOT NULL DEFAULT '',
      expired INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS job_rows(
      job_id TEXT NOT NULL,
      idx INTEGER NOT NULL,
      row TEXT NOT NULL,
      PRIMARY KEY(job_id, idx)) WITHOUT ROWID;
  )sql");
  // jobs.db written before owners existed: add the columns (their jobs
  // belong to the global namespace)
  bool has_owner = false;
  {
    auto s = db_.prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE "
                         "name = 'owner_tenant'");
    has_owner = s.step();
  }
  if (!has_owner)
    db_.exec("ALTER TABLE jobs ADD COLUMN owner_user TEXT NOT NULL DEFAULT '';"
             "ALTER TABLE jobs ADD COLUMN owner_tenant TEXT NOT NULL "
             "DEFAULT ''");
}

void job_store::insert(const job_record& r) {
  db_
    .prepare("INSERT INTO jobs(id, seq, status, query, bind_vars, "
             "idempotency_key, ttl_s, created_ms, owner_user, owner_tenant) "
             "VALUES(?,?,?,?,?,?,?,?,?,?)")
    .bind(1, r.id)
    .bind(2, r.seq)
    .bind(3, r.status)
    .bind(4, r.query)
    .bind(5, r.bind_vars)
    .bind(6, r.idempotency_key)
    .bind(7, r.ttl_s)
    .bind(8, r.created_ms)
    .bind(9, r.owner_user)
    .bind(10, r.owner_tenant)
    .run();
}

void job_store::update(const job_record& r) {
  db_
    .prepare("UPDATE jobs SET status=?, started_ms=?, finished_ms=?, "
             "expires_ms=?, rows_scanned=?, rows_produced=?, result_count=?, "
             "writes=?, error=?, error_kind=?, expired=? WHERE id=?")
    .bind(1, r.status)
    .bind(2, r.started_ms)
    .bind(3, r.finished_ms)
    .bind(4, r.expires_ms)
    .bind(5, r.rows_scanned)
    .bind(6, r.rows_produced)
    .bind(7, r.result_count)
    .bind(8, r.writes)
    .bind(9, r.error)
    .bind(10, r.error_kind)
    .bind(11, int64_t{r.expired ? 1 : 0})
    .bind(12, r.id)
    .run();
}

job_record job_store::read(stmt_ref& s) {
  job_record r;
  r.id = s.text(0);
  r.seq = s.int64(1);
  r.status = s.text(2);
  r.query = s.text(3);
  r.bind_vars = s.text(4);
  r.idempotency_key = s.text(5);
  r.ttl_s = s.int64(6);
  r.created_ms = s.int64(7);
  r.started_ms = s.int64(8);
  r.finished_ms = s.int64(9);
  r.expires_ms = s.int64(10);
  r.rows_scanned = s.int64(11);
  r.rows_produced = s.int64(12);
  r.result_count = s.int64(13);
  r.writes = s.int64(14);
  r.error = s.text(15);
  r.error_kind = s.text(16);
  r.expired = s.int64(17) != 0;
  r.owner_user = s.text(18);
  r.owner_tenant = s.text(19);
  return r;
}

std::optional<job_record> job_store::get(const std::string& id) {
  static const std::string sql =
    std::string("SELECT ") + columns + " FROM jobs WHERE id=?";
  auto s = db_.prepare(sql.c_str());
  s.bind(1, id);
  if (!s.step())
    return std::nullopt;
  return read(s);
}

std::vector<job_record> job_store::load_all() {
  static const std::string sql =
    std::string("SELECT ") + columns + " FROM jobs ORDER BY seq";
  auto s = db_.prepare(sql.c_str());
  std::vector<job_record> out;
  while (s.step())
    out.push_back(read(s));
  return out;
}

std::vector<job_record> job_store::list(const std::string& status,
                                        int64_t after_seq, size_t limit) {
  static const std::string sql =
    std::string("SELECT ") + columns +
    " FROM jobs WHERE seq > ? AND (?2 = '' OR status = ?2) ORDER BY seq "
    "LIMIT ?";
  auto s = db_.prepare(sql.c_str());
  s.bind(1, after_seq).bind(2, status).bind(3, static_cast<int64_t>(limit));
  std::vector<job_record> out;
  while (s.step())
    out.push_back(read(s));
  return out;
}

void job_store::append_rows(const std::string& id, int64_t first,
                            const std::vector<std::string>& rows) {
  if (rows.empty())
    return;
  db_.exec("BEGIN IMMEDIATE");
  try {
    for (size_t i = 0; i < rows.size(); ++i)
      db_.prepare("INSERT INTO job_rows(job_id, idx, row) VALUES(?,?,?)")
        .bind(1, id)
        .bind(2, first + static_cast<int64_t>(i))
        .bind(3, rows[i])
        .run();
    db_.exec("COMMIT");
  } catch (...) {
    db_.exec("ROLLBACK");
    throw;
  }
}

std::vector<std::string> job_store::rows(const std::string& id, int64_t from,
                                         size_t limit) {
  auto s = db_.prepare(
    "SELECT row FROM job_rows WHERE job_id=? AND idx>=? ORDER BY idx LIMIT ?");
  s.bind(1, id).bind(2, from).bind(3, static_cast<int64_t>(limit));
  std::vector<std::string> out;
  while (s.step())
    out.emplace_back(s.text(0));
  return out;
}

void job_store::delete_rows(const std::string& id) {
  db_.prepare("DELETE FROM job_rows WHERE job_id=?").bind(1, id).run();
}

void job_store::delete_job(const std::string& id) {
  delete_rows(id);
  db_.prepare("DELETE FROM jobs WHERE id=?").bind(1, id).run();
}

} // namespace themis::engine
