#include "actors/h3_listener.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <caf/all.hpp>
#include <cerrno>
#include <chrono>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unordered_set>

#include "actors/h3_alt_svc.hpp"
#include "actors/h3_connection.hpp"
#include "actors/h3_messages.hpp"
#include "actors/ip_slots.hpp"
#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "handlers/prometheus_text.hpp"

namespace themis {

namespace asio = boost::asio;

namespace {
std::string alt_svc_value; // written once before serving
} // namespace

const std::string& h3_alt_svc() {
  return alt_svc_value;
}

void set_h3_alt_svc(std::string value) {
  alt_svc_value = std::move(value);
}

void h3_metrics::observe_rtt(uint64_t ns) {
  double s = static_cast<double>(ns) / 1e9;
  size_t i = 0;
  while (i < std::size(rtt_buckets) && s > rtt_buckets[i])
    ++i;
  ++rtt_counts[i];
  rtt_sum_us += ns / 1000;
}

namespace {

std::string make_secret() {
  std::string s(32, '\0');
  http3::random_bytes(s.data(), s.size());
  return s;
}

uint64_t wall_ns() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

void render(const h3_metrics& m, prometheus_text& out) {
  out.single("themis_quic_connections", "gauge", "Open QUIC connections.",
             m.connections.load());
  out.single("themis_quic_connections_total", "counter",
             "QUIC connections accepted (client Initial packets).",
             m.accepted.load());
  out.single("themis_quic_handshakes_total", "counter",
             "QUIC handshakes completed.", m.handshakes.load());
  out.single("themis_quic_retries_total", "counter",
             "Retry packets sent (address validation).", m.retries.load());
  out.single("themis_quic_stateless_resets_total", "counter",
             "Stateless Reset packets sent.", m.resets.load());
  out.single("themis_quic_dropped_datagrams_total", "counter",
             "Datagrams dropped before any connection (malformed, unknown).",
             m.dropped.load());
  out.single("themis_quic_send_errors_total", "counter",
             "Datagrams the socket refused (buffer full: QUIC retransmits).",
             m.send_errors.load());
  out.single("themis_quic_packets_received_total", "counter",
             "Datagrams routed to connections.", m.packets_in.load());
  out.single("themis_quic_packets_sent_total", "counter", "Datagrams sent.",
             m.packets_out.load());
  out.family("themis_quic_rtt_seconds", "histogram",
             "Smoothed RTT of QUIC connections when they end.");
  uint64_t cum = 0;
  for (size_t i = 0; i < std::size(h3_metrics::rtt_buckets); ++i) {
    cum += m.rtt_counts[i].load();
    std::string le;
    prometheus_text::number(le, h3_metrics::rtt_buckets[i]);
    out.sample("themis_quic_rtt_seconds_bucket", cum,
               {{"le", std::string_view(le)}});
  }
  cum += m.rtt_counts[std::size(h3_metrics::rtt_buckets)].load();
  out.sample("themis_quic_rtt_seconds_bucket", cum, {{"le", "+Inf"}});
  out.sample("themis_quic_rtt_seconds_sum",
             static_cast<double>(m.rtt_sum_us.load()) / 1e6);
  out.sample("themis_quic_rtt_seconds_count", cum);
}

} // namespace

h3_udp::h3_udp(asio::io_context& io, const std::string& bind, int port,
               std::shared_ptr<server_context> ctx) :
  io_(io),
  socket_(io), ctx_(std::move(ctx)), secret_(make_secret()),
  endpoint_(http3::endpoint_options{secret_}) {
  udp::endpoint ep(asio::ip::make_address(bind),
                   static_cast<unsigned short>(port));
  socket_.open(ep.protocol());
  socket_.set_option(udp::socket::reuse_address(true));
  socket_.bind(ep);
  socket_.non_blocking(true);
  // room for bursts of a few hundred connections' packets
  socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20));
  socket_.set_option(asio::socket_base::send_buffer_size(4 << 20));
  port_ = socket_.local_endpoint().port();
  fd_ = socket_.native_handle();
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  local_.assign(reinterpret_cast<const char*>(&ss), len);
  std::string error;
  creds_ = http3::tls_credentials::load(ctx_->config.tls.cert,
                                        ctx_->config.tls.key, error);
  if (!creds_)
    throw std::runtime_error("tls (HTTP/3, GnuTLS): " + error);
  creds_for_ = ctx_->tls.current(tls_state::http).get();
  ctx_->metrics.add_collector(
    [m = metrics_](prometheus_text& out) { render(*m, out); });
}

h3_udp::~h3_udp() = default;

void h3_udp::start() {
  do_wait();
}

void h3_udp::stop() {
  stopped_ = true;
}

std::shared_ptr<const http3::tls_credentials> h3_udp::credentials() {
  std::lock_guard<std::mutex> g(mtx_);
  auto cur = ctx_->tls.current(tls_state::http);
  if (cur.get() != creds_for_) {
    // SIGHUP swapped the HTTPS certificate: load the same files here
    auto live = ctx_->live.get();
    std::string error;
    auto fresh = http3::tls_credentials::load(live->config.tls.cert,
                                              live->config.tls.key, error);
    if (fresh) {
      creds_ = std::move(fresh);
      spdlog::info("HTTP/3: TLS certificate reloaded");
    } else {
      spdlog::error("HTTP/3: TLS reload failed (keeping the old one): {}",
                    error);
    }
    creds_for_ = cur.get();
  }
  return creds_;
}

void h3_udp::send_to(std::string_view remote, std::string_view bytes) {
  auto n = ::sendto(fd_, bytes.data(), bytes.size(), MSG_DONTWAIT,
                    reinterpret_cast<const sockaddr*>(remote.data()),
                    static_cast<socklen_t>(remote.size()));
  if (n < 0)
    ++metrics_->send_errors; // (lost like any datagram; QUIC recovers)
  else
    ++metrics_->packets_out;
}

void h3_udp::send_all(
  const std::vector<std::pair<std::string, std::string>>& out) {
  constexpr size_t max_batch = 64;
  mmsghdr msgs[max_batch];
  iovec iov[max_batch];
  for (size_t i = 0; i < out.size();) {
    auto n = std::min(max_batch, out.size() - i);
    for (size_t k = 0; k < n; ++k) {
      auto& [to, bytes] = out[i + k];
      iov[k] = {const_cast<char*>(bytes.data()), bytes.size()};
      msgs[k] = {};
      msgs[k].msg_hdr.msg_name = const_cast<char*>(to.data());
      msgs[k].msg_hdr.msg_namelen = static_cast<socklen_t>(to.size());
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    auto sent = ::sendmmsg(fd_, msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
    if (sent <= 0) {
      // the first datagram was refused (a full socket buffer): dropped
      // like the network would drop it (QUIC retransmits), as send_to does
      ++metrics_->send_errors;
      ++i;
      continue;
    }
    metrics_->packets_out += static_cast<uint64_t>(sent);
    i += static_cast<size_t>(sent);
  }
}

void h3_udp::add_cid(const std::string& cid, const caf::actor& a) {
  std::lock_guard<std::mutex> g(mtx_);
  cids_[cid] = a;
}

void h3_udp::remove_cid(const std::string& cid) {
  std::lock_guard<std::mutex> g(mtx_);
  cids_.erase(cid);
}

void h3_udp::forget(const caf::actor_addr& a) {
  std::lock_guard<std::mutex> g(mtx_);
  for (auto it = cids_.begin(); it != cids_.end();)
    if (it->second.address() == a)
      it = cids_.erase(it);
    else
      ++it;
}

void h3_udp::do_wait() {
  socket_.async_wait(udp::socket::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       if (ec == asio::error::operation_aborted)
                         return;
                       self->on_readable();
                       self->do_wait();
                     });
}

void h3_udp::on_readable() {
  // a batch per wake-up; the rest waits for the next (other sockets run).
  // A connection's datagrams of the batch go to its actor in one message.
  static thread_local std::string buf(65536, '\0');
  std::vector<std::pair<caf::actor, std::shared_ptr<h3_datagrams>>> batch;
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    auto n = ::recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT,
                        reinterpret_cast<sockaddr*>(&ss), &len);
    if (n < 0)
      break; // EAGAIN (or an ICMP error surfaced here): wait again
    on_datagram(std::string_view(buf.data(), static_cast<size_t>(n)),
                std::string_view(reinterpret_cast<const char*>(&ss), len),
                batch);
  }
  for (auto& [a, d] : batch)
    caf::anon_send(a, h3_packets_atom::value, std::move(d));
}

void h3_udp::on_datagram(
  std::string_view pkt, std::string_view remote,
  std::vector<std::pair<caf::actor, std::shared_ptr<h3_datagrams>>>& batch) {
  auto& m = *metrics_;
  auto known = [this](std::string_view cid) {
    std::lock_guard<std::mutex> g(mtx_);
    return cids_.count(std::string(cid)) > 0;
  };
  auto& cfg = ctx_->config;
  bool busy = m.connections.load() >=
              static_cast<int64_t>(cfg.http.max_connections) * 3 / 4;
  auto d =
    endpoint_.classify(pkt, local_, remote, known, cfg.tls.h3_retry || busy,
                       static_cast<uint64_t>(steady_ns()), wall_ns());
  switch (d.what) {
    case http3::dispatch::drop:
      ++m.dropped;
      return;
    case http3::dispatch::reply:
      if (d.retry)
        ++m.retries;
      if (d.reset)
        ++m.resets;
      send_to(remote, d.packet);
      return;
    case http3::dispatch::route: {
      caf::actor a;
      {
        std::lock_guard<std::mutex> g(mtx_);
        auto it = cids_.find(d.dcid);
        if (it != cids_.end())
          a = it->second;
      }
      if (!a)
        return;
      auto it = std::find_if(batch.begin(), batch.end(),
                             [&](auto& b) { return b.first == a; });
      if (it == batch.end()) {
        batch.emplace_back(a, std::make_shared<h3_datagrams>());
        it = std::prev(batch.end());
      }
      it->second->items.emplace_back(std::string(remote), std::string(pkt));
      return;
    }
    case http3::dispatch::accept:
      break;
  }
  auto lsn = registered(*ctx_->system, h3_listener_name);
  if (stopped_ || ctx_->metrics.draining || !lsn ||
      m.connections.load() >= static_cast<int64_t>(cfg.http.max_connections)) {
    ++m.dropped; // (the client's Initial times out; no state kept here)
    ++ctx_->metrics.rejected_connections;
    return;
  }
  // the per-IP limit counts QUIC connections with the TCP ones
  auto ip = peer_ip(std::string(remote));
  auto slot = take_ip_slot(*ctx_, ip);
  if (slot.full) {
    ++m.dropped;
    ++ctx_->metrics.rejected_connections;
    spdlog::debug("h3 {}: connection limit per IP", ip);
    return;
  }
  auto a = spawn_h3_connection(*ctx_->system, ctx_, shared_from_this(),
                               std::move(d.initial),
                               slot.counted ? ip : std::string());
  add_cid(d.dcid, a);
  caf::anon_send(lsn, h3_conn_atom::value, a);
  caf::anon_send(a, h3_packet_atom::value, std::string(remote),
                 std::string(pkt));
}

namespace {

struct listener_state {
  std::shared_ptr<std::unordered_set<caf::actor>> connections =
    std::make_shared<std::unordered_set<caf::actor>>();
  bool draining = false;
};

using listener_actor = caf::stateful_actor<listener_state>;

caf::behavior h3_listener(listener_actor* self) {
  self->set_down_handler([self](caf::down_msg& dm) {
    self->state.connections->erase(caf::actor_cast<caf::actor>(dm.source));
  });
  self->attach_functor([conns = self->state.connections] {
    for (auto& c : *conns)
      caf::anon_send_exit(c, caf::exit_reason::kill);
    conns->clear();
  });
  return {
    [=](h3_conn_atom, caf::actor& a) {
      self->monitor(a);
      self->state.connections->insert(a);
      if (self->state.draining)
        self->send(a, drain_atom::value);
    },
    [=](drain_atom) {
      self->state.draining = true;
      for (auto& c : *self->state.connections)
        self->send(c, drain_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_h3_listener(caf::actor_system& sys) {
  return sys.spawn(h3_listener);
}

} // namespace themis
