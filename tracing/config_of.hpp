#pragma once
/// The tracer's settings from the `tracing:` configuration section.

#include <string>

#include "themis/server_config.hpp"
#include "tracing/tracer.hpp"

namespace themis::tracing {

inline tracer_config config_of(const tracing_section& t,
                               const std::string& version,
                               const std::string& instance) {
  tracer_config c;
  c.enabled = t.enabled;
  c.endpoint = t.endpoint;
  c.sample_ratio = t.sample_ratio;
  c.service_name = t.service_name;
  c.service_version = version;
  c.service_instance = instance;
  c.resource_attributes = t.resource_attributes;
  c.headers = t.headers;
  c.max_queue_spans = t.max_queue_spans;
  c.max_batch_spans = t.max_batch_spans;
  c.flush_interval_ms = t.flush_interval_ms;
  c.export_timeout_ms = t.export_timeout_ms;
  return c;
}

} // namespace themis::tracing
