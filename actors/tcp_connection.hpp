#pragma once
/// The Asio side of one client connection: a socket on its own strand, one
/// outstanding read at a time (the actor asks for more, which is the
/// backpressure), a write queue, and a lingering close so a final error
/// response reaches a client that is still sending.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "handlers/metrics_registry.hpp"
#include "protocols/small_fifo.hpp"

namespace themis {

/// The old sink of a begin_sink_switch has everything it was sent.
using sink_switch_atom = caf::atom_constant<caf::atom("t_sinksw")>;

namespace tls {
class context;
class stream;
} // namespace tls

class tcp_connection : public std::enable_shared_from_this<tcp_connection> {
public:
  using tcp = boost::asio::ip::tcp;

  /// `serialize`: the io_context has several threads, so the socket's
  /// handlers run on a strand; with one thread the strand (and its mutex)
  /// is skipped.
  tcp_connection(tcp::socket socket, metrics_registry& metrics, bool serialize);
  ~tcp_connection();

  /// Speaks TLS on this socket (before resume_reading): the sink sees
  /// clear text, write() takes clear text. A failed handshake closes the
  /// connection (and is counted); a clear-text HTTP request gets a 400.
  /// A handshake not done within `handshake_timeout` closes the
  /// connection (a client that connects and stalls holds nothing long).
  void enable_tls(
    std::shared_ptr<const tls::context> ctx,
    std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10));
  /// Whether this connection speaks TLS (set before reading starts).
  bool tls() const { return tls_ != nullptr; }

  /// The actor that receives `data_atom` and `closed_atom` messages.
  void set_sink(caf::actor sink) { sink_ = std::move(sink); }
  /// Hands the byte stream to `next` without reordering it (the MQTT or
  /// PostgreSQL actor after a WebSocket upgrade, so its input skips the
  /// HTTP actor's relay hop): reads from now on are held, and the current
  /// sink gets `sink_switch_atom` after everything it was sent; once it
  /// has passed that on, it calls finish_sink_switch and the held bytes
  /// and all later ones go to `next`. Thread-safe.
  void begin_sink_switch(caf::actor next);
  void finish_sink_switch();
  /// A peer that half-closes (EOF on read) may still read our answers
  /// (HTTP/1.1: a request then shutdown(SHUT_WR) is answered). With this
  /// set, EOF stops reading and is passed on as an empty `data_atom`; the
  /// sink closes when its answers are out. Without it, EOF closes.
  void set_half_close(bool on) { half_close_ = on; }

  /// Reads continuously; bytes (or the close) go to the sink. Reading
  /// re-arms itself on the strand, so a request costs no extra post from
  /// the actor; `pause_reading` is the backpressure. Thread-safe.
  void resume_reading();
  void pause_reading();
  /// Queues bytes for writing. Thread-safe.
  void write(std::string bytes);
  /// Closes once queued bytes are written (lingering). Thread-safe.
  void close_after_writes();
  /// Closes now. Thread-safe.
  void abort();

  const std::string& remote_address() const { return remote_; }
  /// The verified client certificate's subject once the TLS handshake is
  /// done ("" without one). Set on the I/O thread before any plaintext is
  /// passed on, so a reader of that plaintext sees it.
  const std::string& client_subject() const { return client_subject_; }
  /// The ALPN protocol the TLS handshake chose ("" without TLS or ALPN);
  /// set like client_subject(), before any plaintext is passed on.
  const std::string& alpn() const { return alpn_; }
  /// Runs once when the connection object goes away (per-IP accounting).
  void on_destroy(std::function<void()> f) { on_destroy_ = std::move(f); }

  /// Hands the socket to a thread that does its own blocking I/O (the
  /// PostgreSQL backends): a duplicate descriptor is returned and this
  /// object stops using the socket; it still accounts for the connection
  /// until it is destroyed. Only before resume_reading(). -1 on failure.
  int take_fd();

  /// Pieces queued by write() and not yet written to the socket.
  size_t queued_writes() const { return queued_.load(); }
  /// Bytes queued by write() (and TLS records) not yet written to the
  /// socket, the write in flight included: what a slow reader costs us.
  size_t queued_bytes() const { return queued_bytes_.load(); }
  /// Bytes of the write in flight (at most 64 KiB, or one larger piece):
  /// those reach the peer if it reads; the rest may be discarded.
  size_t inflight_bytes() const { return inflight_bytes_.load(); }
  /// Drops what is queued behind the write in flight (a subscriber that
  /// fell behind: its backlog goes, so the overflow notice and close go
  /// next). Clear-text only: TLS records cannot be skipped. Thread-safe;
  /// bytes written after this call are kept.
  void discard_queued();

private:
  std::function<void()> on_destroy_;
  void do_read();
  void do_write();
  void do_close();
  void linger();
  void linger_read();
  void notify_closed();
  /// Queues bytes for the socket as they are (TLS records). Strand only.
  void enqueue_raw(std::string bytes);
  /// Closes once what is queued is written (strand only).
  void begin_close();
  /// Ciphertext read from the socket: decrypts and passes clear text on.
  /// False when the connection must close.
  bool on_tls_input(std::string_view in);

  tcp::socket socket_;
  boost::asio::any_io_executor strand_; ///< a strand, or the io executor
  boost::asio::steady_timer linger_timer_;
  std::unique_ptr<boost::asio::steady_timer> handshake_timer_;
  metrics_registry& metrics_;
  caf::actor sink_;
  /// Between begin_sink_switch and finish_sink_switch (strand only).
  caf::actor next_sink_;
  bool diverting_ = false;
  bool diverted_eof_ = false;
  std::string diverted_;
  /// Bytes read (empty: EOF) to the sink, or held during a switch.
  void deliver(std::string bytes);
  std::string remote_;
  std::string client_subject_;
  std::string alpn_;
  std::string read_buf_;
  small_fifo<std::string> queue_; ///< waiting behind the write in flight
  std::string writing_buf_;       ///< the write in flight
  bool reading_ = false;
  bool half_close_ = false;
  bool peer_eof_ = false; ///< the peer sent FIN: nothing more to read
  std::atomic<bool> paused_{true};
  std::atomic<size_t> queued_{0};
  std::atomic<size_t> queued_bytes_{0};
  std::atomic<size_t> inflight_bytes_{0};
  size_t writing_pieces_ = 0; ///< pieces merged into the write in flight
  bool writing_ = false;
  bool close_requested_ = false;
  bool lingering_ = false;
  /// When the last write completed (linger protects only recent answers).
  std::chrono::steady_clock::time_point last_write_{};
  bool closed_ = false;
  bool notified_ = false;
  std::unique_ptr<tls::stream> tls_;
};

} // namespace themis
