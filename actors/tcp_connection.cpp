#include "actors/tcp_connection.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <caf/send.hpp>
#include <unistd.h>

#include "actors/messages.hpp"
#include "protocols/tls/tls_stream.hpp"
#include <spdlog/spdlog.h>

namespace themis {

namespace asio = boost::asio;

namespace {
constexpr size_t read_chunk = 16 * 1024;
constexpr auto linger_time = std::chrono::seconds(1);
constexpr size_t max_coalesce = 64 * 1024;
} // namespace

tcp_connection::tcp_connection(tcp::socket socket, metrics_registry& metrics,
                               bool serialize) :
  socket_(std::move(socket)),
  strand_(serialize
            ? asio::any_io_executor(asio::make_strand(socket_.get_executor()))
            : socket_.get_executor()),
  linger_timer_(strand_), metrics_(metrics) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec)
    remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(tcp::no_delay(true), ec);
  ++metrics_.open_connections;
}

void tcp_connection::enable_tls(std::shared_ptr<const tls::context> ctx,
                                std::chrono::milliseconds handshake_timeout) {
  tls_ = std::make_unique<tls::stream>(std::move(ctx));
  handshake_timer_ = std::make_unique<asio::steady_timer>(strand_);
  handshake_timer_->expires_after(handshake_timeout);
  handshake_timer_->async_wait(asio::bind_executor(
    strand_, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_ || self->tls_->handshake_done())
        return;
      ++self->metrics_.tls_handshake_failures;
      spdlog::debug("tls {}: no handshake in time", self->remote_);
      self->do_close();
    }));
}

void tcp_connection::enqueue_raw(std::string bytes) {
  ++queued_;
  queued_bytes_ += bytes.size();
  queue_.push_back(std::move(bytes));
  if (!writing_)
    do_write();
}

bool tcp_connection::on_tls_input(std::string_view in) {
  std::string plain, out;
  bool was_done = tls_->handshake_done();
  auto st = tls_->on_ciphertext(in, plain, out);
  bool readable_400 =
    st == tls::stream::status::failed && tls_->plaintext_http();
  if (!out.empty() && !readable_400) // (an alert would garble the 400)
    enqueue_raw(std::move(out));
  if (!was_done && tls_->handshake_done()) {
    ++metrics_.tls_handshakes;
    handshake_timer_->cancel();
    client_subject_ = tls_->peer_subject();
    alpn_ = tls_->alpn();
    spdlog::debug("tls {}: {} alpn '{}' sni '{}' client '{}'", remote_,
                  tls_->version(), tls_->alpn(), tls_->server_name(),
                  tls_->peer_subject());
  }
  if (st == tls::stream::status::failed) {
    if (!tls_->handshake_done()) {
      ++metrics_.tls_handshake_failures;
      spdlog::debug("tls {}: handshake failed: {}", remote_, tls_->error());
      if (tls_->plaintext_http()) {
        // as nginx does: a readable answer for a browser or curl that
        // used http:// on the TLS port
        static const std::string body =
          "The plain HTTP request was sent to an HTTPS port.\n";
        enqueue_raw("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                    "Connection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body);
      }
    } else {
      spdlog::debug("tls {}: {}", remote_, tls_->error());
    }
    begin_close(); // what is queued (an alert) still goes out
    return false;
  }
  if (!plain.empty())
    deliver(std::move(plain));
  if (st == tls::stream::status::closed) {
    begin_close();
    return false;
  }
  return true;
}

tcp_connection::~tcp_connection() {
  --metrics_.open_connections;
  if (on_destroy_)
    on_destroy_();
}

int tcp_connection::take_fd() {
  int fd = ::dup(socket_.native_handle());
  boost::system::error_code ec;
  socket_.close(ec); // no operation was started: nothing else touches it
  closed_ = true;
  notified_ = true;
  return fd;
}

void tcp_connection::notify_closed() {
  if (notified_)
    return;
  notified_ = true;
  if (diverting_) { // (the old sink relays: what came before the close)
    diverting_ = false;
    if (!diverted_.empty())
      deliver(std::move(diverted_));
    if (diverted_eof_)
      deliver(std::string());
  }
  if (sink_)
    caf::anon_send(sink_, closed_atom::value);
}

void tcp_connection::deliver(std::string bytes) {
  if (diverting_) {
    if (bytes.empty())
      diverted_eof_ = true;
    else
      diverted_ += bytes;
    return;
  }
  if (sink_)
    caf::anon_send(sink_, data_atom::value, std::move(bytes));
}

void tcp_connection::begin_sink_switch(caf::actor next) {
  asio::post(strand_, [self = shared_from_this(), next = std::move(next)] {
    if (self->notified_)
      return; // closed: the old sink relays the close
    self->next_sink_ = next;
    self->diverting_ = true;
    if (self->sink_)
      caf::anon_send(self->sink_, sink_switch_atom::value);
  });
}

void tcp_connection::finish_sink_switch() {
  asio::post(strand_, [self = shared_from_this()] {
    if (!self->diverting_)
      return;
    self->diverting_ = false;
    self->sink_ = std::move(self->next_sink_);
    // the new sink speaks a protocol over the stream: the peer's EOF ends
    // it (closed_atom), there are no answers left to finish
    self->half_close_ = false;
    if (!self->diverted_.empty())
      self->deliver(std::move(self->diverted_));
    self->diverted_.clear();
    if (self->diverted_eof_ || self->peer_eof_)
      self->begin_close();
  });
}

void tcp_connection::resume_reading() {
  paused_ = false;
  asio::post(strand_, [self = shared_from_this()] { self->do_read(); });
}

void tcp_connection::pause_reading() {
  paused_ = true; // the read in flight (if any) completes, then stops
}

void tcp_connection::do_read() {
  if (reading_ || closed_ || close_requested_ || paused_ || peer_eof_)
    return;
  reading_ = true;
  // Wait for readiness, then read into a per-thread buffer: an idle
  // connection holds no read buffer of its own (thousands of idle MQTT
  // devices cost kilobytes, not 16 KiB each).
  socket_.async_wait(
    tcp::socket::wait_read,
    asio::bind_executor(
      strand_, [self = shared_from_this()](boost::system::error_code ec) {
        self->reading_ = false;
        if (self->close_requested_) {
          // closing: discard; keep draining if the linger already started
          if (ec)
            self->do_close();
          else if (self->lingering_)
            self->linger_read();
          return;
        }
        if (ec) {
          self->do_close();
          return;
        }
        thread_local std::string buf(read_chunk, '\0');
        boost::system::error_code rec;
        if (!self->socket_.non_blocking())
          self->socket_.non_blocking(true, rec);
        auto n = self->socket_.read_some(asio::buffer(buf), rec);
        if (rec == asio::error::would_block || rec == asio::error::try_again) {
          self->do_read(); // a spurious wake-up
          return;
        }
        if (rec == asio::error::eof && self->half_close_ && !self->tls_) {
          // half-close: the answers still go out; the sink decides
          self->peer_eof_ = true;
          self->deliver(std::string());
          return;
        }
        if (rec) {
          if (rec != asio::error::eof)
            spdlog::debug("tcp {}: read failed: {}", self->remote_,
                          rec.message());
          self->do_close();
          return;
        }
        if (self->tls_) {
          if (!self->on_tls_input(std::string_view(buf.data(), n)))
            return;
        } else {
          self->deliver(std::string(buf.data(), n));
        }
        self->do_read();
      }));
}

void tcp_connection::write(std::string bytes) {
  ++queued_;
  queued_bytes_ += bytes.size(); // counted at once: the caller's bound
  asio::post(strand_,
             [self = shared_from_this(), b = std::move(bytes)]() mutable {
               if (self->closed_ || self->close_requested_) {
                 --self->queued_;
                 self->queued_bytes_ -= b.size();
                 return;
               }
               if (self->tls_) {
                 std::string out;
                 self->tls_->write(b, out);
                 // account for the records, not the clear text
                 self->queued_bytes_ += out.size();
                 self->queued_bytes_ -= b.size();
                 b = std::move(out);
               }
               self->queue_.push_back(std::move(b));
               if (!self->writing_)
                 self->do_write();
             });
}

void tcp_connection::do_write() {
  if (queue_.empty()) {
    writing_ = false;
    if (close_requested_)
      linger();
    return;
  }
  writing_ = true;
  // Coalesce queued buffers (pipelined responses, stream pieces) into one
  // write of at most max_coalesce bytes (or one larger piece): what is
  // in flight cannot be taken back, what waits behind it can
  // (discard_queued).
  size_t n = 1;
  size_t bytes = queue_.front().size();
  while (n < queue_.size() && bytes + queue_[n].size() <= max_coalesce)
    bytes += queue_[n++].size();
  writing_pieces_ = n;
  // the write in flight lives in its own member: the queue may move its
  // strings when it grows, and a short string's bytes move with it
  if (n > 1) {
    writing_buf_.reserve(bytes);
    for (size_t i = 0; i < n; ++i)
      writing_buf_ += queue_[i];
  } else {
    writing_buf_ = std::move(queue_.front());
  }
  for (size_t i = 0; i < n; ++i)
    queue_.pop_front();
  inflight_bytes_ = bytes;
  asio::async_write(
    socket_, asio::buffer(writing_buf_),
    asio::bind_executor(strand_, [self = shared_from_this()](
                                   boost::system::error_code ec, size_t) {
      self->queued_ -= self->writing_pieces_;
      self->writing_pieces_ = 0;
      self->inflight_bytes_ = 0;
      self->queued_bytes_ -= self->writing_buf_.size();
      // an idle connection keeps no write buffer
      std::string().swap(self->writing_buf_);
      if (ec || self->closed_) {
        self->queued_ -= self->queue_.size();
        for (auto& b : self->queue_)
          self->queued_bytes_ -= b.size();
        self->queue_.clear();
        self->writing_ = false;
        self->do_close();
        return;
      }
      self->last_write_ = std::chrono::steady_clock::now();
      self->do_write();
    }));
}

void tcp_connection::close_after_writes() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->closed_ || self->close_requested_)
      return;
    if (self->tls_) {
      std::string out; // close_notify
      self->tls_->shutdown(out);
      if (!out.empty())
        self->enqueue_raw(std::move(out));
    }
    self->begin_close();
  });
}

void tcp_connection::begin_close() {
  close_requested_ = true;
  if (!writing_)
    linger();
}

void tcp_connection::linger() {
  // Half-close, then drain what the peer still sends for a short while, so
  // the kernel does not answer unread data with RST and eat our response.
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    do_close();
    return;
  }
  // Linger protects a response written just now from an RST; a connection
  // whose last answer went out long ago (idle, closed by drain or idle
  // timeout) has nothing to protect and closes at once.
  auto since = std::chrono::steady_clock::now() - last_write_;
  if (since >= linger_time) {
    do_close();
    return;
  }
  lingering_ = true;
  linger_timer_.expires_after(linger_time - since);
  linger_timer_.async_wait(
    [self = shared_from_this()](boost::system::error_code ec) {
      if (!ec)
        self->do_close();
    });
  linger_read();
}

void tcp_connection::linger_read() {
  if (closed_ || reading_)
    return;
  reading_ = true;
  read_buf_.resize(read_chunk);
  socket_.async_read_some(
    asio::buffer(read_buf_),
    asio::bind_executor(strand_, [self = shared_from_this()](
                                   boost::system::error_code ec, size_t) {
      self->reading_ = false;
      if (ec)
        self->do_close(); // the peer closed too: done
      else
        self->linger_read();
    }));
}

void tcp_connection::abort() {
  asio::post(strand_, [self = shared_from_this()] { self->do_close(); });
}

void tcp_connection::do_close() {
  if (closed_)
    return;
  closed_ = true;
  boost::system::error_code ec;
  linger_timer_.cancel();
  if (handshake_timer_)
    handshake_timer_->cancel();
  socket_.close(ec);
  // what waits goes now; the write in flight (writing_buf_) stays alive
  // until its completion drops it
  queued_ -= queue_.size();
  for (auto& b : queue_)
    queued_bytes_ -= b.size();
  queue_.clear();
  notify_closed();
}

void tcp_connection::discard_queued() {
  if (tls_)
    return;
  asio::post(strand_, [self = shared_from_this()] {
    // the write in flight is not in the queue: it stays
    while (!self->queue_.empty()) {
      self->queued_bytes_ -= self->queue_.back().size();
      --self->queued_;
      self->queue_.pop_back();
    }
  });
}

} // namespace themis
