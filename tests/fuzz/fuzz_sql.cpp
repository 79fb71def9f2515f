/// libFuzzer target for the SQL layer: arbitrary text is parsed with
/// PostgreSQL's grammar, translated against a small catalog and run — reads
/// on a read connection with a 50 ms deadline, writes inside a transaction
/// that is always rolled back. Invariants: no crash, and only sql_error
/// escapes (never another exception). An input starting with
/// fuzz::expand_marker is a recipe for a deep or wide statement (5,000+
/// nesting, 100,000+ terms; structure_expand.hpp), run under the default
/// limits or, with flag bit 0, the largest ones the config accepts.

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
#include "structure_expand.hpp"
#include "themis/input_limits.hpp"

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

/// Hostile shapes (issue 17): nested (prefix, open, middle, close,
/// suffix) and wide (prefix, item, separator, suffix).
constexpr std::initializer_list<fuzz::expand_template> templates = {
  {false, {"SELECT ", "(", "1", ")"}},
  {true, {"SELECT ", "1", "+"}},
  {true, {"SELECT ", "'a'", "||"}},
  {false, {"SELECT '", "[", "1", "]", "'::jsonb"}},
  {false, {"SELECT '", "{\"a\":", "1", "}", "'::jsonb -> 'a'"}},
  {false, {"SELECT ", "(SELECT ", "1", ")"}},
  {false, {"SELECT * FROM ", "(SELECT * FROM ", "t", ") s"}},
  {false, {"SELECT ", "-", "1"}},
  {false, {"SELECT ", "NOT ", "true"}},
  {false, {"SELECT ", "abs(", "1", ")"}},
  {false, {"SELECT ", "CASE WHEN true THEN ", "1", " END"}},
  {false, {"SELECT ARRAY", "[", "1", "]"}},
  {false,
   {"INSERT INTO t(id, name, j) VALUES (9, 'z', '", "[", "1", "]", "')"}},
  {true, {"SELECT 1 WHERE 1 IN (", "\x02", ",", ")"}},
  {true, {"", "SELECT \x02", " UNION ALL "}},
  {true, {"SELECT * FROM t WHERE ", "id = \x02", " OR "}},
};

void run(const std::string& text) {
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
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 200,000 terms; just past limits.max_sql_bytes, so both sides of 54000
  auto x = fuzz::expand(data, size, templates, 200000, (1u << 20) + 4096);
  if (!x) {
    run(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
  }
  auto& limits = parser_limits_setting();
  auto saved = limits;
  if (x->flags & 1)
    limits.max_sql_depth = 20000; // the most config_loader accepts
  run(x->text);
  limits = saved;
  return 0;
}
