#pragma once
/// The HTTP/3 listener: one UDP socket (Asio, bound before the actors
/// start so a bad port fails at startup) whose datagrams are routed by
/// Destination Connection ID to one actor per QUIC connection
/// (h3_connection), plus a listener actor that tracks those actors and
/// forwards drain. Retry, Version Negotiation and Stateless Reset are
/// answered here, before any actor exists (protocols/http3/h3_endpoint).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <caf/actor.hpp>
#include <caf/fwd.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "actors/h3_messages.hpp"

#include "protocols/http3/h3_endpoint.hpp"

namespace themis {

struct server_context;

/// Counters for /metrics (themis_quic_*).
struct h3_metrics {
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> handshakes{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> resets{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> send_errors{0};
  std::atomic<uint64_t> packets_in{0};
  std::atomic<uint64_t> packets_out{0};
  std::atomic<uint64_t> pto_total{0};
  /// Smoothed RTT at each connection's end, by bucket (seconds).
  static constexpr double rtt_buckets[] = {0.001, 0.005, 0.01, 0.025,
                                           0.05,  0.1,   0.25, 1.0};
  std::atomic<uint64_t> rtt_counts[9] = {};
  std::atomic<uint64_t> rtt_sum_us{0};
  void observe_rtt(uint64_t ns);
};

class h3_udp : public std::enable_shared_from_this<h3_udp> {
public:
  using udp = boost::asio::ip::udp;
  /// Binds; throws std::system_error naming the address.
  h3_udp(boost::asio::io_context& io, const std::string& bind, int port,
         std::shared_ptr<server_context> ctx);
  ~h3_udp();
  void start();
  /// Stops reading (drain): connections keep sending. Thread-safe.
  void stop();
  int port() const { return port_; }

  /// One datagram to `remote` (raw sockaddr bytes); from any thread.
  void send_to(std::string_view remote, std::string_view bytes);
  /// Datagrams (remote, bytes) with as few system calls as sendmmsg
  /// allows; from any thread.
  void send_all(const std::vector<std::pair<std::string, std::string>>& out);
  /// The demux table: which actor owns a connection ID.
  void add_cid(const std::string& cid, const caf::actor& a);
  void remove_cid(const std::string& cid);
  /// Removes every ID an actor owned (it ended).
  void forget(const caf::actor_addr& a);
  /// Our socket's address (raw sockaddr): the paths' local side.
  const std::string& local() const { return local_; }
  /// The GnuTLS credentials, reloaded when SIGHUP swapped the HTTPS ones.
  std::shared_ptr<const http3::tls_credentials> credentials();
  const std::string& secret() const { return secret_; }
  h3_metrics& metrics() { return *metrics_; }
  std::shared_ptr<h3_metrics> metrics_ptr() { return metrics_; }

private:
  void do_wait();
  void on_readable();
  /// Datagrams for a known connection are appended to `batch` (sent to
  /// their actors once the wake-up's reads are done).
  void on_datagram(
    std::string_view pkt, std::string_view remote,
    std::vector<std::pair<caf::actor, std::shared_ptr<h3_datagrams>>>& batch);

  boost::asio::io_context& io_;
  udp::socket socket_;
  std::shared_ptr<server_context> ctx_;
  int port_ = 0;
  int fd_ = -1;
  std::string local_; ///< our sockaddr (the path's local side)
  std::string secret_;
  http3::h3_endpoint endpoint_;
  std::mutex mtx_;
  std::unordered_map<std::string, caf::actor> cids_;
  std::shared_ptr<const http3::tls_credentials> creds_;
  const void* creds_for_ = nullptr; ///< the OpenSSL context they match
  std::shared_ptr<h3_metrics> metrics_ = std::make_shared<h3_metrics>();
  std::atomic<bool> stopped_{false};
};

/// The listener actor (registered as h3_listener_name by its spawner).
caf::actor spawn_h3_listener(caf::actor_system& sys);

} // namespace themis
