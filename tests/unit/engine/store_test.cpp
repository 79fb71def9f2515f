#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>

#include "engine/json_bounded.hpp"
#include "engine/reader_pool.hpp"
#include "engine/store_writer.hpp"

using namespace themis::engine;
namespace fs = std::filesystem;

namespace {

class store_test : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("themis_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    opts_.data_dir = dir_.string();
    opts_.synchronous_full = false;
    open();
  }
  void TearDown() override {
    reader_.reset();
    writer_.reset();
    fs::remove_all(dir_);
  }
  void open() {
    reader_.reset();
    writer_.reset();
    writer_ = std::make_unique<store_writer>(opts_);
    reader_ = std::make_unique<reader_pool>(opts_);
  }
  op_result one(write_op op) {
    write_batch b;
    b.ops.push_back(std::move(op));
    auto r = writer_->commit(b);
    return r.results.at(0);
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

  fs::path dir_;
  store_options opts_;
  std::unique_ptr<store_writer> writer_;
  std::unique_ptr<reader_pool> reader_;
};

} // namespace

TEST_F(store_test, crud_with_revisions) {
  EXPECT_EQ(one(op(op_kind::create_collection, "users")).status,
            op_status::created);
  EXPECT_EQ(one(op(op_kind::create_collection, "users")).status,
            op_status::conflict);
  auto ins = one(op(op_kind::insert, "users", "alice", R"({"age":30})"));
  ASSERT_EQ(ins.status, op_status::created);
  EXPECT_EQ(ins.rev, "1");
  EXPECT_EQ(one(op(op_kind::insert, "users", "alice", "{}")).status,
            op_status::conflict);
  auto doc = reader_->get("users", "alice");
  ASSERT_TRUE(doc);
  auto j = nlohmann::json::parse(doc->json);
  EXPECT_EQ(j["age"], 30);
  EXPECT_EQ(j["_key"], "alice");
  EXPECT_EQ(j["_rev"], ins.rev);

  auto stale = op(op_kind::replace, "users", "alice", R"({"age":31})");
  stale.if_match = "999";
  EXPECT_EQ(one(stale).status, op_status::precondition_failed);
  auto good = op(op_kind::replace, "users", "alice", R"({"age":31})");
  good.if_match = ins.rev;
  auto rep = one(good);
  ASSERT_EQ(rep.status, op_status::ok);
  EXPECT_NE(rep.rev, ins.rev);

  auto pat =
    one(op(op_kind::patch, "users", "alice", R"({"city":"x","age":null})"));
  ASSERT_EQ(pat.status, op_status::ok);
  j = nlohmann::json::parse(reader_->get("users", "alice")->json);
  EXPECT_EQ(j["city"], "x");
  EXPECT_FALSE(j.contains("age"));

  EXPECT_EQ(one(op(op_kind::remove, "users", "alice")).status, op_status::ok);
  EXPECT_FALSE(reader_->get("users", "alice"));
  EXPECT_EQ(one(op(op_kind::remove, "users", "alice")).status,
            op_status::not_found);
  EXPECT_EQ(one(op(op_kind::insert, "nope", "k", "{}")).status,
            op_status::collection_not_found);
  EXPECT_EQ(one(op(op_kind::insert, "users", "bad/key", "{}")).status,
            op_status::invalid);
  EXPECT_EQ(one(op(op_kind::insert, "users", "k", "[1]")).status,
            op_status::invalid);
  EXPECT_EQ(one(op(op_kind::insert, "users", "k", "{oops")).status,
            op_status::invalid);
}

TEST_F(store_test, generated_keys_and_paging) {
  one(op(op_kind::create_collection, "c"));
  for (int i = 0; i < 25; ++i)
    ASSERT_EQ(one(op(op_kind::insert, "c", {}, "{}")).status,
              op_status::created);
  std::string after;
  size_t total = 0;
  std::set<std::string> seen;
  for (;;) {
    auto page = reader_->list("c", after, 10);
    for (auto& d : page)
      EXPECT_TRUE(seen.insert(d.key).second);
    total += page.size();
    if (page.size() < 10)
      break;
    after = page.back().key;
  }
  EXPECT_EQ(total, 25u);
}

TEST_F(store_test, change_log_dense_ordered_and_survives_restart) {
  one(op(op_kind::create_collection, "c"));
  one(op(op_kind::put, "c", "a", R"({"v":1})"));
  one(op(op_kind::put, "c", "a", R"({"v":2})"));
  one(op(op_kind::insert, "c", "a", "{}")); // fails: no log entry
  one(op(op_kind::remove, "c", "a"));
  open(); // restart
  one(op(op_kind::put, "c", "b", R"({"v":3})"));
  auto log = reader_->changes_after(0, 100);
  ASSERT_EQ(log.size(), 4u);
  for (size_t i = 0; i < log.size(); ++i)
    EXPECT_EQ(log[i].sequence, i + 1);
  EXPECT_EQ(log[0].type, "PUT");
  EXPECT_EQ(log[2].type, "DELETE");
  EXPECT_EQ(log[2].key, "a");
  EXPECT_TRUE(log[2].value.empty());
  EXPECT_EQ(log[3].key, "b");
  EXPECT_EQ(reader_->changes_after(2, 100).front().sequence, 3u); // exclusive
  EXPECT_EQ(reader_->last_sequence(), 4u);
}

TEST_F(store_test, atomic_batch_rolls_back_and_keeps_sequence_dense) {
  one(op(op_kind::create_collection, "c"));
  write_batch b;
  b.ops.push_back(op(op_kind::put, "c", "x", "{}"));
  b.ops.push_back(op(op_kind::insert, "c", "x", "{}")); // conflict
  b.ops.push_back(op(op_kind::put, "c", "y", "{}"));
  auto r = writer_->commit(b);
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.results[1].status, op_status::conflict);
  EXPECT_EQ(r.results[2].status, op_status::not_executed);
  EXPECT_FALSE(reader_->get("c", "x"));
  EXPECT_EQ(reader_->last_sequence(), 0u);
  one(op(op_kind::put, "c", "z", "{}"));
  EXPECT_EQ(reader_->last_sequence(), 1u);
}

TEST_F(store_test, group_commit_isolates_failing_batches) {
  one(op(op_kind::create_collection, "c"));
  write_batch good1, bad, good2;
  good1.ops.push_back(op(op_kind::put, "c", "1", "{}"));
  bad.ops.push_back(op(op_kind::replace, "c", "missing", "{}"));
  good2.ops.push_back(op(op_kind::put, "c", "2", "{}"));
  auto res = writer_->commit_group({&good1, &bad, &good2});
  EXPECT_TRUE(res[0].committed);
  EXPECT_FALSE(res[1].committed);
  EXPECT_TRUE(res[2].committed);
  EXPECT_EQ(res[0].results[0].sequence, 1u);
  EXPECT_EQ(res[2].results[0].sequence, 2u);
  EXPECT_EQ(writer_->commit_count(), 2u);
}

TEST_F(store_test, drop_collection_logs_deletes) {
  one(op(op_kind::create_collection, "c"));
  one(op(op_kind::put, "c", "a", "{}"));
  one(op(op_kind::put, "c", "b", "{}"));
  EXPECT_EQ(one(op(op_kind::drop_collection, "c")).status, op_status::ok);
  auto log = reader_->changes_after(2, 10);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].type, "DELETE");
  EXPECT_FALSE(reader_->collection_exists("c"));
  EXPECT_EQ(one(op(op_kind::drop_collection, "c")).status,
            op_status::collection_not_found);
}

TEST_F(store_test, auto_create_collection_for_entities) {
  auto o = op(op_kind::put, "orders", "1", R"({"x":1})");
  o.create_collection = true;
  EXPECT_EQ(one(o).status, op_status::created);
  EXPECT_TRUE(reader_->collection_exists("orders"));
}

TEST_F(store_test, committed_events_exclude_rolled_back_writes) {
  one(op(op_kind::create_collection, "c"));
  writer_->take_committed();
  write_batch ok, bad;
  ok.ops.push_back(op(op_kind::put, "c", "a", R"({"v":1})"));
  bad.ops.push_back(op(op_kind::put, "c", "b", "{}"));
  bad.ops.push_back(op(op_kind::replace, "c", "missing", "{}")); // fails
  auto res = writer_->commit_group({&ok, &bad});
  auto events = writer_->take_committed();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sequence, 1u);
  EXPECT_EQ(events[0].key, "a");
  EXPECT_NE(events[0].value.find("\"v\":1"), std::string::npos);
  one(op(op_kind::remove, "c", "a"));
  events = writer_->take_committed();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sequence, 2u);
  EXPECT_EQ(events[0].type, "DELETE");
}

TEST_F(store_test, compaction_by_count_and_age) {
  one(op(op_kind::create_collection, "c"));
  for (int i = 0; i < 10; ++i)
    one(op(op_kind::put, "c", "k" + std::to_string(i), "{}"));
  EXPECT_EQ(reader_->compacted_through(), 0u);
  EXPECT_EQ(writer_->compact(4, 0, 0), 6u);
  EXPECT_EQ(reader_->compacted_through(), 6u);
  auto log = reader_->changes_after(0, 100);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log.front().sequence, 7u);
  EXPECT_EQ(writer_->compact(4, 0, 0), 0u); // idempotent
  // everything older than "now + 1 h" is gone by age
  auto far_future = log.back().timestamp_ms + 3600 * 1000;
  EXPECT_EQ(writer_->compact(0, 1000, far_future), 4u);
  EXPECT_EQ(reader_->compacted_through(), 10u);
  open(); // survives restart, and new writes continue densely
  EXPECT_EQ(reader_->compacted_through(), 10u);
  EXPECT_EQ(one(op(op_kind::put, "c", "z", "{}")).sequence, 11u);
}

/// Issue 17: the nesting limit, scanned before nlohmann or SQLite see the
/// text; the writer refuses deeper documents from every front-end.
TEST(json_limits, depth_scan_ignores_strings_and_stops_early) {
  EXPECT_EQ(themis::json_depth("{}"), 1u);
  EXPECT_EQ(themis::json_depth(R"({"a":[1,{"b":[]}]})"), 4u);
  EXPECT_EQ(themis::json_depth(R"({"a":"[[[[\"[["})"), 1u);
  EXPECT_EQ(themis::json_depth("42"), 0u);
  EXPECT_EQ(themis::json_depth(std::string(100000, '['), 10), 11u);
  nlohmann::json j;
  using themis::engine::json_parse_status;
  EXPECT_EQ(themis::engine::parse_untrusted_json(
              std::string(200, '[') + std::string(200, ']'), j),
            json_parse_status::too_deep);
  EXPECT_TRUE(j.is_discarded());
  EXPECT_EQ(themis::engine::parse_untrusted_json("[1,", j),
            json_parse_status::malformed);
  EXPECT_EQ(themis::engine::parse_untrusted_json(R"({"a":[[1]]})", j),
            json_parse_status::ok);
  // (fuzz_json) nlohmann stops at a NUL: what follows one is refused, a
  // trailing terminator is tolerated
  using namespace std::string_literals;
  nlohmann::json k;
  EXPECT_EQ(themis::engine::parse_untrusted_json("97\0[[[[[["s, k),
            json_parse_status::malformed);
  EXPECT_EQ(themis::engine::parse_untrusted_json("97\0"s, k),
            json_parse_status::ok);
  EXPECT_EQ(j["a"][0][0], 1);
}

TEST_F(store_test, documents_past_the_nesting_limit_are_refused) {
  one(op(op_kind::create_collection, "c"));
  auto deep = "{\"x\":" + std::string(2000, '[') + std::string(2000, ']') + "}";
  auto r = one(op(op_kind::put, "c", "d", deep));
  EXPECT_EQ(r.status, op_status::invalid);
  EXPECT_NE(r.message.find("limits.max_json_depth"), std::string::npos);
  EXPECT_FALSE(reader_->get("c", "d"));
  auto ok = "{\"x\":" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(one(op(op_kind::put, "c", "d", ok)).status, op_status::created);
}
