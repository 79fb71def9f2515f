#pragma once
/// The process_* families every Prometheus client library exports (CPU,
/// memory, file descriptors, threads, start time), read from /proc/self on
/// each scrape.

namespace themis {

class prometheus_text;

void render_process_metrics(prometheus_text& out);

} // namespace themis
