/// A libpqxx (and raw libpq, for binary formats) client that exercises
/// themisd's PostgreSQL front-end the way applications do: prepared
/// statements with typed parameters, binary parameters and results, a
/// pipeline, a large result read through a cursor, cancel of a long
/// query, error codes surfaced as libpqxx exceptions, arrays, exact
/// numeric and LISTEN/NOTIFY.
/// Usage: pqxx_client "<libpq connection string>"; prints one line per
/// check and exits non-zero at the first failure.

#include <arpa/inet.h>
#include <chrono>
#include <cstring>
#include <iostream>
#include <libpq-fe.h>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string dsn;

void check(bool ok, const std::string& what) {
  if (!ok)
    throw std::runtime_error("check failed: " + what);
}

template <class E, class F>
std::string expect_error(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.sqlstate();
  }
  throw std::runtime_error("expected an error");
}

void prepared_text_params() {
  pqxx::connection c{dsn};
  {
    pqxx::work w{c};
    w.exec("create table kinds(id int primary key, t text, f float8, b bool, "
           "d date, ts timestamptz, u uuid, j jsonb, n numeric, big bigint)");
    w.commit();
  }
  c.prepare("ins", "insert into kinds values ($1, $2, $3, $4, $5, $6, $7, $8, "
                   "$9, $10)");
  c.prepare("get", "select t, f, b, d, ts, u, j->>'k', n, big from kinds "
                   "where id = $1");
  pqxx::work w{c};
  w.exec_prepared("ins", 1, "héllo 'quoted'", 2.5, true, "2024-02-29",
                  "2024-03-01 12:30:00+02",
                  "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{\"k\": \"v\"}",
                  "12.75", 9000000000LL);
  w.exec_prepared("ins", 2, nullptr, nullptr, false, nullptr, nullptr, nullptr,
                  nullptr, nullptr, nullptr);
  w.commit();
  pqxx::work r{c};
  auto row = r.exec_prepared1("get", 1);
  check(row[0].as<std::string>() == "héllo 'quoted'", "text");
  check(row[1].as<double>() == 2.5, "float8");
  check(row[2].as<bool>(), "bool");
  check(row[3].as<std::string>() == "2024-02-29", "date");
  check(row[4].as<std::string>() == "2024-03-01 10:30:00+00",
        "timestamptz in UTC: " + row[4].as<std::string>());
  check(row[5].as<std::string>() == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "uuid");
  check(row[6].as<std::string>() == "v", "jsonb ->>");
  check(row[7].as<std::string>() == "12.75", "numeric");
  check(row[8].as<long long>() == 9000000000LL, "bigint");
  auto nulls = r.exec_prepared1("get", 2);
  check(nulls[0].is_null() && nulls[1].is_null() && !nulls[2].as<bool>(),
        "NULL parameters");
  std::cout << "ok prepared statements with text parameters\n";
}

uint32_t be32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

void binary_formats() {
  PGconn* c = PQconnectdb(dsn.c_str());
  check(PQstatus(c) == CONNECTION_OK, "raw libpq connect");
  uint32_t i4 = htonl(41);
  double f = 1.25;
  uint64_t fbits;
  std::memcpy(&fbits, &f, 8);
  uint32_t hi = htonl(static_cast<uint32_t>(fbits >> 32)),
           lo = htonl(static_cast<uint32_t>(fbits));
  char f8[8];
  std::memcpy(f8, &hi, 4);
  std::memcpy(f8 + 4, &lo, 4);
  const char bytes[] = {0, 1, 2, '\xff'};
  const char* values[] = {reinterpret_cast<const char*>(&i4), f8, bytes};
  int lengths[] = {4, 8, 4};
  int formats[] = {1, 1, 1};
  Oid types[] = {23, 701, 17};
  PGresult* r =
    PQexecParams(c, "select $1 + 1, $2 * 2, $3, length($3::bytea) = 4", 3,
                 types, values, lengths, formats, 1);
  check(PQresultStatus(r) == PGRES_TUPLES_OK,
        std::string("binary query: ") + PQresultErrorMessage(r));
  check(PQftype(r, 0) == 23 && PQgetlength(r, 0, 0) == 4 &&
          be32(PQgetvalue(r, 0, 0)) == 42,
        "int4 binary result");
  check(PQftype(r, 1) == 701 && PQgetlength(r, 0, 1) == 8, "float8 binary");
  uint64_t got = (static_cast<uint64_t>(be32(PQgetvalue(r, 0, 1))) << 32) |
                 be32(PQgetvalue(r, 0, 1) + 4);
  double d;
  std::memcpy(&d, &got, 8);
  check(d == 2.5, "float8 value");
  check(PQgetlength(r, 0, 2) == 4 &&
          std::memcmp(PQgetvalue(r, 0, 2), bytes, 4) == 0,
        "bytea binary round trip");
  PQclear(r);
  PQfinish(c);
  std::cout << "ok binary parameters and results\n";
}

void pipeline() {
  pqxx::connection c{dsn};
  pqxx::work w{c};
  w.exec("create table pipe(id int primary key, v int)");
  pqxx::pipeline p{w};
  std::vector<pqxx::pipeline::query_id> ids;
  for (int i = 0; i < 50; ++i)
    ids.push_back(p.insert("insert into pipe values (" + std::to_string(i) +
                           ", " + std::to_string(i * i) + ")"));
  auto sum_id = p.insert("select sum(v) from pipe");
  p.complete();
  for (auto id : ids)
    p.retrieve(id);
  auto sum = p.retrieve(sum_id);
  check(sum[0][0].as<long>() == 40425, "pipelined sum");
  w.commit();
  std::cout << "ok pipelined queries\n";
}

/// libpq pipeline mode (issue 36): each Sync is one implicit
/// transaction; a batch whose third INSERT fails leaves none of its rows,
/// the next batch commits.
void failing_pipelined_batch() {
  PGconn* c = PQconnectdb(dsn.c_str());
  check(PQstatus(c) == CONNECTION_OK, "raw libpq connect");
  PQclear(PQexec(c, "drop table if exists pbatch"));
  PQclear(PQexec(c, "create table pbatch(id int primary key)"));
  check(PQenterPipelineMode(c) == 1, "enter pipeline mode");
  const char* ins = "insert into pbatch values ($1::int)";
  auto send = [&](const char* v) {
    const char* vals[] = {v};
    check(PQsendQueryParams(c, ins, 1, nullptr, vals, nullptr, nullptr, 0) == 1,
          "send in pipeline");
  };
  for (const char* v : {"1", "2", "1", "3"})
    send(v);
  check(PQpipelineSync(c) == 1, "sync 1");
  for (const char* v : {"10", "11"})
    send(v);
  check(PQpipelineSync(c) == 1, "sync 2");
  std::vector<ExecStatusType> seen;
  std::string state;
  for (int syncs = 0, nulls = 0; syncs < 2 && nulls < 100;) {
    PGresult* r = PQgetResult(c);
    if (!r) {
      ++nulls;
      continue;
    }
    seen.push_back(PQresultStatus(r));
    if (PQresultStatus(r) == PGRES_FATAL_ERROR)
      state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (PQresultStatus(r) == PGRES_PIPELINE_SYNC)
      ++syncs;
    PQclear(r);
  }
  std::vector<ExecStatusType> want = {
    PGRES_COMMAND_OK,       PGRES_COMMAND_OK,    PGRES_FATAL_ERROR,
    PGRES_PIPELINE_ABORTED, PGRES_PIPELINE_SYNC, PGRES_COMMAND_OK,
    PGRES_COMMAND_OK,       PGRES_PIPELINE_SYNC};
  check(seen == want, "pipelined batch results");
  check(state == "23505", "pipelined batch error: " + state);
  check(PQexitPipelineMode(c) == 1, "exit pipeline mode");
  PGresult* r = PQexec(c, "select id from pbatch order by id");
  check(PQresultStatus(r) == PGRES_TUPLES_OK,
        std::string("read back: ") + PQresultErrorMessage(r));
  std::string ids;
  for (int i = 0; i < PQntuples(r); ++i)
    ids += (i ? "," : "") + std::string(PQgetvalue(r, i, 0));
  check(ids == "10,11", "the failed batch left no row: " + ids);
  PQclear(r);
  PQfinish(c);
  std::cout << "ok failing pipelined batch rolled back\n";
}

void big_table(pqxx::connection& c, int rows) {
  pqxx::work w{c};
  w.exec("create table big(id int primary key, v int)");
  for (int start = 0; start < rows; start += 1000) {
    std::string q = "insert into big values ";
    for (int i = start; i < start + 1000 && i < rows; ++i)
      q += (i == start ? "(" : ",(") + std::to_string(i) + "," +
           std::to_string(i % 7) + ")";
    w.exec(q);
  }
  w.commit();
}

void cursor_large_result() {
  pqxx::connection c{dsn};
  big_table(c, 20000);
  pqxx::work w{c};
  pqxx::icursorstream cur{w, "select id, v from big order by id", "bigcur",
                          1000};
  pqxx::result chunk;
  long rows = 0, sum = 0;
  while (cur >> chunk)
    for (auto row : chunk) {
      ++rows;
      sum += row[1].as<long>();
    }
  check(rows == 20000, "cursor rows: " + std::to_string(rows));
  long expect = 0;
  for (int i = 0; i < 20000; ++i)
    expect += i % 7;
  check(sum == expect, "cursor sum");
  std::cout << "ok large result through a cursor (20000 rows)\n";
}

void cancel_long_query() {
  pqxx::connection c{dsn};
  auto t0 = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    c.cancel_query();
  });
  std::string state;
  try {
    pqxx::nontransaction n{c};
    n.exec("select count(*) from big a, big b");
  } catch (const pqxx::sql_error& e) {
    state = e.sqlstate();
  }
  canceller.join();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - t0)
              .count();
  check(state == "57014", "cancel sqlstate: " + state);
  check(ms < 10000, "cancel took " + std::to_string(ms) + " ms");
  pqxx::nontransaction n{c};
  check(n.exec1("select 1")[0].as<int>() == 1, "usable after cancel");
  std::cout << "ok cancel of a long query (" << ms << " ms)\n";
}

void error_codes() {
  pqxx::connection c{dsn};
  {
    pqxx::work w{c};
    w.exec("create table uniq(id int primary key)");
    w.exec("insert into uniq values (1)");
    w.commit();
  }
  auto s1 = expect_error<pqxx::sql_error>([&] {
    pqxx::work w{c};
    w.exec("insert into uniq values (1)");
  });
  check(s1 == "23505", "unique violation: " + s1);
  auto s2 = expect_error<pqxx::sql_error>([&] {
    pqxx::work w{c};
    w.exec("select * from nowhere");
  });
  check(s2 == "42P01", "undefined table: " + s2);
  auto s3 = expect_error<pqxx::sql_error>([&] {
    pqxx::work w{c};
    w.exec("selec 1");
  });
  check(s3 == "42601", "syntax: " + s3);
  {
    pqxx::work w{c};
    w.exec("insert into uniq values (2)");
    w.abort();
  }
  pqxx::work w{c};
  check(w.exec1("select count(*) from uniq")[0].as<int>() == 1,
        "aborted work left nothing");
  std::cout << "ok error codes and rollback\n";
}

/// Arrays (issue 36): typed array parameters and results, read the way
/// libpqxx applications read them (array_parser over the text form),
/// with NULL elements and quoting, and the OIDs libpq reports.
void arrays() {
  pqxx::connection c{dsn};
  {
    pqxx::work w{c};
    w.exec("create table arr(id int primary key, tags text[], nums int[])");
    w.commit();
  }
  c.prepare("ins_arr", "insert into arr values ($1, $2::text[], $3::int[])");
  pqxx::work w{c};
  w.exec_prepared("ins_arr", 1, R"({a,"b c",NULL,"q\"uote"})", "{1,2,3}");
  auto res = w.exec("select tags, nums, array_length(nums, 1), nums[2] "
                    "from arr where id = 1");
  check(res.size() == 1, "array row");
  check(res.column_type(0) == 1009 && res.column_type(1) == 1007,
        "text[] and int[] column OIDs");
  std::vector<std::pair<pqxx::array_parser::juncture, std::string>> got;
  auto parser = res[0][0].as_array();
  for (auto v = parser.get_next(); v.first != pqxx::array_parser::done;
       v = parser.get_next())
    got.push_back(v);
  // row_start, four elements (one null), row_end
  check(got.size() == 6, "text[] element count");
  check(got[1].second == "a" && got[2].second == "b c" &&
          got[3].first == pqxx::array_parser::null_value &&
          got[4].second == "q\"uote",
        "text[] elements");
  check(res[0][1].as<std::string>() == "{1,2,3}", "int[] text form");
  check(res[0][2].as<int>() == 3 && res[0][3].as<int>() == 2,
        "array_length and subscript");
  auto agg = w.exec1("select array_agg(g order by g desc) from "
                     "generate_series(1, 4) g");
  check(agg[0].as<std::string>() == "{4,3,2,1}", "array_agg");
  auto any =
    w.exec_params("select 2 = any($1::int[]), cardinality($1::int[])", "{1,2}");
  check(any[0][0].as<bool>() && any[0][1].as<int>() == 2,
        "ANY of an array param");
  std::cout << "ok arrays\n";
}

/// numeric is exact (issue 36): scale kept, digits beyond a double's.
void numeric_exact() {
  pqxx::connection c{dsn};
  pqxx::work w{c};
  w.exec("create table money(id int primary key, amount numeric(12,2))");
  w.exec_params("insert into money values (1, $1)", "12.50");
  auto r = w.exec1("select amount, amount * 3, "
                   "0.1::numeric + 0.2::numeric, "
                   "12345678901234567890.123456789::numeric * 10 "
                   "from money where id = 1");
  check(r[0].as<std::string>() == "12.50", "numeric(12,2) keeps its scale");
  check(r[1].as<std::string>() == "37.50", "numeric arithmetic");
  check(r[2].as<std::string>() == "0.3", "0.1 + 0.2 is exact");
  check(r[3].as<std::string>() == "123456789012345678901.234567890",
        "wide numeric");
  std::cout << "ok numeric\n";
}

/// LISTEN/NOTIFY (issue 36): a notification from another connection
/// reaches a libpqxx receiver after the sender commits, not before.
struct receiver final : pqxx::notification_receiver {
  receiver(pqxx::connection_base& c, const std::string& ch) :
    pqxx::notification_receiver(c, ch) {}
  void operator()(const std::string& payload, int pid) override {
    payloads.push_back(payload);
    sender = pid;
  }
  std::vector<std::string> payloads;
  int sender = 0;
};

void notifications() {
  pqxx::connection listener{dsn};
  receiver rcv{listener, "jobs_done"};
  pqxx::connection sender{dsn};
  pqxx::work tx{sender};
  tx.exec("notify jobs_done, 'first'");
  tx.exec("select pg_notify('jobs_done', 'second')");
  listener.get_notifs();
  check(rcv.payloads.empty(), "nothing delivered before commit");
  tx.commit();
  int sender_pid = sender.backendpid();
  // bounded wait: at most 5 s for both payloads
  for (int i = 0; i < 50 && rcv.payloads.size() < 2; ++i)
    listener.await_notification(0, 100000);
  check(rcv.payloads == std::vector<std::string>{"first", "second"},
        "both notifications, in order");
  check(rcv.sender == sender_pid, "sender's backend pid");
  std::cout << "ok notifications\n";
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: pqxx_client <connection string>\n";
    return 2;
  }
  dsn = argv[1];
  try {
    prepared_text_params();
    binary_formats();
    pipeline();
    failing_pipelined_batch();
    cursor_large_result();
    cancel_long_query();
    error_codes();
    arrays();
    numeric_exact();
    notifications();
  } catch (const std::exception& e) {
    std::cerr << "FAIL: " << e.what() << "\n";
    return 1;
  }
  std::cout << "all checks passed\n";
  return 0;
}
