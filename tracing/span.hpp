#pragma once
/// One span (OpenTelemetry's data model, the subset themisd records) and
/// the handle code holds while the span runs. A handle of an unsampled or
/// disabled trace records nothing but still carries ids, so the context
/// propagates (traceparent with flags 00) at the cost of two words.

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tracing/trace_context.hpp"

namespace themis::tracing {

class tracer;

/// SpanKind as OTLP numbers it.
enum class span_kind : int {
  internal = 1,
  server = 2,
  client = 3,
  producer = 4,
  consumer = 5
};

using attr_value = std::variant<std::string, int64_t, double, bool>;

struct span_data {
  trace_id trace{};
  span_id id{};
  span_id parent{};
  bool has_parent = false;
  bool remote_parent = false;
  std::string name;
  span_kind kind = span_kind::internal;
  uint64_t start_ns = 0; ///< Unix epoch
  uint64_t end_ns = 0;
  std::vector<std::pair<std::string, attr_value>> attributes;
  int status = 0; ///< 0 unset, 1 ok, 2 error (OTLP StatusCode)
  std::string status_message;
};

class span {
public:
  span() = default;
  span(tracer* owner, span_data data, bool sampled) :
    owner_(sampled ? owner : nullptr), data_(std::move(data)),
    sampled_(sampled) {}
  span(span&& other) noexcept { *this = std::move(other); }
  span& operator=(span&& other) noexcept;
  span(const span&) = delete;
  span& operator=(const span&) = delete;
  ~span() { end(); }

  /// Records (sampled, tracing on, not yet ended).
  bool recording() const { return owner_ != nullptr; }

  /// The context children and outgoing calls carry.
  trace_context context() const;

  /// "00-…" for an outgoing traceparent (also when not sampled).
  std::string traceparent() const;

  void set(std::string key, attr_value value) {
    if (owner_)
      data_.attributes.emplace_back(std::move(key), std::move(value));
  }
  void set_error(std::string message) {
    if (owner_) {
      data_.status = 2;
      data_.status_message = std::move(message);
    }
  }
  const std::string& name() const { return data_.name; }
  void rename(std::string name) {
    if (owner_)
      data_.name = std::move(name);
  }

  /// Ends the span (once) and hands it to the exporter.
  void end();

private:
  tracer* owner_ = nullptr;
  span_data data_;
  bool sampled_ = false;
};

} // namespace themis::tracing
