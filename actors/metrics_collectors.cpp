#include "actors/metrics_collectors.hpp"

#include <sys/stat.h>

#include "actors/mqtt_broker.hpp"
#include "actors/server_context.hpp"
#include "engine/store_schema.hpp"
#include "handlers/prometheus_text.hpp"
#include "tracing/tracer.hpp"

namespace themis {

namespace {

int64_t file_bytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

} // namespace

void add_metric_collectors(server_context& ctx, const char* version) {
  ctx.metrics.set_version(version ? version : "unknown");
  auto* c = &ctx; // the context outlives every scrape
  ctx.metrics.add_collector([c](prometheus_text& out) {
    if (c->mqtt)
      c->mqtt->render_metrics(out);
  });
  ctx.metrics.add_collector([](prometheus_text& out) {
    auto& t = tracing::tracer::global();
    if (!t.enabled())
      return;
    auto st = t.stats();
    out.single("themis_tracing_spans_started_total", "counter",
               "Sampled spans started.", static_cast<int64_t>(st.started));
    out.single("themis_tracing_spans_exported_total", "counter",
               "Spans the OTLP receiver accepted.",
               static_cast<int64_t>(st.exported));
    out.single("themis_tracing_spans_dropped_total", "counter",
               "Spans dropped because the export queue was full.",
               static_cast<int64_t>(st.dropped));
    out.single("themis_tracing_spans_failed_total", "counter",
               "Spans whose export failed (receiver down or refusing).",
               static_cast<int64_t>(st.failed));
  });
  engine::store_options so;
  so.data_dir = ctx.config.engine.data_dir;
  ctx.metrics.add_collector(
    [c, db = engine::database_path(so)](prometheus_text& out) {
      out.single("themis_engine_database_bytes", "gauge",
                 "Size of the main SQLite database file.", file_bytes(db));
      out.single("themis_engine_wal_bytes", "gauge",
                 "Size of the SQLite write-ahead log (shrinks at checkpoints).",
                 file_bytes(db + "-wal"));
      if (!c->reader)
        return;
      out.single("themis_engine_reader_waits_total", "counter",
                 "Reads that waited for a free connection of the reader pool.",
                 c->reader->waits());
      out.single("themis_engine_reader_wait_seconds_total", "counter",
                 "Time reads spent waiting for a reader pool connection.",
                 static_cast<double>(c->reader->wait_ns()) / 1e9);
    });
}

} // namespace themis
