/// W3C Trace Context parsing (the spec's valid and invalid forms), ids,
/// sampling, the OTLP/JSON encoding, and the bounded export queue.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tracing/tracer.hpp"

using namespace themis::tracing;

TEST(traceparent, parses_and_formats_version_00) {
  auto c = parse_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(c);
  EXPECT_EQ(to_hex(c->trace), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(to_hex(c->span), "00f067aa0ba902b7");
  EXPECT_TRUE(c->sampled);
  EXPECT_EQ(format_traceparent(c->trace, c->span, true),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto u = parse_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->sampled);
  // a future version: its first four fields are read, more may follow
  EXPECT_TRUE(parse_traceparent(
    "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-extra"));
}

TEST(traceparent, refuses_malformed_values) {
  const char* bad[] = {
    "",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", // 00 + more
    "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero span
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
    "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",  // dashes
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",  // flags
    "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version
    "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", // no dash
  };
  for (auto* v : bad)
    EXPECT_FALSE(parse_traceparent(v)) << v;
}

TEST(tracestate, kept_when_well_formed) {
  EXPECT_EQ(sanitize_tracestate("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"),
            "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_EQ(sanitize_tracestate(std::string(513, 'a')), "");
  EXPECT_EQ(sanitize_tracestate("a=\x01"), "");
  std::string many;
  for (int i = 0; i < 33; ++i)
    many += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  EXPECT_EQ(sanitize_tracestate(many), "");
}

TEST(ids, random_and_never_zero) {
  EXPECT_NE(new_trace_id(), new_trace_id());
  EXPECT_NE(new_span_id(), span_id{});
}

namespace {

tracer_config closed_port_config() {
  tracer_config c;
  c.enabled = true;
  c.endpoint = "http://127.0.0.1:9/v1/traces"; // discard: nobody listens
  c.flush_interval_ms = 60000;
  c.export_timeout_ms = 200;
  return c;
}

} // namespace

TEST(tracer, off_records_nothing_and_costs_no_ids) {
  tracer t;
  auto s = t.start_span("x", span_kind::server);
  EXPECT_FALSE(s.recording());
  EXPECT_EQ(t.stats().started, 0u);
}

TEST(tracer, parent_based_and_ratio_sampling) {
  tracer t;
  auto cfg = closed_port_config();
  cfg.sample_ratio = 0.0;
  t.start(cfg);
  auto root = t.start_span("root", span_kind::server);
  EXPECT_FALSE(root.recording()); // ratio 0
  auto parent = *parse_traceparent(
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto child = t.start_span("child", span_kind::server, &parent, true);
  EXPECT_TRUE(child.recording()); // a sampled parent wins
  EXPECT_EQ(child.context().trace, parent.trace);
  EXPECT_EQ(child.traceparent().substr(0, 36),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-");
  parent.sampled = false;
  auto unsampled = t.start_span("u", span_kind::server, &parent, true);
  EXPECT_FALSE(unsampled.recording());
  EXPECT_EQ(unsampled.traceparent().substr(53), "00"); // still propagated
  t.stop();
}

TEST(tracer, encodes_otlp_json) {
  tracer t;
  auto cfg = closed_port_config();
  cfg.service_version = "9.9";
  cfg.resource_attributes = "deployment.environment=test";
  t.start(cfg);
  span_data s;
  s.trace = new_trace_id();
  s.id = new_span_id();
  s.parent = new_span_id();
  s.has_parent = true;
  s.name = "GET /health";
  s.kind = span_kind::server;
  s.start_ns = 1;
  s.end_ns = 2;
  s.attributes = {{"http.response.status_code", int64_t{200}},
                  {"url.path", std::string("/health")}};
  s.status = 2;
  s.status_message = "boom";
  auto j = nlohmann::json::parse(t.encode({s}));
  auto& rs = j["resourceSpans"][0];
  EXPECT_EQ(rs["resource"]["attributes"][0]["key"], "service.name");
  auto& sp = rs["scopeSpans"][0]["spans"][0];
  EXPECT_EQ(sp["traceId"], to_hex(s.trace));
  EXPECT_EQ(sp["parentSpanId"], to_hex(s.parent));
  EXPECT_EQ(sp["kind"], 2);
  EXPECT_EQ(sp["startTimeUnixNano"], "1");
  EXPECT_EQ(sp["attributes"][0]["value"]["intValue"], "200");
  EXPECT_EQ(sp["status"]["code"], 2);
  EXPECT_NE(j.dump().find("deployment.environment"), std::string::npos);
  t.stop();
}

TEST(tracer, full_queue_drops_and_counts_never_blocks) {
  tracer t;
  auto cfg = closed_port_config();
  cfg.max_queue_spans = 3;
  cfg.max_batch_spans = 1000; // nothing wakes the exporter early
  t.start(cfg);
  for (int i = 0; i < 10; ++i)
    t.start_span("s", span_kind::internal).end();
  auto st = t.stats();
  EXPECT_EQ(st.started, 10u);
  EXPECT_EQ(st.dropped, 7u);
  t.stop(); // exports the 3 (and fails: nobody listens)
  EXPECT_EQ(t.stats().failed, 3u);
}
