/// libFuzzer target for the SQL layer: arbitrary text is parsed with
/// PostgreSQL's grammar, translated against a small catalog and run — reads
/// on a read connection with a 50 ms deadline, writes inside a transaction
/// that is always rolled back. Invariants: no crash, and only sql_error
/// escapes (never another exception).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sqlite3.h>
#include <string>
#include <unistd.h>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/store_writer.hpp"

namespace {

using namespace themis;

struct fuzz_store {
  std::unique_ptr<engine::store_writer> writer;
  sqlite3* db = nullptr;
  sql::session_info info;

  fuzz_store() {
    auto dir = std::filesystem::temp_directory_path() /
               ("themis_fuzz_sql_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    engine::store_options o;
    o.data_dir = dir.string();
    o.synchronous_full = false;
    writer = std::make_unique<engine::store_writer>(o);
    sqlite3_open_v2(engine::database_path(o).c_str(), &db, SQLITE_OPEN_READONLY,
                    nullptr);
    sql::register_functions(db, nullptr);
    for (auto* s : {"create table t(id int primary key, name text not null, "
                    "f float8, b bool, j jsonb, d date, ts timestamptz)",
                    "create table u(id serial primary key, t_id int, v "
                    "varchar(10) unique)",
                    "insert into t values (1, 'a', 1.5, true, '{\"k\": [1]}', "
                    "'2024-01-01', now()), (2, 'b', null, false, null, null, "
                    "null)",
                    "insert into u(t_id, v) values (1, 'x'), (2, 'y')"})
      write(s, true);
  }

  void write(const std::string& text, bool commit) {
    for (auto& p : sql::parse_sql(text)) {
      auto st = sql::translate(p, sql::catalog::load(db), info);
      auto job = std::make_shared<sql::write_job>();
      job->st = st;
      job->param_rows.emplace_back(st.params.size(), sql::value::of(1));
      writer->begin_session();
      writer->run_in_session(*job);
      if (commit) {
        std::string err;
        writer->commit_session(err);
      } else {
        writer->rollback_session();
      }
    }
  }
};

fuzz_store& store() {
  static fuzz_store s;
  return s;
}

int deadline_handler(void* p) {
  auto end = *static_cast<std::chrono::steady_clock::time_point*>(p);
  return std::chrono::steady_clock::now() > end ? 1 : 0;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto& s = store();
  try {
    for (auto& p : sql::parse_sql(text)) {
      auto st = sql::translate(p, sql::catalog::load(s.db), s.info);
      std::vector<sql::value> params(st.params.size(), sql::value::of(1));
      if (st.writes) {
        auto job = std::make_shared<sql::write_job>();
        job->st = st;
        job->param_rows.push_back(params);
        s.writer->begin_session();
        s.writer->run_in_session(*job);
        s.writer->rollback_session();
      } else if (st.kind == sql::stmt_kind::select) {
        auto end =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
        sqlite3_progress_handler(s.db, 1000, deadline_handler, &end);
        try {
          sql::query_cursor c(s.db, st.sql, params);
          c.fetch(1000, [](sql::row& r) {
            for (size_t i = 0; i < r.size(); ++i)
              (void)sql::to_text(r[i], sql::oid::text);
          });
        } catch (const sql::sql_error&) {
        }
        sqlite3_progress_handler(s.db, 0, nullptr, nullptr);
      }
    }
  } catch (const sql::sql_error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unexpected exception: %s\n", e.what());
    std::abort();
  }
  return 0;
}
