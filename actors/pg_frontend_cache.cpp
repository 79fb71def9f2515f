/// The simple-protocol translation cache (engine/sql/literal_cache.hpp):
/// a Query whose shape the session has seen runs with its integer
/// literals bound as parameters, skipping libpg_query, the translator and
/// SQLite's compiler. Measured with pgbench (docs/performance.md).

#include <spdlog/spdlog.h>

#include "actors/pg_frontend.hpp"
#include "engine/sql/literal_cache.hpp"

namespace themis {

bool pg_frontend::run_cached_query(const std::string& text) {
  sql::lifted_query q;
  if (!sql::lift_integer_literals(text, q))
    return false;
  if (!lit_cache_)
    lit_cache_ = std::make_shared<sql::literal_cache>();
  temp_settle(); // as translate() does before every statement
  refresh_catalog();
  auto fingerprint = sql::session_fingerprint(info_);
  auto* e = lit_cache_->find(q.key, cat_.epoch, fingerprint);
  if (!e) {
    // learn the shape: the query as it is and with probe literals; the
    // caller then runs it the usual way
    sql::literal_cache::entry learnt;
    learnt.epoch = cat_.epoch;
    learnt.fingerprint = fingerprint;
    try {
      auto a = sql::parse_sql(text);
      auto b = sql::parse_sql(q.probe);
      if (a.size() == 1 && b.size() == 1) {
        auto sa = sql::translate(a[0], cat_, info_, {});
        auto sb = sql::translate(b[0], cat_, info_, {});
        if (auto t = sql::literal_template(sa, sb, q)) {
          learnt.ok = true;
          learnt.st = std::move(sa);
          learnt.st.sql = std::move(*t);
        }
      }
    } catch (const std::exception&) {
      // (the usual path reports the query's own error)
    }
    lit_cache_->put(q.key, std::move(learnt));
    return false;
  }
  if (!e->ok)
    return false;
  if (!cached_marker_)
    cached_marker_ = std::make_shared<prepared>();
  try {
    portal p;
    p.st = e->st;
    p.stmt =
      cached_marker_; // its SQLite statement is reused, as a prepared one's
    p.params.reserve(q.values.size());
    for (auto v : q.values)
      p.params.push_back(sql::value::of(v));
    spdlog::debug("pg {}: as {} (cached)", opts_.session.backend_pid, p.st.sql);
    if (tx_ == tx::failed)
      throw sql::sql_error("25P02", "current transaction is aborted, "
                                    "commands ignored until end of "
                                    "transaction block");
    temp_mark(p.st);
    run_observed(p, 0, true);
  } catch (const sql::sql_error& err) {
    copy_.reset();
    send_error(err, false);
  }
  finish_batch(); // extended messages before this Query (issue 36)
  ready();
  return true;
}

} // namespace themis
