#pragma once
/// The process's tracer (issue 28): starts spans (parent-based ratio
/// sampling), batches ended ones in a bounded queue and exports them over
/// OTLP/HTTP (JSON encoding) from one background thread. A full queue
/// drops and counts; nothing on a request's path ever waits for the
/// exporter. No CAF: handlers, actors and front-ends all call it.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tracing/span.hpp"

namespace themis::tracing {

struct tracer_config {
  bool enabled = false;
  /// OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces.
  std::string endpoint = "http://127.0.0.1:4318/v1/traces";
  double sample_ratio = 1.0; ///< for traces this process starts
  std::string service_name = "themisd";
  std::string service_version;
  std::string service_instance; ///< service.instance.id (host:port)
  /// More resource attributes: "key=value,key2=value2".
  std::string resource_attributes;
  std::string headers; ///< "Name: value; Name2: value2" on each export
  size_t max_queue_spans = 4096;
  size_t max_batch_spans = 512;
  uint32_t flush_interval_ms = 1000;
  uint32_t export_timeout_ms = 5000;
};

struct tracer_stats {
  uint64_t started = 0;  ///< sampled spans
  uint64_t exported = 0; ///< accepted by the receiver
  uint64_t dropped = 0;  ///< the queue was full
  uint64_t failed = 0;   ///< export failed (receiver down, non-2xx)
};

class tracer {
public:
  tracer() = default;
  ~tracer();
  tracer(const tracer&) = delete;
  tracer& operator=(const tracer&) = delete;

  /// The process-wide tracer.
  static tracer& global();

  /// Starts exporting (config.enabled); safe to call once.
  void start(tracer_config cfg);
  /// Exports what is queued (bounded by export_timeout_ms) and stops.
  void stop();

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  /// A span whose parent is `parent` (a remote context from a traceparent
  /// or a local one from span::context()), or a new trace.
  span start_span(std::string name, span_kind kind,
                  const trace_context* parent = nullptr,
                  bool remote_parent = false);

  /// Takes an ended span (span::end calls it).
  void submit(span_data&& s);

  tracer_stats stats() const;

  /// The OTLP/JSON body for `spans` (exposed for tests).
  std::string encode(const std::vector<span_data>& spans) const;

private:
  void run();
  bool post(const std::string& body);

  tracer_config cfg_;
  std::atomic<bool> enabled_{false};
  std::atomic<uint64_t> started_{0}, exported_{0}, dropped_{0}, failed_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<span_data> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

/// Nanoseconds since the Unix epoch.
uint64_t now_unix_ns();

} // namespace themis::tracing
