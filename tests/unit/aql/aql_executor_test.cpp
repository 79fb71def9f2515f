/// AQL execution on a seeded store: each clause, joins, COLLECT forms,
/// writes through the store writer (and so the change log), bind
/// parameters, limits and cancellation. Expected results are written out
/// by hand from the seed data.

#include <gtest/gtest.h>
#include <thread>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "engine/reader_pool.hpp"
#include "engine/store_writer.hpp"
#include "tests/unit/temp_store.hpp"

using namespace themis;
using nlohmann::json;

namespace {

class aql_exec : public themis::testing::temp_store {
protected:
  void SetUp() override {
    temp_store::SetUp();
    seed();
  }

  void put(const std::string& coll, json doc) {
    engine::write_batch b;
    engine::write_op op;
    op.kind = engine::op_kind::put;
    op.collection = coll;
    op.key = doc["_key"].get<std::string>();
    op.doc = doc.dump();
    op.create_collection = true;
    b.ops.push_back(op);
    ASSERT_TRUE(writer_->commit(b).committed);
  }

  void seed() {
    put("users", {{"_key", "alice"},
                  {"name", "Alice"},
                  {"age", 31},
                  {"city", "Berlin"},
                  {"tags", {"a", "b"}}});
    put("users", {{"_key", "bob"},
                  {"name", "Bob"},
                  {"age", 25},
                  {"city", "Paris"},
                  {"tags", {"b"}}});
    put(
      "users",
      {{"_key", "carol"}, {"name", "Carol"}, {"age", 42}, {"city", "Berlin"}});
    put(
      "users",
      {{"_key", "dave"}, {"name", "Dave"}, {"age", nullptr}, {"city", "Rome"}});
    put("users",
        {{"_key", "erin"}, {"name", "Erin"}, {"age", "35"}, {"city", "Paris"}});
    put("orders", {{"_key", "o1"}, {"user", "alice"}, {"total", 10.5}});
    put("orders", {{"_key", "o2"}, {"user", "alice"}, {"total", 20}});
    put("orders", {{"_key", "o3"}, {"user", "bob"}, {"total", 7}});
  }

  json run(const std::string& text, json binds = json::object(),
           aql::run_limits limits = {}) {
    auto q = aql::parse(text);
    json out = json::array();
    aql::execute_file(
      engine::database_path(opts_), q, binds,
      [&](engine::write_batch b) { return writer_->commit(b); }, progress_,
      limits, [&](json row) { out.push_back(std::move(row)); });
    return out;
  }

  aql::error_kind error_of(const std::string& text, json binds = json::object(),
                           aql::run_limits limits = {}) {
    try {
      run(text, binds, limits);
    } catch (const aql::aql_error& e) {
      return e.kind();
    }
    ADD_FAILURE() << "no error: " << text;
    return aql::error_kind::internal;
  }

  aql::run_progress progress_;
};

} // namespace

TEST_F(aql_exec, filter_sort_return) {
  EXPECT_EQ(run("FOR u IN users FILTER u.age >= 30 SORT u.age RETURN u._key"),
            json({"alice", "carol", "erin"})); // "35" > any number
  EXPECT_EQ(run("FOR u IN users FILTER u.age < 30 SORT u._key RETURN u._key"),
            json({"bob", "dave"})); // null < 30
  EXPECT_EQ(run("FOR u IN users FILTER u.city == 'Paris' AND u.age == 25 "
                "RETURN u.name"),
            json({"Bob"}));
  EXPECT_EQ(run("FOR u IN users FILTER u.city IN ['Rome', 'Oslo'] RETURN "
                "u._key"),
            json({"dave"}));
  EXPECT_EQ(run("FOR u IN users FILTER u.name LIKE 'c%' RETURN u._key"),
            json::array()); // LIKE is case-sensitive
  EXPECT_EQ(run("FOR u IN users FILTER u.name LIKE 'C%' RETURN u._key"),
            json({"carol"}));
  EXPECT_EQ(run("FOR u IN users FILTER NOT (u.city == 'Berlin') SORT u._key "
                "RETURN u._key"),
            json({"bob", "dave", "erin"}));
  EXPECT_EQ(run("FOR u IN users FILTER u.age == null RETURN u._key"),
            json({"dave"}));
  EXPECT_EQ(run("FOR u IN users SORT u.city DESC, u.name LIMIT 3 RETURN "
                "u.name"),
            json({"Dave", "Bob", "Erin"}));
  EXPECT_EQ(run("FOR u IN users SORT u._key LIMIT 1, 2 RETURN u._key"),
            json({"bob", "carol"}));
}

TEST_F(aql_exec, projections_and_expressions) {
  EXPECT_EQ(run("FOR u IN users FILTER u._key == 'alice' RETURN {n: u.name, "
                "t: u.tags[0], last: u.tags[-1], all: u.tags[*], "
                "up: UPPER(u.name), next: u.age + 1}"),
            json::parse(R"([{"n":"Alice","t":"a","last":"b","all":["a","b"],)"
                        R"("up":"ALICE","next":32}])"));
  EXPECT_EQ(
    run("RETURN [1 + 2 * 3, 7 / 2, 7 % 3, 1 / 0, -(2), "
        "'a' < 'b', null < false, [] < {}, 1 ? 'y' : 'n', 0 || 'd']"),
    json::parse(R"([[7, 3.5, 1, null, -2, true, true, true, "y", "d"]])"));
  EXPECT_EQ(run("RETURN 2..5"), json::parse("[[2,3,4,5]]"));
  EXPECT_EQ(run("FOR i IN [3, 1, 2] SORT i RETURN DISTINCT i % 2"),
            json({1, 0})); // first occurrence order after SORT
}

TEST_F(aql_exec, joins_and_subqueries) {
  EXPECT_EQ(run("FOR o IN orders FOR u IN users FILTER u._key == o.user "
                "SORT o._key RETURN [o._key, u.name]"),
            json::parse(R"([["o1","Alice"],["o2","Alice"],["o3","Bob"]])"));
  EXPECT_EQ(
    run("FOR u IN users LET spent = SUM(FOR o IN orders FILTER "
        "o.user == u._key RETURN o.total) FILTER spent > 0 SORT "
        "spent DESC RETURN {u: u._key, spent}"),
    json::parse(R"([{"u":"alice","spent":30.5},{"u":"bob","spent":7}])"));
  EXPECT_EQ(run("RETURN LENGTH(users)"), json({5}));
}

TEST_F(aql_exec, collect) {
  EXPECT_EQ(run("FOR u IN users COLLECT city = u.city WITH COUNT INTO n "
                "RETURN [city, n]"),
            json::parse(R"([["Berlin",2],["Paris",2],["Rome",1]])"));
  EXPECT_EQ(run("FOR o IN orders COLLECT user = o.user AGGREGATE s = "
                "SUM(o.total), m = MAX(o.total), c = COUNT(o) RETURN "
                "{user, s, m, c}"),
            json::parse(R"([{"user":"alice","s":30.5,"m":20,"c":2},)"
                        R"({"user":"bob","s":7,"m":7,"c":1}])"));
  EXPECT_EQ(run("FOR u IN users COLLECT city = u.city INTO g = u.name "
                "FILTER city == 'Berlin' RETURN g"),
            json::parse(R"([["Alice","Carol"]])"));
  EXPECT_EQ(run("FOR u IN users FILTER u.city == 'Nowhere' COLLECT WITH "
                "COUNT INTO n RETURN n"),
            json({0}));
  // MIN skips null; AVG of an array holding a string is null (ArangoDB)
  EXPECT_EQ(run("FOR u IN users COLLECT AGGREGATE lo = MIN(u.age), avg = "
                "AVG(u.age) RETURN [lo, avg]"),
            json::parse(R"([[25, null]])"));
  EXPECT_EQ(run("FOR u IN users FILTER IS_NUMBER(u.age) COLLECT AGGREGATE "
                "s = SUM(u.age), hi = MAX(u.age), n = LENGTH(1) RETURN "
                "[s, hi, n]"),
            json::parse(R"([[98, 42, 3]])"));
}

TEST_F(aql_exec, writes_go_through_the_store_writer) {
  auto before = writer_->last_sequence();
  EXPECT_EQ(run("FOR i IN 1..3 INSERT {_key: CONCAT('n', i), v: i} INTO "
                "users RETURN NEW._key"),
            json({"n1", "n2", "n3"}));
  EXPECT_EQ(writer_->last_sequence(), before + 3); // one change per write
  EXPECT_EQ(run("FOR u IN users FILTER u.v >= 2 UPDATE u WITH {v: u.v * 10, "
                "extra: {a: 1}} IN users RETURN [OLD.v, NEW.v]"),
            json::parse("[[2,20],[3,30]]"));
  EXPECT_EQ(run("REPLACE 'n1' WITH {w: 1} IN users RETURN NEW"),
            json::parse(R"([{"_key":"n1","_rev":")" +
                        std::to_string(writer_->last_sequence() + 1) +
                        R"(","w":1}])"));
  EXPECT_EQ(run("FOR u IN users FILTER u.v >= 20 OR u.w == 1 REMOVE u IN "
                "users RETURN OLD._key"),
            json({"n1", "n2", "n3"}));
  EXPECT_EQ(run("RETURN LENGTH(users)"), json({5}));
  EXPECT_EQ(progress_.writes.load(), 3u + 2u + 1u + 3u);
}

TEST_F(aql_exec, write_errors) {
  EXPECT_EQ(error_of("INSERT {_key: 'alice'} INTO users"),
            aql::error_kind::conflict);
  EXPECT_EQ(error_of("REMOVE 'nobody' IN users"),
            aql::error_kind::document_not_found);
  EXPECT_EQ(error_of("INSERT {a: 1} INTO nowhere"),
            aql::error_kind::collection_not_found);
  EXPECT_EQ(error_of("INSERT 5 INTO users"), aql::error_kind::runtime);
  EXPECT_EQ(run("REMOVE 'nobody' IN users OPTIONS {ignoreErrors: true}"),
            json::array());
}

TEST_F(aql_exec, bind_parameters) {
  EXPECT_EQ(run("FOR u IN @@c FILTER u.age > @min SORT u.age RETURN u._key",
                {{"@c", "users"}, {"min", 30}}),
            json({"alice", "carol", "erin"}));
  EXPECT_EQ(error_of("RETURN @x"), aql::error_kind::semantic);
  EXPECT_EQ(error_of("RETURN 1", {{"x", 1}}), aql::error_kind::semantic);
  EXPECT_EQ(error_of("FOR u IN @@c RETURN u", {{"@c", 5}}),
            aql::error_kind::semantic);
}

TEST_F(aql_exec, runtime_errors) {
  EXPECT_EQ(error_of("FOR u IN nosuch RETURN u"),
            aql::error_kind::collection_not_found);
  EXPECT_EQ(error_of("FOR x IN 5 RETURN x"), aql::error_kind::runtime);
  EXPECT_EQ(error_of("FOR u IN users LIMIT -1 RETURN u"),
            aql::error_kind::runtime);
}

TEST_F(aql_exec, limits_and_cancellation) {
  aql::run_limits few;
  few.max_rows = 2;
  EXPECT_EQ(error_of("FOR u IN users RETURN u", {}, few),
            aql::error_kind::limit);
  aql::run_limits past;
  past.deadline = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of("FOR a IN 1..100000 FOR b IN 1..1000 RETURN 1", {}, past),
            aql::error_kind::timeout);
  // cancellation from another thread stops a long query quickly
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    progress_.cancel = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(error_of("FOR a IN 1..100000 FOR b IN 1..100000 FILTER b < 0 "
                     "RETURN 1"),
            aql::error_kind::cancelled);
  canceller.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_GT(progress_.rows_scanned.load(), 0u);
}

// -- push-down must never drop a row the FILTER keeps -------------------------

TEST_F(aql_exec, pushdown_edge_cases_match_unfiltered_evaluation) {
  put("edge", {{"_key", "e1"},
               {"a", {{"0", "zero"}}},
               {"x", nullptr},
               {"s", "a\\b"},
               {"l", {1.0}}});
  put("edge", {{"_key", "e2"}, {"a", {"zero"}}, {"s", "ab"}, {"l", {2}}});
  // Each query once with push-down (FILTER right after FOR) and once
  // without (a LET in between): the answers must be equal.
  for (auto cond :
       {"d.a[0] == 'zero'", "d.x IN [null, 5]", "d.l IN [[1]]",
        "d.s LIKE 'a\\\\b'", "d.s LIKE 'a%'", "d.missing == null", "d.x < 1",
        "d._key IN ['e2', 7]", "d.s > 'aa'", "d.a == ['zero']"}) {
    SCOPED_TRACE(cond);
    auto pushed =
      run(std::string("FOR d IN edge FILTER ") + cond + " RETURN d._key");
    auto plain = run(std::string("FOR d IN edge LET k = 1 FILTER ") + cond +
                     " RETURN d._key");
    EXPECT_EQ(pushed, plain);
  }
  EXPECT_EQ(run("FOR d IN edge FILTER d.x IN [null] RETURN d._key"),
            json({"e1", "e2"}));
  // values with calls are evaluated per row by the FILTER, not up front
  EXPECT_EQ(run("FOR d IN edge FILTER d._key == CONCAT('e', 1) RETURN d._key"),
            json({"e1"}));
}

TEST_F(aql_exec, huge_ranges_are_refused_not_built) {
  EXPECT_EQ(error_of("RETURN 0..1e30"), aql::error_kind::limit);
  EXPECT_EQ(error_of("RETURN 0..9223372036854775807"), aql::error_kind::limit);
  EXPECT_EQ(error_of("RETURN -9223372036854775807..9223372036854775807"),
            aql::error_kind::limit);
  EXPECT_EQ(run("RETURN LENGTH(-2..2)"), json({5}));
}

TEST_F(aql_exec, projection_reads_only_used_attributes_with_same_results) {
  // the same answers whether the scan projects attributes or not (a
  // MERGE(u) somewhere forces whole documents)
  for (auto q :
       {"FOR u IN users SORT u._key RETURN [u.name, u.tags[0], u.nope]",
        "FOR u IN users COLLECT WITH COUNT INTO n RETURN n",
        "FOR u IN users FILTER u.age > 30 SORT u.age RETURN u.age",
        "FOR u IN users COLLECT c = u.city INTO g RETURN [c, LENGTH(g)]",
        "FOR u IN users LET s = SUM(FOR o IN orders FILTER o.user == "
        "u._key RETURN o.total) SORT u._key RETURN [u._key, s]"}) {
    SCOPED_TRACE(q);
    std::string whole = q;
    whole.insert(std::string("FOR u IN users ").size(),
                 "LET whole_doc = MERGE(u) ");
    EXPECT_EQ(run(q), run(whole));
  }
  EXPECT_EQ(run("FOR u IN users FILTER u._key == 'alice' RETURN u.tags"),
            json::parse(R"([["a","b"]])"));
  // every JSON type survives the projection, and odd attribute names work
  put("types", {{"_key", "t"},
                {"i", 7},
                {"r", 1.5},
                {"s", "x"},
                {"b", true},
                {"f", false},
                {"n", nullptr},
                {"o", {{"k", 1}}},
                {"a", {1}},
                {"it's", 1},
                {"q\"", 2},
                {"sp ace", 3}});
  EXPECT_EQ(run("FOR t IN types RETURN [t.i, t.r, t.s, t.b, t.f, t.n, t.o, "
                "t.a, t.missing, t.`it's`, t.`q\"`, t.`sp ace`]"),
            json::parse(R"([[7, 1.5, "x", true, false, null, {"k": 1}, [1], )"
                        R"(null, 1, 2, 3]])"));
  EXPECT_EQ(run("FOR t IN types FILTER t.`it's` == 1 AND t.`sp ace` == 3 "
                "RETURN t._key"),
            json({"t"}));
}
