// Background index builds (issue 22, engine/index_background.hpp) on a
// real store writer: chunks interleaved with writes leave the side table
// equal to what a one-shot build would hold, a unique violation fails the
// build (and, once ready, refuses writes like a foreground unique index),
// the AQL push-down reads a ready side table, and drops clean up.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/aql/pushdown.hpp"
#include "engine/index_background.hpp"
#include "engine/index_store.hpp"
#include "engine/sqlite_db.hpp"
#include "engine/store_schema.hpp"
#include "engine/store_writer.hpp"
#include "tests/unit/temp_store.hpp"

using nlohmann::json;
using namespace themis::engine;

namespace {

class index_background : public themis::testing::temp_store {
protected:
  void SetUp() override {
    temp_store::SetUp();
    one(op(op_kind::create_collection, "c"));
  }
  op_result one(write_op o) {
    write_batch b;
    b.ops.push_back(std::move(o));
    return writer_->commit(b).results.at(0);
  }
  static write_op op(op_kind k, std::string c, std::string key = {},
                     std::string doc = {}) {
    write_op o;
    o.kind = k;
    o.collection = std::move(c);
    o.key = std::move(key);
    o.doc = std::move(doc);
    return o;
  }
  op_result put(const std::string& key, const json& doc) {
    return one(op(op_kind::put, "c", key, doc.dump()));
  }
  /// Steps until the build is no longer running; the number of steps.
  int finish(const std::string& name, int chunk) {
    for (int i = 1; i < 10000; ++i) {
      auto r =
        one(op(op_kind::index_build_step, "c", name, std::to_string(chunk)));
      if (r.doc != "building")
        return i;
    }
    return -1;
  }
  /// (key, v0) pairs of the side table, in key order.
  std::vector<std::pair<std::string, std::string>>
  side_rows(const std::string& name) {
    sqlite_db db(database_path(opts_), true, 2000);
    std::vector<std::pair<std::string, std::string>> out;
    auto sql =
      "SELECT key, quote(v0) FROM \"docbg:c:" + name + "\" ORDER BY key";
    auto s = db.prepare(sql.c_str());
    while (s.step())
      out.emplace_back(std::string(s.text(0)), std::string(s.text(1)));
    return out;
  }
  std::vector<doc_index_def> defs() {
    sqlite_db db(database_path(opts_), true, 2000);
    return load_doc_indexes(db.handle(), "c");
  }
};

} // namespace

TEST_F(index_background, chunks_interleaved_with_writes_index_every_document) {
  for (int i = 0; i < 50; ++i)
    put("k" + std::to_string(100 + i), {{"a", i % 7}});
  auto r = one(op(op_kind::create_index, "c", {},
                  R"({"type":"persistent","fields":["a"],"name":"by_a",
                      "inBackground":true})"));
  ASSERT_EQ(r.status, op_status::created) << r.message;
  EXPECT_EQ(r.rev, "building");
  ASSERT_EQ(defs().size(), 1u);
  EXPECT_EQ(defs()[0].state, "building");
  EXPECT_EQ(defs()[0].total, 50);
  // writes before, inside and after the watermark while it builds
  for (int step = 0; step < 3; ++step) {
    auto s = one(op(op_kind::index_build_step, "c", "by_a", "10"));
    ASSERT_EQ(s.doc, "building");
    put("k" + std::to_string(100 + step), {{"a", 100 + step}}); // built part
    put("k" + std::to_string(140 + step), {{"a", 200 + step}}); // not yet
    put("k" + std::to_string(200 + step), {{"a", 300}});        // new
    one(op(op_kind::remove, "c", "k" + std::to_string(130 + step)));
  }
  EXPECT_EQ(defs()[0].state, "building");
  EXPECT_GT(defs()[0].built, 0);
  EXPECT_GT(finish("by_a", 10), 0);
  EXPECT_EQ(defs()[0].state, "ready");
  // exactly what a one-shot build over the final documents holds
  sqlite_db db(database_path(opts_), true, 2000);
  std::vector<std::pair<std::string, std::string>> want;
  auto s = db.prepare("SELECT key, quote(json_extract(doc,'$.a')) FROM "
                      "documents WHERE collection = 'c' ORDER BY key");
  while (s.step())
    want.emplace_back(std::string(s.text(0)), std::string(s.text(1)));
  EXPECT_EQ(side_rows("by_a"), want);
  // kept in step afterwards
  put("k100", {{"b", 1}}); // a missing: NULL in a non-sparse index
  one(op(op_kind::remove, "c", "k101"));
  auto rows = side_rows("by_a");
  EXPECT_EQ(rows.front(),
            (std::pair<std::string, std::string>{"k100", "NULL"}));
  EXPECT_EQ(rows[1].first, "k102");
  // the push-down asks the side table once it is ready
  auto side = ready_side_indexes(db.handle(), "c");
  ASSERT_EQ(side.size(), 1u);
  EXPECT_EQ(side[0].json_path, "$.a");
}

TEST_F(index_background, unique_violation_fails_the_build_then_refuses) {
  put("x1", {{"u", 1}});
  put("x2", {{"u", 1}});
  put("x3", {{"u", 2}});
  auto r = one(op(op_kind::create_index, "c", {},
                  R"({"type":"persistent","fields":["u"],"unique":true,
                      "name":"by_u","inBackground":true})"));
  ASSERT_EQ(r.status, op_status::created);
  finish("by_u", 1);
  ASSERT_EQ(defs()[0].state, "failed");
  EXPECT_NE(defs()[0].error.find("unique"), std::string::npos);
  // the side table and its triggers are gone: writes are not constrained
  EXPECT_EQ(put("x4", {{"u", 2}}).status, op_status::created);
  // dropped, a fresh build over distinct values succeeds and then refuses
  EXPECT_EQ(one(op(op_kind::drop_index, "c", "by_u")).status, op_status::ok);
  one(op(op_kind::remove, "c", "x2"));
  one(op(op_kind::remove, "c", "x4"));
  one(op(op_kind::create_index, "c", {},
         R"({"type":"persistent","fields":["u"],"unique":true,
             "name":"by_u","inBackground":true})"));
  finish("by_u", 100);
  ASSERT_EQ(defs()[0].state, "ready");
  auto refused = put("x5", {{"u", 2}});
  EXPECT_EQ(refused.status, op_status::conflict);
  EXPECT_EQ(refused.message, "unique constraint violated: index 'by_u'");
  EXPECT_EQ(put("x6", {{"u", 3}}).status, op_status::created);
}

TEST_F(index_background, drop_and_collection_drop_remove_side_table) {
  put("a", {{"v", 1}});
  one(op(op_kind::create_index, "c", {},
         R"({"type":"persistent","fields":["v"],"name":"bv",
             "inBackground":true})"));
  EXPECT_EQ(one(op(op_kind::drop_index, "c", "bv")).status, op_status::ok);
  // a step of a dropped build finds nothing to do
  EXPECT_EQ(one(op(op_kind::index_build_step, "c", "bv", "10")).status,
            op_status::not_found);
  sqlite_db db(database_path(opts_), true, 2000);
  auto count = [&] {
    auto s = db.prepare("SELECT count(*) FROM sqlite_schema WHERE name "
                        "LIKE 'docbg:%'");
    s.step();
    return s.int64(0);
  };
  EXPECT_EQ(count(), 0);
  one(op(op_kind::create_index, "c", {},
         R"({"type":"persistent","fields":["v"],"name":"bv",
             "inBackground":true})"));
  EXPECT_EQ(count(), 5); // table, its index, three triggers
  one(op(op_kind::drop_collection, "c"));
  EXPECT_EQ(count(), 0);
}

TEST(index_background_sql, pushdown_reads_only_value_conditions) {
  side_index ix;
  ix.json_path = "$.a";
  ix.table = "docbg:c:by_a";
  using themis::aql::op_code;
  themis::aql::pushed_condition eq{op_code::eq, "$.a", false, nullptr};
  themis::aql::pushed_condition ge{op_code::ge, "$.a", false, nullptr};
  themis::aql::pushed_condition lt{op_code::lt, "$.a", false, nullptr};
  json five = 5, lo = 1, hi = 9, t = true;
  std::vector<json> params;
  auto sql = themis::aql::conditions_sql({eq}, {&five}, params, {ix});
  EXPECT_EQ(sql, " AND key IN (SELECT key FROM \"docbg:c:by_a\" WHERE v0 = ?)");
  params.clear();
  sql = themis::aql::conditions_sql({ge, lt}, {&lo, &hi}, params, {ix});
  EXPECT_EQ(sql, " AND key IN (SELECT key FROM \"docbg:c:by_a\" WHERE "
                 "likelihood(v0 >= ?, 0.001) AND likelihood(v0 < ?, 0.001))");
  EXPECT_EQ(params, (std::vector<json>{1, 9}));
  // a boolean compares the JSON type: not in the side table
  params.clear();
  sql = themis::aql::conditions_sql({eq}, {&t}, params, {ix});
  EXPECT_EQ(sql.find("docbg"), std::string::npos) << sql;
  // a sparse multi-field index misses documents lacking another field
  ix.sparse = true;
  ix.fields = 2;
  params.clear();
  sql = themis::aql::conditions_sql({eq}, {&five}, params, {ix});
  EXPECT_EQ(sql.find("docbg"), std::string::npos) << sql;
}

TEST(index_background_sql, names_the_index_of_a_side_unique_refusal) {
  EXPECT_EQ(
    side_unique_index("UNIQUE constraint failed: docbg:acme.orders:by_x.v0, "
                      "docbg:acme.orders:by_x.v1"),
    "by_x");
  EXPECT_EQ(side_unique_index("UNIQUE constraint failed: documents.key"), "");
  EXPECT_EQ(unique_refusal("UNIQUE constraint failed: docbg:c:u-1.v0"),
            "unique constraint violated: index 'u-1'");
}
