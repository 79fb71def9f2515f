/// libFuzzer target for AQL: arbitrary query text is parsed and, when it
/// parses, run against a small in-memory store with a 50 ms deadline and a
/// row cap. Invariants: no crash, and only aql_error escapes (never another
/// exception). An input starting with fuzz::expand_marker is a recipe for
/// a deep or wide query (structure_expand.hpp), run under the default
/// limits or, with flag bit 0, the largest max_aql_clauses the config
/// accepts.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sqlite3.h>
#include <string>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "structure_expand.hpp"
#include "themis/input_limits.hpp"

namespace {

sqlite3* store() {
  static sqlite3* db = [] {
    sqlite3* d = nullptr;
    sqlite3_open(":memory:", &d);
    sqlite3_exec(d, R"sql(
      CREATE TABLE collections(name TEXT PRIMARY KEY, created_ms INTEGER);
      CREATE TABLE documents(collection TEXT, key TEXT, rev TEXT, doc TEXT,
                             PRIMARY KEY(collection, key));
      INSERT INTO collections VALUES('c', 0);
      INSERT INTO documents VALUES('c', 'a', '1',
        '{"_key":"a","_rev":"1","v":1,"s":"x","l":[1,2,{"k":null}]}');
      INSERT INTO documents VALUES('c', 'b', '2',
        '{"_key":"b","_rev":"2","v":"2","o":{"p":true}}');
    )sql",
                 nullptr, nullptr, nullptr);
    return d;
  }();
  return db;
}

/// Hostile shapes (issue 17): nested (prefix, open, middle, close,
/// suffix) and wide (prefix, item, separator, suffix).
constexpr std::initializer_list<themis::fuzz::expand_template> templates = {
  {false, {"", "FOR x\x02 IN [1] ", "RETURN 1"}},
  {false, {"RETURN ", "(", "1", ")"}},
  {false, {"RETURN ", "[", "1", "]"}},
  {false, {"RETURN ", "{a:", "1", "}"}},
  {false, {"RETURN ", "-", "1"}},
  {false, {"RETURN ", "NOT ", "true"}},
  {false, {"RETURN ", "(FOR x IN [1] RETURN ", "x", ")"}},
  {false, {"RETURN ", "LENGTH(", "1", ")"}},
  {false, {"RETURN ", "true ? ", "1", " : 2"}},
  {false, {"FOR d IN c FILTER ", "(", "d.v == 1", ")", " RETURN d"}},
  {true, {"RETURN ", "1", "+"}},
  {true, {"RETURN [", "\x02", ",", "]"}},
  {true, {"RETURN {", "k\x02: 1", ",", "}"}},
  {true, {"", "LET a\x02 = 1 ", "", "RETURN 1"}},
  {true, {"RETURN CONCAT(", "'a'", ",", ")"}},
  {true, {"RETURN {a: 1}", ".a", "", ""}},
};

void run(const std::string& text) {
  using namespace themis;
  try {
    auto q = aql::parse(text);
    aql::run_progress progress;
    aql::run_limits limits;
    limits.deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
    limits.max_rows = 1000;
    auto no_writes = [](engine::write_batch b) {
      engine::write_result r;
      r.error = "read-only fuzz store";
      r.results.resize(b.ops.size());
      return r;
    };
    aql::json binds = aql::json::object();
    for (auto& n : q.bind_names)
      binds[n] = 1;
    for (auto& n : q.collection_binds)
      binds["@" + n] = "c";
    aql::execute(store(), q, binds, no_writes, progress, limits,
                 [](aql::json) {});
  } catch (const aql::aql_error&) {
  } catch (...) {
    std::abort(); // anything else is a bug
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 200,000 terms, a few MB at most
  auto x = themis::fuzz::expand(data, size, templates, 200000, 2u << 20);
  if (!x) {
    run(std::string(reinterpret_cast<const char*>(data), size));
    return 0;
  }
  auto& limits = themis::parser_limits_setting();
  auto saved = limits;
  if (x->flags & 1)
    limits.max_aql_clauses = 100000; // the most config_loader accepts
  run(x->text);
  limits = saved;
  return 0;
}
