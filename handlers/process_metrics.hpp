#pragma once
/// The process_* families every Prometheus client library exports (CPU,
/// memory, file descriptors, threads, start time), read from /proc/self on
/// each scrape.

namespace themis {

class prometheus_text;

void render_process_metrics(prometheus_text& out);

/// Resident set size in bytes (/proc/self/statm), 0 if unreadable.
long long process_rss_bytes();

} // namespace themis
