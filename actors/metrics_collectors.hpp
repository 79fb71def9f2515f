#pragma once
/// Registers the /metrics families owned outside the registry: the MQTT
/// broker's and the engine's (files, reader pool), and the build info.

namespace themis {

struct server_context;

/// Call once at start, after the broker and the engine exist.
void add_metric_collectors(server_context& ctx, const char* version);

} // namespace themis
