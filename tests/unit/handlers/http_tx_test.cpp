#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "handlers/http_tx_store.hpp"

using namespace themis;
using engine::op_kind;
using engine::op_status;
using json = nlohmann::json;

namespace {

principal user(std::string name, std::string tenant = "") {
  return principal{std::move(name), std::move(tenant), {}, "jwt", {}};
}

/// A committed store of two documents.
struct fixture {
  std::map<std::pair<std::string, std::string>, engine::document> docs{
    {{"c", "a"}, {"a", "7", R"({"_key":"a","_rev":"7","v":1})"}},
    {{"c", "b"}, {"b", "8", R"({"_key":"b","_rev":"8","v":2})"}}};
  committed_reader reader =
    [this](const std::string& c,
           const std::string& k) -> std::optional<engine::document> {
    auto it = docs.find({c, k});
    if (it == docs.end())
      return std::nullopt;
    return it->second;
  };
};

engine::write_batch one(op_kind kind, std::string key, std::string doc = "") {
  engine::write_batch b;
  engine::write_op op;
  op.kind = kind;
  op.collection = "c";
  op.key = std::move(key);
  op.doc = std::move(doc);
  b.ops.push_back(op);
  return b;
}

} // namespace

TEST(http_tx, stages_and_reads_its_own_writes) {
  fixture f;
  http_tx_store store;
  std::string err;
  auto tx = store.begin(user("u"), http_tx::isolation::read_committed, {}, err);
  ASSERT_TRUE(tx);
  EXPECT_EQ(tx->id().size(), 32u);
  auto r =
    tx->stage(one(op_kind::put, "n", R"({"x":1})"), f.reader, store.limits());
  ASSERT_TRUE(r.committed);
  EXPECT_EQ(r.results[0].status, op_status::created);
  auto seen = tx->read("c", "n", f.reader);
  ASSERT_TRUE(seen);
  EXPECT_EQ(json::parse(*seen)["x"], 1);
  r = tx->stage(one(op_kind::remove, "a"), f.reader, store.limits());
  EXPECT_EQ(r.results[0].status, op_status::ok);
  EXPECT_FALSE(tx->read("c", "a", f.reader));
  // the committed store is untouched until commit
  EXPECT_TRUE(f.reader("c", "a"));
  auto b = tx->commit_batch("");
  ASSERT_EQ(b.ops.size(), 3u); // put n, remove a, marker
  EXPECT_TRUE(b.atomic);
  EXPECT_EQ(b.ops.back().kind, op_kind::marker);
  EXPECT_EQ(b.ops.back().event_type, "TRANSACTION_COMMIT");
  EXPECT_EQ(b.ops.back().key, tx->id());
}

TEST(http_tx, errors_match_the_store_and_atomic_batches_stage_nothing) {
  fixture f;
  http_tx_store store;
  std::string err;
  auto tx = store.begin(user("u"), http_tx::isolation::read_committed, {}, err);
  EXPECT_EQ(tx->stage(one(op_kind::insert, "a", "{}"), f.reader, store.limits())
              .results[0]
              .status,
            op_status::conflict);
  EXPECT_EQ(
    tx->stage(one(op_kind::replace, "zz", "{}"), f.reader, store.limits())
      .results[0]
      .status,
    op_status::not_found);
  EXPECT_EQ(tx->stage(one(op_kind::put, "a", "[1]"), f.reader, store.limits())
              .results[0]
              .status,
            op_status::invalid);
  auto b = one(op_kind::put, "ok", "{}");
  b.ops.push_back(one(op_kind::replace, "missing", "{}").ops[0]);
  auto r = tx->stage(b, f.reader, store.limits());
  EXPECT_FALSE(r.committed);
  EXPECT_EQ(r.results[0].status, op_status::not_executed);
  EXPECT_FALSE(tx->read("c", "ok", f.reader));
  EXPECT_EQ(tx->staged_keys(), 0u);
  EXPECT_TRUE(tx->commit_batch("").ops.empty());
}

TEST(http_tx, snapshot_commits_with_the_revisions_it_saw) {
  fixture f;
  http_tx_store store;
  std::string err;
  auto tx = store.begin(user("u"), http_tx::isolation::snapshot, {}, err);
  ASSERT_TRUE(tx->read("c", "a", f.reader));
  // a later committed change is not seen: the snapshot is repeatable
  f.docs[{"c", "a"}] = {"a", "9", R"({"_key":"a","_rev":"9","v":5})"};
  EXPECT_EQ(json::parse(*tx->read("c", "a", f.reader))["v"], 1);
  tx->stage(one(op_kind::patch, "a", R"({"w":2})"), f.reader, store.limits());
  tx->stage(one(op_kind::put, "new", "{}"), f.reader, store.limits());
  auto b = tx->commit_batch("acme.");
  ASSERT_EQ(b.ops.size(), 3u);
  EXPECT_EQ(b.ops[0].kind, op_kind::replace); // a: must still be rev 7
  EXPECT_EQ(b.ops[0].if_match, "7");
  EXPECT_EQ(json::parse(b.ops[0].doc)["w"], 2);
  EXPECT_EQ(b.ops[1].kind, op_kind::insert); // new: must still be absent
  EXPECT_EQ(b.ops[2].collection, "acme.");
}

TEST(http_tx, owner_bounds_and_ending) {
  http_tx_limits lim;
  lim.max_per_principal = 2;
  lim.max_keys = 2;
  http_tx_store store(lim);
  std::string err;
  auto a = store.begin(user("u"), http_tx::isolation::read_committed, {}, err);
  auto b = store.begin(user("u"), http_tx::isolation::read_committed, {}, err);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(
    store.begin(user("u"), http_tx::isolation::read_committed, {}, err));
  EXPECT_FALSE(err.empty());
  EXPECT_TRUE(
    store.begin(user("v"), http_tx::isolation::read_committed, {}, err));
  EXPECT_FALSE(store.find(a->id(), user("v")));
  EXPECT_FALSE(store.find(a->id(), user("u", "acme")));
  EXPECT_TRUE(store.find(a->id(), user("u")));
  fixture f;
  {
    EXPECT_TRUE(
      a->stage(one(op_kind::put, "1", "{}"), f.reader, lim).committed);
    EXPECT_TRUE(
      a->stage(one(op_kind::put, "2", "{}"), f.reader, lim).committed);
    EXPECT_EQ(
      a->stage(one(op_kind::put, "3", "{}"), f.reader, lim).results[0].status,
      op_status::invalid);
  }
  auto taken = store.take_for_commit(a->id(), user("u"));
  ASSERT_TRUE(taken);
  EXPECT_FALSE(store.find(a->id(), user("u"))); // busy committing
  store.finish_commit(taken, true, true);
  EXPECT_FALSE(store.find(a->id(), user("u")));
  EXPECT_TRUE(store.rollback(b->id(), user("u")));
  EXPECT_FALSE(store.rollback(b->id(), user("u")));
  auto s = store.stats();
  EXPECT_EQ(s.committed, 1u);
  EXPECT_EQ(s.aborted, 1u);
  EXPECT_EQ(s.begun, 3u);
}

TEST(http_tx, idle_transactions_expire) {
  http_tx_store store;
  std::string err;
  auto tx = store.begin(user("u"), http_tx::isolation::read_committed,
                        std::chrono::milliseconds(1), err);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(store.find(tx->id(), user("u")));
  EXPECT_EQ(store.stats().active, 0u);
}
