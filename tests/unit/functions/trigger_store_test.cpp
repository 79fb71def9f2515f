/// Durable triggers without a server: matching, limits, checkpoints that
/// survive reopening, removal with the function.

#include "functions/trigger_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace themis::functions {
namespace {

class TriggerStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trigger_store_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "functions.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static trigger_spec change(const std::string& tenant, const std::string& fn,
                             const std::string& coll) {
    trigger_spec t;
    t.tenant = tenant;
    t.function = fn;
    t.collection = coll;
    t.user = "alice";
    t.via = "jwt";
    t.scopes = {"data:read", "data:write"};
    return t;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(TriggerStoreTest, MatchesCollectionOperationAndKeyPrefix) {
  auto t = change("acme", "f", "orders");
  t.on_delete = false;
  t.key_prefix = "eu-";
  EXPECT_TRUE(t.matches("PUT", "acme.orders", "eu-1"));
  EXPECT_FALSE(t.matches("DELETE", "acme.orders", "eu-1"));
  EXPECT_FALSE(t.matches("PUT", "acme.orders", "us-1"));
  EXPECT_FALSE(t.matches("PUT", "orders", "eu-1"));      // global namespace
  EXPECT_FALSE(t.matches("PUT", "beta.orders", "eu-1")); // another tenant
  EXPECT_FALSE(t.matches("TRANSACTION_COMMIT", "acme.", ""));
  auto global = change("", "f", "orders");
  EXPECT_TRUE(global.matches("DELETE", "orders", "k"));
  EXPECT_FALSE(global.matches("PUT", "acme.orders", "k"));
  global.kind = trigger_spec::source::mqtt;
  EXPECT_FALSE(global.matches("PUT", "orders", "k"));
}

TEST_F(TriggerStoreTest, StoresReopensAndKeepsCheckpoints) {
  std::string id;
  {
    trigger_store s(path_, 1000);
    auto gen = s.generation();
    std::string error;
    auto t = change("acme", "f", "orders");
    t.checkpoint = 7;
    id = s.create(t, error);
    ASSERT_FALSE(id.empty()) << error;
    EXPECT_EQ(id.size(), 32u);
    EXPECT_GT(s.generation(), gen);
    s.set_checkpoint(id, 42);
  }
  trigger_store s(path_, 1000);
  auto all = s.all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, id);
  EXPECT_EQ(all[0].checkpoint, 42u);
  EXPECT_EQ(all[0].collection, "orders");
  EXPECT_EQ(all[0].via, "jwt");
  EXPECT_EQ(all[0].scopes.size(), 2u);
  EXPECT_EQ(s.list("acme", "f").size(), 1u);
  EXPECT_TRUE(s.list("beta", "f").empty()); // keyed by tenant
  EXPECT_FALSE(s.remove("beta", "f", id));
  EXPECT_TRUE(s.remove("acme", "f", id));
  EXPECT_TRUE(s.all().empty());
}

TEST_F(TriggerStoreTest, LimitsPerFunctionAndRemovalWithTheFunction) {
  trigger_store s(path_, 1000);
  std::string error;
  for (size_t i = 0; i < trigger_store::max_per_function; ++i)
    ASSERT_FALSE(s.create(change("acme", "f", "c"), error).empty());
  EXPECT_TRUE(s.create(change("acme", "f", "c"), error).empty());
  EXPECT_NE(error.find("16 triggers"), std::string::npos) << error;
  EXPECT_FALSE(s.create(change("acme", "g", "c"), error).empty());
  s.remove_function("acme", "f");
  EXPECT_EQ(s.all().size(), 1u);
}

} // namespace
} // namespace themis::functions
