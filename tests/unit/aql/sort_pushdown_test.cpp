/// SORT … LIMIT served by an index (issue 22, engine/aql/sort_pushdown.hpp)
/// and multi-field sparse background indexes in the FILTER push-down, run
/// through the executor on a real store: every query answers exactly what
/// the same query answers without any index (the executor's stable sort of
/// a key-ordered scan), for documents of every JSON type, ascending and
/// descending, with and without FILTERs and projections; and with the
/// index the scan stops after a few rows instead of reading all of them.

#include <gtest/gtest.h>
#include <random>
#include <sqlite3.h>

#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "engine/aql/pushdown.hpp"
#include "engine/aql/sort_pushdown.hpp"
#include "engine/sqlite_db.hpp"
#include "engine/store_writer.hpp"
#include "tests/unit/temp_store.hpp"

using namespace themis;
using nlohmann::json;

namespace {

class sort_pushdown : public themis::testing::temp_store {
protected:
  void SetUp() override {
    temp_store::SetUp();
    // values of every type, repeated so that ties are ordered by key
    json values = {nullptr,
                   true,
                   false,
                   0,
                   1,
                   -3,
                   2.5,
                   1.0,
                   1e300,
                   -1e300,
                   "",
                   "a",
                   "A",
                   "[x",
                   "{y",
                   "zz",
                   "\xc3\xa9",
                   json::array(),
                   json::array({1, 2}),
                   json::array({1}),
                   json::array({"b"}),
                   json::object(),
                   json{{"x", 1}},
                   json{{"a", nullptr}},
                   json{{"x", 0}, {"y", 1}}};
    std::mt19937 rng(7);
    engine::write_batch b;
    for (int i = 0; i < 400; ++i) {
      json doc = {{"_key", "k" + std::to_string(1000 + (i * 37) % 400)},
                  {"b", static_cast<int>(rng() % 5)}};
      if (i % 41 != 0) // some lack the attribute
        doc["a"] = values[rng() % values.size()];
      doc["n"] = {{"v", values[rng() % values.size()]}};
      engine::write_op op;
      op.kind = engine::op_kind::put;
      op.collection = "c";
      op.key = doc["_key"].get<std::string>();
      op.doc = doc.dump();
      op.create_collection = true;
      b.ops.push_back(op);
    }
    ASSERT_TRUE(writer_->commit(b).committed);
  }

  engine::op_result one(engine::write_op o) {
    engine::write_batch b;
    b.ops.push_back(std::move(o));
    return writer_->commit(b).results.at(0);
  }
  void index(const std::string& def) {
    engine::write_op o;
    o.kind = engine::op_kind::create_index;
    o.collection = "c";
    o.doc = def;
    auto r = one(o);
    ASSERT_EQ(r.status, engine::op_status::created) << r.message;
    auto j = json::parse(def);
    if (!j.value("inBackground", false))
      return;
    for (int i = 0; i < 1000; ++i) {
      engine::write_op s;
      s.kind = engine::op_kind::index_build_step;
      s.collection = "c";
      s.key = j["name"];
      s.doc = "50";
      if (one(s).doc != "building")
        return;
    }
    FAIL() << "build did not finish";
  }
  void drop(const std::string& name) {
    engine::write_op o;
    o.kind = engine::op_kind::drop_index;
    o.collection = "c";
    o.key = name;
    one(o);
  }

  json run(const std::string& text, json binds = json::object()) {
    auto q = aql::parse(text);
    json out = json::array();
    progress_.rows_scanned = 0;
    aql::execute_file(
      engine::database_path(opts_), q, binds,
      [&](engine::write_batch b) { return writer_->commit(b); }, progress_, {},
      [&](json row) { out.push_back(std::move(row)); });
    return out;
  }

  /// Each query's answer without an index, to compare with.
  std::vector<json> answers(const std::vector<std::string>& queries) {
    std::vector<json> out;
    for (auto& q : queries)
      out.push_back(run(q));
    return out;
  }

  aql::run_progress progress_;
};

const std::vector<std::string> sorted_queries = {
  "FOR d IN c SORT d.a LIMIT 500 RETURN d._key",
  "FOR d IN c SORT d.a DESC LIMIT 500 RETURN d._key",
  "FOR d IN c SORT d.a LIMIT 7 RETURN [d._key, d.a]",
  "FOR d IN c SORT d.a DESC LIMIT 7 RETURN d",
  "FOR d IN c SORT d.a ASC LIMIT 100, 150 RETURN d._key",
  "FOR d IN c SORT d.a DESC LIMIT 300, 150 RETURN d._key",
  "FOR d IN c FILTER d.b == 2 SORT d.a LIMIT 20 RETURN d._key",
  "FOR d IN c FILTER d.a > 0 SORT d.a DESC LIMIT 20 RETURN d._key",
  "FOR d IN c FILTER d.a >= 'a' AND d.a < 'zz' SORT d.a LIMIT 50 RETURN d.a",
  "FOR d IN c LET x = d.b * 2 FILTER x > 2 SORT d.a LIMIT 30 RETURN d._key",
  "FOR d IN c SORT d.n.v LIMIT 400 RETURN d._key",
  "FOR d IN c SORT d.n.v DESC LIMIT 400 RETURN d._key",
  "FOR d IN c SORT d._key DESC LIMIT 5 RETURN d._key",
  "FOR d IN c SORT d._key LIMIT 5 RETURN d._key",
};

TEST_F(sort_pushdown, plans_only_the_shapes_it_can_serve) {
  auto sort_of = [](const std::string& text) {
    auto q = aql::parse(text);
    auto& cs = q.root->clauses;
    for (size_t i = 0; i < cs.size(); ++i)
      if (cs[i].kind == aql::clause_kind::for_)
        return aql::plan_pushdown(*q.root, i + 1, cs[i].slot).sort;
    return std::optional<aql::sort_order>{};
  };
  auto s = sort_of("LET n = 3 FOR d IN c FILTER d.x SORT d.a.b DESC LIMIT n "
                   "RETURN d");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->json_path, "$.a.b");
  EXPECT_EQ(s->steps, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(s->descending);
  EXPECT_FALSE(sort_of("FOR d IN c SORT d.a RETURN d")); // no LIMIT
  EXPECT_FALSE(sort_of("FOR d IN c SORT d.a, d.b LIMIT 3 RETURN d"));
  EXPECT_FALSE(sort_of("FOR d IN c SORT d LIMIT 3 RETURN d"));
  EXPECT_FALSE(sort_of("FOR d IN c SORT LENGTH(d.a) LIMIT 3 RETURN d"));
  EXPECT_FALSE(sort_of("FOR x IN 1..3 FOR d IN c SORT d.a LIMIT 3 RETURN d"));
  EXPECT_FALSE(
    sort_of("FOR d IN c FOR e IN 1..2 SORT d.a LIMIT 3 RETURN [d, e]"));
  EXPECT_FALSE(sort_of("FOR d IN c COLLECT a = d.a SORT a LIMIT 3 RETURN a"));
}

TEST_F(sort_pushdown, index_order_equals_the_executors_sort) {
  auto want = answers(sorted_queries);
  for (auto def : {R"({"type":"persistent","fields":["a"],"name":"fa"})",
                   R"({"type":"persistent","fields":["a","b"],"name":"fab"})",
                   R"({"type":"persistent","fields":["a"],"name":"ba",
                       "inBackground":true})"}) {
    index(def);
    index(R"({"type":"persistent","fields":["n.v"],"name":"nv"})");
    for (size_t i = 0; i < sorted_queries.size(); ++i)
      EXPECT_EQ(run(sorted_queries[i]), want[i]) << def << "\n"
                                                 << sorted_queries[i];
    drop(json::parse(def)["name"]);
    drop("nv");
  }
}

TEST_F(sort_pushdown, limit_stops_the_scan_when_an_index_orders_it) {
  auto before = run("FOR d IN c SORT d.a DESC LIMIT 3 RETURN d._key");
  EXPECT_GE(progress_.rows_scanned.load(), 400u);
  index(R"({"type":"persistent","fields":["a"],"name":"fa"})");
  EXPECT_EQ(run("FOR d IN c SORT d.a DESC LIMIT 3 RETURN d._key"), before);
  // objects come first descending: read whole (a few), then stop
  EXPECT_LT(progress_.rows_scanned.load(), 120u);
  run("FOR d IN c SORT d.a LIMIT 3 RETURN d._key");
  EXPECT_LT(progress_.rows_scanned.load(), 10u);
  // a sparse index lacks the nulls that sort first: not used
  drop("fa");
  index(R"({"type":"persistent","fields":["a"],"name":"sa","sparse":true})");
  run("FOR d IN c SORT d.a LIMIT 3 RETURN d._key");
  EXPECT_GE(progress_.rows_scanned.load(), 400u);
}

TEST_F(sort_pushdown, another_indexed_condition_keeps_the_planners_choice) {
  std::vector<engine::doc_index_def> defs(2);
  defs[0].name = "fa";
  defs[0].collection = "c";
  defs[0].fields = {"a"};
  defs[1] = defs[0];
  defs[1].name = "fb";
  defs[1].fields = {"b"};
  aql::sort_order s;
  s.json_path = "$.a";
  aql::pushed_condition on_b{aql::op_code::eq, "$.b", false, nullptr};
  aql::pushed_condition on_a{aql::op_code::gt, "$.a", false, nullptr};
  aql::pushed_condition on_key{aql::op_code::eq, "$._key", true, nullptr};
  EXPECT_TRUE(aql::choose_order_index(s, {on_a}, defs, {}));
  EXPECT_FALSE(aql::choose_order_index(s, {on_b}, defs, {}));
  EXPECT_FALSE(aql::choose_order_index(s, {on_key}, defs, {}));
  defs.pop_back(); // b not indexed: a scan anyway, so read in a's order
  EXPECT_TRUE(aql::choose_order_index(s, {on_b}, defs, {}));
}

TEST_F(sort_pushdown, segments_read_the_index_in_order) {
  aql::sort_order s;
  s.json_path = "$.a";
  for (bool desc : {false, true}) {
    s.descending = desc;
    for (auto side : {false, true}) {
      if (side)
        index(R"({"type":"persistent","fields":["a"],"name":"ba",
                  "inBackground":true})");
      else
        index(R"({"type":"persistent","fields":["a"],"name":"fa"})");
      aql::order_index ix =
        side ? aql::order_index{"ba", "docbg:c:ba:v", "docbg:c:ba", false}
             : aql::order_index{"fa", "docidx:c:fa", "", false};
      engine::sqlite_db db(engine::database_path(opts_), true, 2000);
      for (auto& seg : aql::ordered_segments("SELECT doc", "c", "", s, ix)) {
        if (seg.in_memory)
          continue;       // arrays, objects: sorted in memory anyway
        std::string plan; // (sqlite_db::prepare caches by address)
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(db.handle(),
                                     ("EXPLAIN QUERY PLAN " + seg.sql).c_str(),
                                     -1, &st, nullptr),
                  SQLITE_OK)
          << seg.sql;
        while (sqlite3_step(st) == SQLITE_ROW)
          plan += std::string(
                    reinterpret_cast<const char*>(sqlite3_column_text(st, 3))) +
                  "; ";
        sqlite3_finalize(st);
        EXPECT_NE(plan.find(ix.sqlite_index), std::string::npos)
          << seg.sql << "\n"
          << plan;
        // the index gives the whole order
        EXPECT_EQ(plan.find("TEMP B-TREE FOR ORDER BY"), std::string::npos)
          << seg.sql << "\n"
          << plan;
      }
      drop(side ? "ba" : "fa");
    }
  }
}

TEST_F(sort_pushdown, sparse_multi_field_background_index_answers_filters) {
  const std::vector<std::string> queries = {
    "FOR d IN c FILTER d.a == 1 AND d.b == 2 RETURN d._key",
    "FOR d IN c FILTER d.a IN [1, 'a'] AND d.b >= 3 RETURN d._key",
    "FOR d IN c FILTER d.a == 1 RETURN d._key",
  };
  auto want = answers(queries);
  index(R"({"type":"persistent","fields":["a","b"],"name":"sab",
            "sparse":true,"inBackground":true})");
  for (size_t i = 0; i < queries.size(); ++i)
    EXPECT_EQ(run(queries[i]), want[i]) << queries[i];
  engine::side_index x;
  x.json_path = "$.a";
  x.json_paths = {"$.a", "$.b"};
  x.table = "docbg:c:sab";
  x.sparse = true;
  x.fields = 2;
  aql::pushed_condition a{aql::op_code::eq, "$.a", false, nullptr};
  aql::pushed_condition b{aql::op_code::ge, "$.b", false, nullptr};
  json one = 1, three = 3;
  std::vector<json> params;
  EXPECT_EQ(aql::conditions_sql({a, b}, {&one, &three}, params, {x}),
            " AND key IN (SELECT key FROM \"docbg:c:sab\" WHERE v0 = ? AND "
            "likelihood(v1 >= ?, 0.001))");
  EXPECT_EQ(params, (std::vector<json>{1, 3}));
  params.clear(); // b alone may be null: the sparse index lacks those
  EXPECT_EQ(aql::conditions_sql({a}, {&one}, params, {x}).find("docbg"),
            std::string::npos);
}

} // namespace
