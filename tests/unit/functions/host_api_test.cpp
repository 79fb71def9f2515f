/// The host API's AQL and MQTT calls over a recording fake host: strings
/// in and out of linear memory, the short-buffer protocol, bad pointers
/// and refusals answered as results (never a trap).

#include "functions/wasm_runtime.hpp"

#include <gtest/gtest.h>

#include "tests/unit/functions/wat.hpp"

namespace themis::functions {
namespace {

using test::wasi_module;

/// Answers `rows` to every query, records publishes; `refuse` makes both
/// calls answer `forbidden`.
class fake_host final : public host_api {
public:
  std::string rows = "[1,2,3]";
  bool refuse = false;
  std::vector<std::string> queries;
  std::vector<std::pair<std::string, std::string>> published;

  host_status get_document(std::string_view, std::string_view,
                           std::string&) override {
    return host_status::not_found;
  }
  host_status put_document(std::string_view, std::string_view,
                           std::string_view) override {
    return host_status::failed;
  }
  host_status aql_query(std::string_view q, std::string& out) override {
    if (refuse)
      return host_status::forbidden;
    queries.emplace_back(q);
    out = rows;
    return host_status::ok;
  }
  host_status mqtt_publish(std::string_view topic,
                           std::string_view payload) override {
    if (refuse)
      return host_status::forbidden;
    published.emplace_back(topic, payload);
    return host_status::ok;
  }
};

const char* imports = R"(
  (import "themis" "aql_query" (func $aql (param i32 i32 i32 i32) (result i32)))
  (import "themis" "mqtt_publish" (func $pub (param i32 i32 i32 i32) (result i32)))
  (data (i32.const 100) "RETURN 1")
  (data (i32.const 120) "out/x")
  (data (i32.const 130) "hi"))";

/// Runs `body`, then writes the i32 it left at 200 as stdout's 4 bytes.
invocation_result run(const std::string& body, fake_host& host) {
  auto c = compile_module(wasi_module(body + R"(
      (i32.store (i32.const 0) (i32.const 200))
      (i32.store (i32.const 4) (i32.const 4))
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1)
                            (i32.const 8))))",
                                      imports),
                          16);
  EXPECT_TRUE(c.module) << c.error;
  invocation_input in;
  in.args = {"fn"};
  in.host = &host;
  return c.module ? invoke(*c.module, in, {}) : invocation_result{};
}

int32_t result_of(const invocation_result& r) {
  int32_t v = 0;
  if (r.out.size() == 4)
    std::memcpy(&v, r.out.data(), 4);
  return v;
}

TEST(HostApi, AqlQueryCopiesRowsAndReportsTheirLength) {
  fake_host h;
  auto r = run(R"((i32.store (i32.const 200)
    (call $aql (i32.const 100) (i32.const 8) (i32.const 300) (i32.const 64))))",
               h);
  ASSERT_EQ(r.kind, outcome::ok) << r.message;
  EXPECT_EQ(result_of(r), 7);
  ASSERT_EQ(h.queries.size(), 1u);
  EXPECT_EQ(h.queries[0], "RETURN 1");
  // a short buffer: the length comes back, nothing is copied past it
  h.rows = std::string(100, 'x');
  r = run(R"((i32.store (i32.const 200)
    (call $aql (i32.const 100) (i32.const 8) (i32.const 300) (i32.const 10))))",
          h);
  EXPECT_EQ(result_of(r), 100);
}

TEST(HostApi, BadPointersAndRefusalsAreResultsNotTraps) {
  fake_host h;
  // the query outside memory; the buffer outside memory
  for (auto call : {"(call $aql (i32.const 65530) (i32.const 100) (i32.const "
                    "300) (i32.const 8))",
                    "(call $aql (i32.const 100) (i32.const 8) (i32.const "
                    "65536) (i32.const 8))",
                    "(call $pub (i32.const 120) (i32.const 5) (i32.const "
                    "-1) (i32.const 2))"}) {
    auto r = run(std::string("(i32.store (i32.const 200) ") + call + ")", h);
    ASSERT_EQ(r.kind, outcome::ok) << r.message;
    EXPECT_EQ(result_of(r), static_cast<int32_t>(host_status::invalid)) << call;
  }
  EXPECT_TRUE(h.queries.empty());
  h.refuse = true;
  auto r = run(R"((i32.store (i32.const 200)
    (call $pub (i32.const 120) (i32.const 5) (i32.const 130) (i32.const 2))))",
               h);
  EXPECT_EQ(r.kind, outcome::ok);
  EXPECT_EQ(result_of(r), static_cast<int32_t>(host_status::forbidden));
}

TEST(HostApi, MqttPublishPassesTopicAndPayload) {
  fake_host h;
  auto r = run(R"((i32.store (i32.const 200)
    (call $pub (i32.const 120) (i32.const 5) (i32.const 130) (i32.const 2))))",
               h);
  ASSERT_EQ(r.kind, outcome::ok) << r.message;
  EXPECT_EQ(result_of(r), 0);
  ASSERT_EQ(h.published.size(), 1u);
  EXPECT_EQ(h.published[0],
            std::make_pair(std::string("out/x"), std::string("hi")));
}

} // namespace
} // namespace themis::functions
