// ThemisDB changefeed compatibility: transaction markers in the filter,
// ThemisDB's event JSON and WebSocket frames, and the consumer offset
// store (tenant scoping, bounds, cumulative acks, persistence).

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "handlers/change_filter.hpp"
#include "handlers/consumer_offsets.hpp"
#include "handlers/themisdb_events.hpp"

using namespace themis;
using json = nlohmann::json;

namespace {

engine::change_event ev(uint64_t seq, std::string type, std::string coll,
                        std::string key, std::string value = {}) {
  return {
    seq, std::move(type), std::move(coll), std::move(key), std::move(value),
    1000};
}

engine::change_event marker(uint64_t seq, std::string tenant_prefix,
                            std::string type = "TRANSACTION_COMMIT") {
  return ev(seq, std::move(type), std::move(tenant_prefix), "tx-1",
            R"({"transaction_id":"tx-1","operations":3})");
}

change_filter filter_for(const principal& who, event_format f) {
  change_filter c;
  c.format = f;
  c.scope_to(who);
  return c;
}

const principal global_admin{"root", "", {"admin"}, "jwt", {}};
const principal global_user{"u", "", {"cdc:read"}, "jwt", {}};
const principal tenant_a{"a", "acme", {"cdc:read"}, "jwt", {}};

} // namespace

TEST(ChangeFilter, MarkersAreRecognisedByTheirCollection) {
  EXPECT_TRUE(is_marker(marker(1, "")));
  EXPECT_TRUE(is_marker(marker(1, "acme.")));
  EXPECT_FALSE(is_marker(ev(1, "PUT", "acme.orders", "k")));
  EXPECT_EQ(marker_tenant(marker(1, "acme.")), "acme");
  EXPECT_EQ(marker_tenant(marker(1, "")), "");
}

TEST(ChangeFilter, NativeSubscribersNeverSeeMarkers) {
  auto f = filter_for(global_admin, event_format::native);
  EXPECT_FALSE(f.matches(marker(1, "")));
  EXPECT_FALSE(f.matches(marker(2, "acme.")));
  EXPECT_TRUE(f.matches(ev(3, "PUT", "users", "k", "{}")));
}

TEST(ChangeFilter, MarkersStayInTheirTenant) {
  auto admin = filter_for(global_admin, event_format::themisdb);
  auto user = filter_for(global_user, event_format::themisdb);
  auto acme = filter_for(tenant_a, event_format::themisdb);
  EXPECT_TRUE(admin.matches(marker(1, "")));
  EXPECT_TRUE(admin.matches(marker(2, "acme.")));
  EXPECT_TRUE(user.matches(marker(3, "")));
  EXPECT_FALSE(user.matches(marker(4, "acme.")));
  EXPECT_TRUE(acme.matches(marker(5, "acme.")));
  EXPECT_FALSE(acme.matches(marker(6, "beta.")));
  EXPECT_FALSE(acme.matches(marker(7, "")));
  // a collection or key filter is about documents: markers do not pass
  acme.key_prefix = "orders:";
  EXPECT_FALSE(acme.matches(marker(8, "acme.")));
}

TEST(ChangeFilter, EventTypesAndFormatParameters) {
  change_filter f;
  EXPECT_FALSE(change_filter::parse(
    "format=themisdb&event_types=TRANSACTION_ROLLBACK", f));
  f.scope_to(global_admin);
  EXPECT_EQ(f.format, event_format::themisdb);
  EXPECT_FALSE(f.matches(marker(1, "")));
  EXPECT_TRUE(f.matches(marker(2, "", "TRANSACTION_ROLLBACK")));
  EXPECT_FALSE(f.matches(ev(3, "PUT", "users", "k", "{}")));
  change_filter g;
  EXPECT_TRUE(change_filter::parse("format=csv", g));
  EXPECT_TRUE(change_filter::parse("event_types=COMMIT", g));
}

TEST(ChangeFilter, ThemisdbKeyPrefixIsOnTableColonPk) {
  auto f = filter_for(global_user, event_format::themisdb);
  f.key_prefix = "relational.default.users:4";
  EXPECT_TRUE(f.matches(ev(1, "PUT", "relational__default__users", "42")));
  EXPECT_FALSE(f.matches(ev(2, "PUT", "relational__default__users", "52")));
  EXPECT_FALSE(f.matches(ev(3, "PUT", "relational__default__orders", "4")));
}

TEST(ThemisdbEvents, PutDeleteAndMarkerShapes) {
  auto put = json::parse(
    themisdb_event_json(ev(7, "PUT", "relational__default__users", "42",
                           R"({"_key":"42","_rev":"7","name":"Ada"})"),
                        "relational.default.users"));
  EXPECT_EQ(put, json::parse(R"({"key":"relational.default.users:42",
    "metadata":{"pk":"42","table":"relational.default.users"},
    "sequence":7,"timestamp_ms":1000,"type":"PUT",
    "value":"{\"name\":\"Ada\"}"})"));
  auto del = json::parse(themisdb_event_json(ev(8, "DELETE", "t", "1"), "t"));
  EXPECT_TRUE(del["value"].is_null());
  auto m = json::parse(themisdb_event_json(marker(9, ""), ""));
  EXPECT_EQ(m, json::parse(R"({"key":"","metadata":{"operations":3,
    "transaction_id":"tx-1"},"sequence":9,"timestamp_ms":1000,
    "type":"TRANSACTION_COMMIT","value":null})"));
  // keys in alphabetical order, as ThemisDB's nlohmann output
  auto text = themisdb_event_json(ev(10, "DELETE", "t", "1"), "t");
  EXPECT_EQ(text.find("\"key\""), 1u);
}

TEST(ThemisdbEvents, WebSocketFrames) {
  auto del = json::parse(themisdb_ws_frame(ev(8, "DELETE", "t", "1"), "t"));
  EXPECT_EQ(del["type"], "cdc_event");
  EXPECT_EQ(del["event_type"], 1);
  EXPECT_FALSE(del.contains("value"));
  auto m = json::parse(
    themisdb_ws_frame(marker(9, "acme.", "TRANSACTION_ROLLBACK"), ""));
  EXPECT_EQ(m["event_type"], 3);
  EXPECT_EQ(m["metadata"]["transaction_id"], "tx-1");
  EXPECT_EQ(themisdb_event_ordinal("TRANSACTION_COMMIT"), 2);
  EXPECT_EQ(themisdb_event_ordinal("whatever"), 0);
}

class ConsumerOffsets : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("themis_consumers_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "c.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ConsumerOffsets, ValidIds) {
  EXPECT_TRUE(consumer_offsets::valid_id("a-b_c.d:1"));
  EXPECT_TRUE(consumer_offsets::valid_id(std::string(128, 'x')));
  EXPECT_FALSE(consumer_offsets::valid_id(""));
  EXPECT_FALSE(consumer_offsets::valid_id(std::string(129, 'x')));
  EXPECT_FALSE(consumer_offsets::valid_id("a b"));
  EXPECT_FALSE(consumer_offsets::valid_id("a/b"));
}

TEST_F(ConsumerOffsets, TenantsHaveTheirOwnIds) {
  consumer_offsets s(path_);
  consumer_offsets::position p;
  ASSERT_FALSE(s.attach("acme", "x", 10, p));
  EXPECT_FALSE(p.known);
  ASSERT_FALSE(s.attach("beta", "x", 20, p));
  EXPECT_FALSE(p.known); // not acme's "x"
  s.sent("acme", "x", 11, 0);
  EXPECT_EQ(s.ack("beta", "x", 11), 0u);
  EXPECT_EQ(s.ack("acme", "x", 11), 1u);
  EXPECT_EQ(s.acked("acme", "x"), 11u);
  EXPECT_EQ(s.acked("beta", "x"), 20u);
}

TEST_F(ConsumerOffsets, DueRedeliveryAndCumulativeAck) {
  consumer_offsets s(path_);
  consumer_offsets::position p;
  ASSERT_FALSE(s.attach("", "c", 0, p));
  for (uint64_t q = 1; q <= 5; ++q)
    ASSERT_TRUE(s.sent("", "c", q, 1000));
  EXPECT_TRUE(s.due("", "c", 500, 1200).empty());
  EXPECT_EQ(s.due("", "c", 500, 1500), (std::vector<uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(s.due("", "c", 500, 1600).empty()); // timers restarted
  EXPECT_EQ(s.ack("", "c", 3), 3u);               // inclusive
  EXPECT_EQ(s.due("", "c", 500, 2000), (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(s.ack("", "c", 2), 0u); // behind: nothing, position kept
  EXPECT_EQ(s.acked("", "c"), 3u);
}

TEST_F(ConsumerOffsets, PendingAndConsumerBounds) {
  consumer_offsets s(path_);
  consumer_offsets::position p;
  ASSERT_FALSE(s.attach("", "c", 0, p));
  for (uint64_t q = 1; q <= consumer_offsets::max_pending; ++q)
    ASSERT_TRUE(s.sent("", "c", q, 0));
  EXPECT_FALSE(s.sent("", "c", consumer_offsets::max_pending + 1, 0));
  EXPECT_TRUE(s.sent("", "c", 5, 0)); // sent again: not a new one
  for (size_t i = 1; i < consumer_offsets::max_consumers; ++i)
    ASSERT_FALSE(s.attach("t", "c" + std::to_string(i), 0, p));
  ASSERT_FALSE(s.attach("t", "c0", 0, p));
  EXPECT_TRUE(s.attach("t", "one-more", 0, p).has_value());
  EXPECT_FALSE(s.attach("u", "one-more", 0, p)); // per tenant
  EXPECT_FALSE(s.attach("t", "c0", 0, p));       // known ids still open
}

TEST_F(ConsumerOffsets, AcknowledgedPositionIsPersisted) {
  {
    consumer_offsets s(path_);
    consumer_offsets::position p;
    ASSERT_FALSE(s.attach("acme", "keep", 4, p));
    s.sent("acme", "keep", 5, 0);
    s.sent("acme", "keep", 6, 0);
    s.ack("acme", "keep", 5);
  }
  consumer_offsets s(path_);
  consumer_offsets::position p;
  ASSERT_FALSE(s.attach("acme", "keep", 0, p));
  EXPECT_TRUE(p.known);
  EXPECT_EQ(p.acked, 5u);
  EXPECT_EQ(p.sent, 5u); // pending is memory only: 6 comes again
}
