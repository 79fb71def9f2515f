/// DO blocks and SQL-level PREPARE / EXECUTE / DEALLOCATE for pg_frontend
/// (issue 36). A DO block is one statement: its writes run in one writer
/// transaction (the open BEGIN block's, the extended batch's implicit one,
/// or its own, committed when it ends), so an error it does not catch
/// undoes them all; a BEGIN … EXCEPTION block inside is a savepoint.

#include <chrono>

#include "actors/pg_frontend.hpp"
#include "actors/pg_sessions.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/plpgsql.hpp"

namespace themis {

using sql::stmt_kind;

namespace {

/// client_min_messages as an elog level (NOTICE by default).
int min_level(const std::string& name) {
  if (name == "debug5")
    return 10;
  if (name == "debug4")
    return 11;
  if (name == "debug3")
    return 12;
  if (name == "debug2")
    return 13;
  if (name == "debug1" || name == "debug")
    return 14;
  if (name == "log")
    return 15;
  if (name == "warning")
    return 19;
  if (name == "error")
    return 21;
  return 18;
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

} // namespace

class pg_frontend::do_host : public sql::plpgsql::host {
public:
  explicit do_host(pg_frontend& fe) : fe_(fe) {}

  sql::plpgsql::result run(const std::string& text) override {
    sql::plpgsql::result out;
    for (auto& ps : sql::parse_sql(text)) {
      portal p;
      p.st = fe_.translate(ps, {});
      refuse(p.st);
      fe_.start(p);
      auto rows = fe_.drain(p);
      out.rows.clear();
      for (auto& r : rows) {
        std::vector<std::optional<std::string>> t;
        for (size_t i = 0; i < r.size(); ++i)
          if (r[i].is_null())
            t.emplace_back();
          else
            t.emplace_back(sql::to_text(r[i], i < p.st.columns.size()
                                                ? p.st.columns[i].type_oid
                                                : sql::oid::text));
        out.rows.push_back(std::move(t));
      }
      out.returns_rows = p.st.returns_rows;
      out.columns.clear();
      out.types.clear();
      for (auto& c : p.st.columns) {
        out.columns.push_back(c.name);
        auto tn = sql::type_name(c.type_oid);
        out.types.push_back(tn ? tn : "text");
      }
      auto sp = p.tag.rfind(' ');
      out.affected = 0;
      if (!p.st.returns_rows && sp != std::string::npos)
        try {
          out.affected = std::stoll(p.tag.substr(sp + 1));
        } catch (const std::exception&) {
        }
    }
    return out;
  }

  void report(const sql::plpgsql::message& m) override {
    auto it = fe_.info_.settings.find("client_min_messages");
    auto min =
      min_level(lower(it == fe_.info_.settings.end() ? "notice" : it->second));
    if (m.level != 17 && m.level < min) // INFO always reaches the client
      return;
    pgwire::error_fields n;
    n.severity = m.severity;
    n.sqlstate = m.sqlstate;
    n.message = m.text;
    n.detail = m.detail;
    n.hint = m.hint;
    fe_.session_.notice(n);
  }

  void subtx_begin(int depth) override {
    check(fe_.tx_call(sql_tx_request::op::savepoint, nullptr, name(depth)));
  }
  void subtx_release(int depth) override {
    check(fe_.tx_call(sql_tx_request::op::release, nullptr, name(depth)));
  }
  void subtx_rollback(int depth) override {
    check(fe_.tx_call(sql_tx_request::op::rollback_to, nullptr, name(depth)));
    check(fe_.tx_call(sql_tx_request::op::release, nullptr, name(depth)));
    fe_.drop_overlay(); // DDL of the rolled-back part: reload the catalog
  }

  void check_interrupts() override {
    auto& me = fe_.me_;
    if (!me)
      return;
    if (me->terminate.load())
      throw sql::sql_error("57P01", "terminating connection due to "
                                    "administrator command");
    if (me->cancel.load())
      throw sql::sql_error("57014", "canceling statement due to user request");
    auto deadline = me->deadline_ns.load();
    if (deadline &&
        std::chrono::steady_clock::now().time_since_epoch().count() >
          deadline) {
      me->timed_out = true;
      throw sql::sql_error("57014",
                           "canceling statement due to statement timeout");
    }
  }

private:
  static std::string name(int depth) {
    return "themis_do_" + std::to_string(depth);
  }
  static void check(const sql_tx_reply& r) {
    if (!r.sqlstate.empty())
      throw sql::sql_error(r.sqlstate, r.message);
  }
  /// What a DO block cannot run: transaction control (the block is one
  /// statement), COPY and cursors.
  static void refuse(const sql::statement& st) {
    switch (st.kind) {
      case stmt_kind::begin:
      case stmt_kind::commit:
      case stmt_kind::rollback:
      case stmt_kind::savepoint:
      case stmt_kind::release:
      case stmt_kind::rollback_to:
        throw sql::sql_error("0A000", st.tag +
                                        " inside a DO block is not supported "
                                        "(the block is one transaction)");
      case stmt_kind::copy_from:
      case stmt_kind::copy_to:
      case stmt_kind::declare_cursor:
      case stmt_kind::fetch:
      case stmt_kind::close_cursor:
      case stmt_kind::prepare:
      case stmt_kind::execute:
      case stmt_kind::deallocate:
        throw sql::sql_error("0A000", st.tag + " inside a DO block is not "
                                               "supported");
      default:
        return;
    }
  }

  pg_frontend& fe_;
};

std::vector<sql::row> pg_frontend::drain(portal& p) {
  if (!p.cursor)
    return std::move(p.rows);
  std::vector<sql::row> rows;
  p.cursor->fetch(0, [&](sql::row& r) { rows.push_back(std::move(r)); });
  p.cursor.reset();
  return rows;
}

void pg_frontend::run_do_block(portal& p) {
  ++do_depth_;
  try {
    do_host h(*this);
    sql::plpgsql::run_do(p.st.val, h);
  } catch (...) {
    --do_depth_; // send_error → after_error undoes an implicit transaction
    throw;
  }
  --do_depth_;
  p.tag = p.st.tag == "CALL" ? "CALL" : "DO"; // CALL runs as a DO block
  // the block's own transaction commits now; in an extended batch it is
  // the batch's, committed at Sync; in a BEGIN block, at COMMIT
  if (do_depth_ == 0 && !executing_ && implicit_open()) {
    drop_overlay();
    auto r = tx_call(sql_tx_request::op::commit);
    if (!r.sqlstate.empty())
      throw sql::sql_error(r.sqlstate, r.message);
  }
}

void pg_frontend::run_prepare(portal& p) {
  auto& name = p.st.var;
  if (statements_.count(name))
    throw sql::sql_error("42P05",
                         "prepared statement \"" + name + "\" already exists");
  auto stmts = sql::parse_sql(p.st.val);
  if (stmts.size() != 1)
    throw sql::sql_error("42601", "PREPARE takes exactly one statement");
  auto ps = std::make_shared<prepared>();
  ps->declared = p.st.params;
  ps->parsed = stmts[0];
  ps->st = translate(ps->parsed, ps->declared);
  ps->epoch = cat_.epoch;
  statements_[name] = std::move(ps);
  p.tag = "PREPARE";
}

void pg_frontend::describe_execute(sql::statement& st) {
  if (st.kind != stmt_kind::execute)
    return;
  auto it = statements_.find(st.var);
  if (it == statements_.end() || it->second->empty)
    return; // run_execute reports it
  ensure_fresh(*it->second);
  st.columns = it->second->st.columns;
  st.returns_rows = it->second->st.returns_rows;
}

void pg_frontend::run_execute(portal& p) {
  auto it = statements_.find(p.st.var);
  if (it == statements_.end() || it->second->empty)
    throw sql::sql_error("26000", "prepared statement \"" + p.st.var +
                                    "\" does not exist");
  auto ps = it->second;
  ensure_fresh(*ps);
  std::vector<sql::value> args;
  std::vector<uint32_t> arg_types;
  if (!p.st.val.empty()) {
    // the arguments are expressions: evaluated as one SELECT
    portal a;
    auto stmts = sql::parse_sql("SELECT " + p.st.val);
    if (stmts.size() != 1)
      throw sql::sql_error("42601", "syntax error in EXECUTE's arguments");
    a.st = translate(stmts[0], {});
    start(a);
    auto rows = drain(a);
    if (rows.size() == 1)
      args = std::move(rows[0]);
    for (auto& c : a.st.columns)
      arg_types.push_back(c.type_oid);
  }
  auto& want = ps->st.params;
  if (args.size() != want.size())
    throw sql::plpgsql::raised(
      "42601",
      "wrong number of parameters for prepared statement \"" + p.st.var + "\"",
      "Expected " + std::to_string(want.size()) + " parameters but got " +
        std::to_string(args.size()) + ".",
      "");
  for (size_t i = 0; i < args.size(); ++i)
    if (!args[i].is_null())
      args[i] = sql::coerce(
        sql::value::of_text(sql::to_text(
          args[i], i < arg_types.size() ? arg_types[i] : sql::oid::text)),
        want[i] ? want[i] : sql::oid::text);
  p.stmt = ps;
  p.st = ps->st;
  p.params = std::move(args);
  start(p);
}

void pg_frontend::run_deallocate(portal& p) {
  if (p.st.var.empty()) {
    statements_.clear();
  } else if (!statements_.erase(p.st.var)) {
    throw sql::sql_error("26000", "prepared statement \"" + p.st.var +
                                    "\" does not exist");
  }
  p.tag = p.st.tag;
}

} // namespace themis
