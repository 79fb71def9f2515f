#pragma once
/// A store in a temporary directory and the SQL layer over it, without
/// sockets or actors: statements are parsed, translated and run the way
/// the PostgreSQL front-end runs them (reads on a read-only connection,
/// writes as a batch through the store writer).

#include <filesystem>
#include <sqlite3.h>
#include <string>
#include <vector>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/store_writer.hpp"

namespace themis::sql::test {

class sql_env {
public:
  sql_env() {
    dir_ = std::filesystem::temp_directory_path() /
           ("themis_sql_test_" + std::to_string(::getpid()) + "_" +
            std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    engine::store_options o;
    o.data_dir = dir_.string();
    o.synchronous_full = false;
    store_ = std::make_unique<engine::store_writer>(o);
    sqlite3_open_v2(engine::database_path(o).c_str(), &db_,
                    SQLITE_OPEN_READONLY, nullptr);
    register_functions(db_, nullptr);
    sqlite3_exec(db_, "PRAGMA case_sensitive_like=ON", nullptr, nullptr,
                 nullptr);
  }
  ~sql_env() {
    sqlite3_close_v2(db_);
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  statement translate_one(const std::string& sql,
                          const std::vector<uint32_t>& declared = {}) {
    auto cat = catalog::load(db_).scoped(info_.ns, info_.all_namespaces);
    auto p = parse_sql(sql);
    if (p.empty())
      throw sql_error("42601", "empty");
    return translate(p[0], cat, info_, declared);
  }

  /// Runs every statement; returns the rows of the last one as text.
  std::vector<std::vector<std::string>>
  run(const std::string& sql, const std::vector<value>& params = {}) {
    std::vector<std::vector<std::string>> out;
    for (auto& p : parse_sql(sql)) {
      auto cat = catalog::load(db_).scoped(info_.ns, info_.all_namespaces);
      auto st = translate(p, cat, info_);
      out.clear();
      if (st.writes) {
        auto job = std::make_shared<write_job>();
        job->st = st;
        job->param_rows.push_back(params);
        engine::write_batch b;
        engine::write_op op;
        op.kind = engine::op_kind::sql;
        op.sql = job;
        b.ops.push_back(op);
        auto r = store_->commit(b);
        if (!job->sqlstate.empty())
          throw sql_error(job->sqlstate, job->message);
        if (!r.committed)
          throw sql_error("XX000", r.error);
        for (auto& row : job->result.rows)
          out.push_back(render(row, st.columns));
      } else if (st.kind == stmt_kind::select) {
        query_cursor c(db_, st.sql, params);
        c.fetch(0, [&](row& r) { out.push_back(render(r, st.columns)); });
      }
    }
    return out;
  }

  /// The first value of the last statement's first row.
  std::string one(const std::string& sql,
                  const std::vector<value>& params = {}) {
    auto r = run(sql, params);
    if (r.empty() || r[0].empty())
      return "<no rows>";
    return r[0][0];
  }

  /// The SQLSTATE `sql` fails with ("" if it succeeds).
  std::string error_of(const std::string& sql) {
    try {
      run(sql);
    } catch (const sql_error& e) {
      return e.sqlstate();
    }
    return "";
  }

  engine::store_writer& store() { return *store_; }
  /// The session's namespace (as the PG front-end sets it per principal).
  session_info& info() { return info_; }
  sqlite3* db() { return db_; }

private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  static std::vector<std::string> render(const row& r,
                                         const std::vector<column>& cols) {
    std::vector<std::string> out;
    for (size_t i = 0; i < r.size(); ++i)
      out.push_back(
        r[i].is_null()
          ? "NULL"
          : to_text(r[i], i < cols.size() ? cols[i].type_oid : oid::text));
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<engine::store_writer> store_;
  sqlite3* db_ = nullptr;
  session_info info_;
};

} // namespace themis::sql::test
