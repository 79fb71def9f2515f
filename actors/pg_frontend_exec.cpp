/// Running statements for pg_frontend: reads, writes, the transaction
/// block and session statements, and the rows on the wire.

#include <algorithm>

#include "actors/pg_frontend.hpp"
#include "actors/pg_sessions.hpp"
#include "actors/pg_settings.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_udf.hpp"
#include "engine/sql/sql_views.hpp"
#include "handlers/metrics_registry.hpp"
#include "tracing/tracer.hpp"

namespace themis {

using namespace themis::pgwire;
using sql::stmt_kind;

namespace {

int16_t format_of(const std::vector<int16_t>& f, size_t i) {
  if (f.empty())
    return 0;
  return f.size() == 1 ? f[0] : (i < f.size() ? f[i] : 0);
}

int64_t steady_now_ns() {
  return std::chrono::steady_clock::now().time_since_epoch().count();
}

/// The stop check of a statement the store writer runs (issue 36): the
/// session's cancel and terminate signals and its statement_timeout, and
/// while it waits for a writer another session holds its lock_timeout
/// (from now). Only this statement's: the session clears its signals when
/// a statement starts and ends.
std::function<sql::stop_reason(bool)>
stop_check(const std::shared_ptr<pg_backend_entry>& me,
           int64_t lock_timeout_ms) {
  if (!me)
    return {};
  int64_t lock_deadline =
    lock_timeout_ms > 0 ? steady_now_ns() + lock_timeout_ms * 1000000 : 0;
  return [me, lock_deadline](bool waiting) {
    if (me->cancel.load() || me->terminate.load())
      return sql::stop_reason::cancel;
    auto now = steady_now_ns();
    auto d = me->deadline_ns.load(std::memory_order_relaxed);
    if (d && now > d) {
      me->timed_out = true;
      return sql::stop_reason::statement_timeout;
    }
    if (waiting && lock_deadline && now > lock_deadline)
      return sql::stop_reason::lock_timeout;
    return sql::stop_reason::none;
  };
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

} // namespace

void pg_frontend::send_row_description(const std::vector<sql::column>& cols,
                                       const std::vector<int16_t>& formats) {
  std::vector<field_desc> f;
  for (size_t i = 0; i < cols.size(); ++i) {
    field_desc d;
    d.name = cols[i].name;
    d.table_oid = cols[i].table_oid;
    d.column = cols[i].attnum;
    d.type_oid = cols[i].type_oid;
    d.type_len = sql::type_len(cols[i].type_oid);
    d.type_mod = cols[i].typmod; // numeric(12,2), varchar(n) (issue 36)
    d.format = format_of(formats, i);
    f.push_back(std::move(d));
  }
  put_row_description(session_.out(), f);
}

void pg_frontend::send_row(const sql::row& r,
                           const std::vector<sql::column>& cols,
                           const std::vector<int16_t>& formats) {
  std::vector<std::optional<std::string>> vals;
  vals.reserve(r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i].is_null()) {
      vals.emplace_back();
      continue;
    }
    auto type = i < cols.size() ? cols[i].type_oid : sql::oid::text;
    vals.emplace_back(format_of(formats, i) == 1 ? sql::to_binary(r[i], type)
                                                 : sql::to_text(r[i], type));
  }
  put_data_row(session_.out(), vals);
  if (session_.out().size() > (64u << 10))
    session_.flush();
}

sql_tx_reply pg_frontend::tx_call(sql_tx_request::op what,
                                  std::shared_ptr<sql::write_job> job,
                                  std::string name) {
  sql_tx_request req;
  req.session = opts_.session_id;
  req.what = what;
  req.job = std::move(job);
  req.name = std::move(name);
  req.expect_open = pinned_;
  auto lock = info_.settings.find("lock_timeout");
  req.stop = stop_check(me_, lock == info_.settings.end()
                               ? 0
                               : pg_settings::timeout_ms(lock->second));
  if (req.job)
    req.job->stop = req.stop;
  // statement_timeout: a request still queued at the deadline is dropped
  // by the writer (57014)
  int64_t deadline = me_ ? me_->deadline_ns.load() : 0;
  req.deadline_ns = deadline;
  auto r = port_.tx(std::move(req));
  if (deadline && r.sqlstate == "57014" &&
      std::chrono::steady_clock::now().time_since_epoch().count() > deadline)
    me_->timed_out = true;
  pinned_ = r.open;
  return r;
}

void pg_frontend::run_write(portal& p) {
  auto job = std::make_shared<sql::write_job>();
  job->st = p.st;
  job->param_rows.push_back(p.params);
  bool in_tx = tx_ == tx::block;
  // issue 36: the writes of an extended-query batch commit together at
  // Sync (the writer holds them until then); a write that is the batch's
  // last message before Sync commits at once and joins the group commit
  if (!in_tx && (pinned_ || do_depth_ > 0 ||
                 (executing_ && !copy_ && session_.next_message_type() != 'S')))
    in_tx = true;
  if (in_tx) {
    auto r = tx_call(sql_tx_request::op::run, job);
    if (!r.sqlstate.empty())
      throw sql::sql_error(r.sqlstate, r.message);
  } else {
    auto lock = info_.settings.find("lock_timeout");
    job->stop = stop_check(me_, lock == info_.settings.end()
                                  ? 0
                                  : pg_settings::timeout_ms(lock->second));
    auto r = port_.write(job);
    if (r.overloaded)
      throw sql::sql_error("53300", "the store is overloaded, retry later");
    if (!job->sqlstate.empty())
      throw sql::sql_error(job->sqlstate, job->message, job->position);
    if (!r.committed)
      throw sql::sql_error("XX000",
                           r.error.empty() ? "the write failed" : r.error);
  }
  auto& res = job->result;
  if (!res.notice.empty()) {
    error_fields n;
    n.severity = "NOTICE";
    n.sqlstate = "42P07";
    n.message = shown(res.notice);
    session_.notice(n);
  }
  if (res.schema_changed && in_tx) {
    refresh_catalog();
    cat_overlay_ = true;
    // statements prepared against this overlay must not match any real
    // epoch later
    cat_.epoch = ~uint64_t{0} - ++overlay_generation_;
    switch (p.st.kind) {
      case stmt_kind::create_table:
      case stmt_kind::create_index:
      case stmt_kind::alter_table:
        cat_.put(p.st.def);
        break;
      case stmt_kind::drop_table:
        for (auto& n : p.st.names)
          cat_.erase(n);
        break;
      case stmt_kind::rename_table:
        cat_.erase(p.st.table);
        cat_.put(p.st.def);
        break;
      case stmt_kind::create_type:
      case stmt_kind::alter_type:
        cat_.put_enum(p.st.enum_type);
        break;
      case stmt_kind::drop_type:
        for (auto& n : p.st.names)
          cat_.erase_enum(n);
        break;
      case stmt_kind::function_ddl: // issue 36 (sql_udf.cpp)
        sql::apply_function_ddl(cat_, p.st);
        break;
      case stmt_kind::sequence_ddl: // issue 36 (translate_sequence_ddl.cpp)
        for (auto& n : p.st.names)
          cat_.erase_sequence(n);
        for (auto& s : p.st.sequences)
          cat_.put_sequence(s);
        break;
      default:
        break;
    }
    for (auto& other : p.st.other_defs) // foreign keys that followed
      cat_.put(other);
    sql::apply_view_changes(cat_, p.st); // issue 36 (sql_views.hpp)
  }
  p.rows = std::move(res.rows);
  auto n = std::to_string(res.affected);
  switch (p.st.kind) {
    case stmt_kind::insert:
      p.tag = "INSERT 0 " + n;
      break;
    case stmt_kind::update:
      p.tag = "UPDATE " + n;
      break;
    case stmt_kind::remove:
      p.tag = "DELETE " + n;
      break;
    case stmt_kind::copy_from:
      p.tag = "COPY " + n;
      break;
    case stmt_kind::create_table: // CREATE TABLE AS: SELECT <rows> (issue 36)
      p.tag = p.st.tag == "SELECT" ? "SELECT " + n : p.st.tag;
      break;
    default:
      p.tag = p.st.tag;
  }
}

void pg_frontend::run_tx_statement(portal& p) {
  auto warn = [&](const char* state, const char* msg) {
    error_fields w;
    w.severity = "WARNING";
    w.sqlstate = state;
    w.message = msg;
    session_.notice(w);
  };
  auto end_tx = [&](bool commit) {
    close_transaction_cursors();
    bool was_open = tx_ != tx::idle;
    if (was_open)
      count_transaction(commit);
    tx_ = tx::idle;
    drop_overlay();
    end_local_settings();
    snapshot_settle(); // the block's read snapshot ends with it (issue 36)
    // the writer is told even if we think it holds nothing (a timed-out
    // request may have opened the transaction later): a no-op then
    if (pinned_ || was_open) {
      auto r = tx_call(commit ? sql_tx_request::op::commit
                              : sql_tx_request::op::rollback);
      if (!r.sqlstate.empty())
        throw sql::sql_error(r.sqlstate, r.message);
    }
  };
  p.tag = p.st.tag;
  switch (p.st.kind) {
    case stmt_kind::begin:
      if (tx_ != tx::idle) {
        warn("25001", "there is already a transaction in progress");
      } else {
        tx_ = tx::block;
        tx_started_ = std::chrono::steady_clock::now();
        if (!p.st.val.empty())
          set_setting("transaction_isolation", p.st.val, true);
      }
      return;
    case stmt_kind::commit:
      if (tx_ == tx::idle)
        warn("25P01", "there is no transaction in progress");
      if (tx_ == tx::failed) {
        p.tag = "ROLLBACK";
        end_tx(false);
        return;
      }
      end_tx(true);
      return;
    case stmt_kind::rollback:
      if (tx_ == tx::idle)
        warn("25P01", "there is no transaction in progress");
      end_tx(false);
      return;
    case stmt_kind::savepoint:
    case stmt_kind::release:
    case stmt_kind::rollback_to: {
      if (tx_ == tx::idle)
        throw sql::sql_error("25P01", p.st.tag + " can only be used in "
                                                 "transaction blocks");
      if (!pinned_ && p.st.kind != stmt_kind::savepoint)
        throw sql::sql_error("3B001",
                             "savepoint \"" + p.st.var + "\" does not exist");
      auto op =
        p.st.kind == stmt_kind::savepoint ? sql_tx_request::op::savepoint
        : p.st.kind == stmt_kind::release ? sql_tx_request::op::release
                                          : sql_tx_request::op::rollback_to;
      auto r = tx_call(op, nullptr, p.st.var);
      if (!r.sqlstate.empty())
        throw sql::sql_error(r.sqlstate, r.message);
      if (p.st.kind == stmt_kind::rollback_to) {
        tx_ = tx::block;
        drop_overlay(); // conservative: reload at the next statement
      }
      return;
    }
    default:
      return;
  }
}

void pg_frontend::run_session_statement(portal& p) {
  auto& st = p.st;
  p.tag = st.tag;
  auto var = lower(st.var);
  switch (st.kind) {
    case stmt_kind::set: {
      if (var == "transaction" || var == "session characteristics")
        return;
      if (var == "role" || var == "session_authorization") {
        // the principal was fixed at authentication: naming any other
        // role is refused, not a way into another tenant's tables
        auto v = st.val;
        if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'')
          v = v.substr(1, v.size() - 2);
        if (v != info_.user && lower(v) != "none" && lower(v) != "default")
          throw sql::sql_error("42501",
                               "permission denied to set " +
                                 std::string(var == "role" ? "role"
                                                           : "session "
                                                             "authorization") +
                                 " \"" + v + "\"");
        return;
      }
      set_setting(st.var, st.val, st.local);
      return;
    }
    case stmt_kind::reset:
      reset_setting(var);
      return;
    case stmt_kind::discard:
      if (discard_temp(st.tag)) // DISCARD ALL / TEMP (issue 36)
        return;
      reset_setting("all");
      statements_.clear();
      return;
    case stmt_kind::show: {
      if (var == "all") {
        p.st.columns = {{"name", sql::oid::text},
                        {"setting", sql::oid::text},
                        {"description", sql::oid::text}};
        for (auto& [k, v] : info_.settings)
          p.rows.push_back({sql::value::of_text(k), sql::value::of_text(v),
                            sql::value::of_text("")});
      } else {
        auto it = info_.settings.find(var);
        if (it == info_.settings.end())
          throw sql::sql_error("42704", "unrecognized configuration "
                                        "parameter \"" +
                                          st.var + "\"");
        // the column as translation named it (Describe announced it)
        if (p.st.columns.size() != 1)
          p.st.columns = {{var, sql::oid::text}};
        p.rows.push_back({sql::value::of_text(it->second)});
      }
      p.st.returns_rows = true;
      return;
    }
    default:
      return;
  }
}

void pg_frontend::drop_overlay() {
  if (cat_overlay_) {
    cat_overlay_ = false;
    cat_.epoch = 0; // reload from the store at the next statement
  }
}

void pg_frontend::close_transaction_cursors() {
  for (auto it = portals_.begin(); it != portals_.end();)
    if (it->second->sql_cursor && !it->second->hold)
      it = portals_.erase(it);
    else
      ++it;
}

void pg_frontend::run_cursor_statement(portal& p) {
  auto& name = p.st.var;
  p.tag = p.st.tag;
  if (p.st.kind == stmt_kind::declare_cursor) {
    if (tx_ == tx::idle && !p.st.hold)
      throw sql::sql_error("25P01", "DECLARE CURSOR can only be used in "
                                    "transaction blocks");
    if (portals_.count(name))
      throw sql::sql_error("42P03", "cursor \"" + name + "\" already exists");
    auto c = std::make_unique<portal>();
    c->st = p.st;
    c->st.kind = stmt_kind::select;
    c->st.returns_rows = true;
    c->params = p.params;
    c->sql_cursor = true;
    c->hold = p.st.hold;
    start(*c);
    portals_[name] = std::move(c);
    return;
  }
  if (p.st.kind == stmt_kind::close_cursor) {
    if (p.st.local) {
      for (auto it = portals_.begin(); it != portals_.end();)
        it = it->second->sql_cursor ? portals_.erase(it) : std::next(it);
      return;
    }
    auto it = portals_.find(name);
    if (it == portals_.end() || !it->second->sql_cursor)
      throw sql::sql_error("34000", "cursor \"" + name + "\" does not exist");
    portals_.erase(it);
    return;
  }
  auto it = portals_.find(name);
  if (it == portals_.end() || !it->second->sql_cursor)
    throw sql::sql_error("34000", "cursor \"" + name + "\" does not exist");
  auto& c = *it->second;
  p.st.columns = c.st.columns;
  bool move = p.st.local;
  size_t n = 0;
  auto take = [&](sql::row& r) {
    if (!move)
      p.rows.push_back(r);
    ++n;
  };
  if (p.st.count == 0) {
    p.tag = (move ? "MOVE " : "FETCH ") + std::string("0");
    return;
  }
  auto limit = p.st.count < 0 ? 0 : static_cast<size_t>(p.st.count);
  if (c.cursor) {
    c.cursor->fetch(limit, take);
  } else {
    size_t end =
      limit ? std::min(c.rows.size(), c.next_row + limit) : c.rows.size();
    for (; c.next_row < end; ++c.next_row)
      take(c.rows[c.next_row]);
  }
  p.tag = (move ? "MOVE " : "FETCH ") + std::to_string(n);
}

namespace {

pg_statement_kind kind_of(stmt_kind k) {
  switch (k) {
    case stmt_kind::select:
      return pg_statement_kind::select;
    case stmt_kind::insert:
      return pg_statement_kind::insert;
    case stmt_kind::update:
      return pg_statement_kind::update;
    case stmt_kind::remove:
      return pg_statement_kind::delete_;
    case stmt_kind::create_table:
    case stmt_kind::drop_table:
    case stmt_kind::create_index:
    case stmt_kind::drop_index:
    case stmt_kind::alter_table:
    case stmt_kind::truncate:
      return pg_statement_kind::ddl;
    case stmt_kind::begin:
    case stmt_kind::commit:
    case stmt_kind::rollback:
    case stmt_kind::savepoint:
    case stmt_kind::release:
    case stmt_kind::rollback_to:
      return pg_statement_kind::transaction;
    case stmt_kind::copy_from:
    case stmt_kind::copy_to:
      return pg_statement_kind::copy;
    case stmt_kind::declare_cursor:
    case stmt_kind::fetch:
    case stmt_kind::close_cursor:
      return pg_statement_kind::cursor;
    case stmt_kind::set:
    case stmt_kind::reset:
    case stmt_kind::show:
    case stmt_kind::discard:
      return pg_statement_kind::session;
    default:
      return pg_statement_kind::other;
  }
}

} // namespace

void pg_frontend::start(portal& p) {
  p.executed = true;
  if (opts_.metrics)
    opts_.metrics->record_pg_statement(kind_of(p.st.kind));
  authorize(p.st);
  check_storage(p.st);
  switch (p.st.kind) {
    case stmt_kind::select:
      if (p.st.writes) { // nextval/setval (issue 36): the writer runs it
        run_write(p);
        return;
      }
      // inside a transaction, FOR UPDATE reads on the writer, which holds
      // every other writer off until COMMIT (the row lock, coarsely)
      if (pinned_ || (p.st.locking && tx_ == tx::block)) {
        auto job = std::make_shared<sql::write_job>();
        job->st = p.st;
        job->param_rows.push_back(p.params);
        auto r = tx_call(sql_tx_request::op::run, job);
        if (!r.sqlstate.empty())
          throw sql::sql_error(r.sqlstate, r.message);
        p.rows = std::move(job->result.rows);
      } else {
        // prepared statements reuse compiled SQLite statements; a simple
        // query's text carries its literals, so caching it would only churn
        p.cursor =
          p.stmt ? std::make_unique<sql::query_cursor>(*stmts_, db_, p.st.sql,
                                                       p.params)
                 : std::make_unique<sql::query_cursor>(db_, p.st.sql, p.params);
      }
      return;
    case stmt_kind::begin:
    case stmt_kind::commit:
    case stmt_kind::rollback:
    case stmt_kind::savepoint:
    case stmt_kind::release:
    case stmt_kind::rollback_to:
      run_tx_statement(p);
      return;
    case stmt_kind::set:
    case stmt_kind::reset:
    case stmt_kind::show:
    case stmt_kind::discard:
      run_session_statement(p);
      return;
    case stmt_kind::noop:
      if (p.st.needs_block && tx_ == tx::idle) // LOCK TABLE (issue 36)
        throw sql::sql_error("25P01", p.st.tag + " can only be used in "
                                                 "transaction blocks");
      p.tag = p.st.tag;
      if (!p.st.notice.empty()) { // "… already exists, skipping"
        error_fields n;
        n.severity = "NOTICE";
        n.sqlstate = "00000";
        n.message = p.st.notice;
        session_.notice(n);
      }
      return;
    case stmt_kind::declare_cursor:
    case stmt_kind::fetch:
    case stmt_kind::close_cursor:
      run_cursor_statement(p);
      return;
    case stmt_kind::copy_from:
      if (implicit_open()) // its rows would wait for the writer we hold
        throw sql::sql_error("0A000",
                             "COPY FROM after a write in the same "
                             "extended-query batch is not supported: send "
                             "Sync first or use BEGIN");
      start_copy_in(p);
      return;
    case stmt_kind::copy_to:
      run_copy_out(p);
      return;
    case stmt_kind::do_block: // issue 36 (pg_frontend_do.cpp)
      run_do_block(p);
      return;
    case stmt_kind::prepare:
      run_prepare(p);
      return;
    case stmt_kind::execute:
      run_execute(p);
      return;
    case stmt_kind::deallocate:
      run_deallocate(p);
      return;
    case stmt_kind::database_ddl: // issue 36 (pg_frontend_database.cpp)
      run_database_statement(p);
      return;
    default:
      run_write(p);
  }
}

/// A server span per statement execution (OpenTelemetry's database
/// conventions); PostgreSQL's protocol carries no trace context, so each
/// statement starts its own trace.
bool pg_frontend::run(portal& p, size_t max_rows, bool describe) {
  try {
    return run_traced(p, max_rows, describe);
  } catch (const sql::sql_error& e) {
    // the progress handler stopped the statement at its deadline
    if (me_ && me_->timed_out.load() && !me_->cancel.load() &&
        !me_->terminate.load())
      throw sql::sql_error("57014",
                           "canceling statement due to statement timeout");
    throw;
  }
}

bool pg_frontend::run_traced(portal& p, size_t max_rows, bool describe) {
  auto& tracer = tracing::tracer::global();
  if (!tracer.enabled())
    return run_portal(p, max_rows, describe);
  auto op = p.st.tag.substr(0, p.st.tag.find(' '));
  auto sp =
    tracer.start_span("pg " + (op.empty() ? std::string("statement") : op),
                      tracing::span_kind::server);
  sp.set("db.system", std::string("postgresql"));
  sp.set("db.namespace", opts_.database);
  sp.set("db.operation.name", op);
  sp.set("db.user", who_.user.empty() ? who_.via : who_.user);
  if (!who_.tenant.empty())
    sp.set("themis.tenant", who_.tenant);
  try {
    return run_portal(p, max_rows, describe);
  } catch (const sql::sql_error& e) {
    sp.set("db.response.status_code", e.sqlstate());
    sp.set_error(e.what());
    throw;
  }
}

bool pg_frontend::run_portal(portal& p, size_t max_rows, bool describe) {
  bool first = !p.executed;
  if (first) {
    start(p);
    for (auto& c : p.st.set_configs)
      set_setting(c.name, c.value, c.local);
    if (copy_ || p.st.kind == stmt_kind::copy_to)
      return true;
    if (describe && p.st.returns_rows)
      send_row_description(p.st.columns, p.formats);
  }
  if (p.cursor) {
    bool more = p.cursor->fetch(
      max_rows, [&](sql::row& r) { send_row(r, p.st.columns, p.formats); });
    if (more) {
      put_portal_suspended(session_.out());
      return false;
    }
    put_command_complete(session_.out(),
                         "SELECT " + std::to_string(p.cursor->fetched()));
    return true;
  }
  if (p.st.returns_rows) {
    size_t end =
      max_rows ? std::min(p.rows.size(), p.next_row + max_rows) : p.rows.size();
    for (; p.next_row < end; ++p.next_row)
      send_row(p.rows[p.next_row], p.st.columns, p.formats);
    if (p.next_row < p.rows.size()) {
      put_portal_suspended(session_.out());
      return false;
    }
    if (p.st.kind == stmt_kind::select)
      p.tag = "SELECT " + std::to_string(p.rows.size());
  }
  put_command_complete(session_.out(), p.tag);
  return true;
}

} // namespace themis
