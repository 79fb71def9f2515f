#pragma once
/// Fast detection of a crashed leader (issue 25, docs/cluster.md): etcd
/// notices a dead node only when its lease expires (whole seconds, checked
/// every 500 ms), too slow for a 500 ms failover. A node process that died
/// leaves its host up, and the host then refuses connections to its HTTP
/// port at once (TCP RST). That — and only that: a timeout proves nothing —
/// lets the next node in line revoke the dead leader's lease, which etcd
/// allows any client to do. Pure POSIX sockets, no CAF.

#include <string>

namespace themis::cluster {

enum class probe_result { accepted, refused, unknown };

/// Connects to `host:port` (numeric IPv4/IPv6 or a name) within
/// `timeout_ms`: refused only on ECONNREFUSED.
probe_result probe_tcp(const std::string& host_port, int timeout_ms);

} // namespace themis::cluster
