#pragma once
/// The body of one streamed upstream answer (issue 23, second slice),
/// between the upstream connection that reads it (the producer, on an
/// I/O thread) and the client connection that writes it out (the
/// consumer, an actor). Bounded in bytes: once `window` bytes wait here
/// the producer stops reading the upstream socket (TCP then pushes back
/// on the upstream) until the consumer takes them, which it does only
/// while its client keeps up. Thread-safe, no CAF or Asio: the two sides
/// are told of news through the functions they register.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace themis::gateway {

class body_pipe {
public:
  /// `idle_ms`: the producer ends the body as failed when the upstream
  /// sends nothing for this long while it reads (not while paused).
  body_pipe(size_t window, uint32_t idle_ms) :
    window_(window ? window : 1), idle_ms_(idle_ms ? idle_ms : 1) {}

  uint32_t idle_ms() const { return idle_ms_; }
  size_t window() const { return window_; }

  // -- producer ---------------------------------------------------------

  /// Runs (on the consumer's thread, outside the lock) when the producer
  /// had paused and may read again, or when the consumer cancelled (then
  /// also mid-read: the producer closes its upstream connection).
  void set_resume(std::function<void()> f);
  /// Appends body bytes; false: the window is full (or the consumer went
  /// away), stop reading until `resume` runs.
  bool push(std::string_view bytes);
  /// The whole body is here.
  void finish();
  /// The upstream broke off mid-body (reset, idle timeout, malformed,
  /// over max_response_bytes): the consumer must end its client's answer
  /// as broken, not as complete.
  void fail(std::string why);
  /// The consumer went away: the producer drops its upstream connection.
  bool cancelled() const;

  // -- consumer ---------------------------------------------------------

  /// Runs (on the producer's thread, outside the lock) when bytes or the
  /// end arrive and the consumer has not been told yet since its last
  /// take(): one message per batch, not per read.
  void set_notify(std::function<void()> f);
  struct piece {
    std::string bytes;
    bool end = false;    ///< nothing follows (finished or failed)
    bool failed = false; ///< ended broken
    std::string error;
  };
  /// Everything waiting, and whether the body ended.
  piece take();
  /// The client side is gone: the producer stops at its next step.
  void cancel();

  size_t buffered() const;
  uint64_t total() const; ///< bytes pushed so far

private:
  void notify_locked(std::unique_lock<std::mutex>& g);

  const size_t window_;
  const uint32_t idle_ms_;
  mutable std::mutex m_;
  std::string buf_;
  uint64_t total_ = 0;
  bool done_ = false, failed_ = false, cancelled_ = false;
  bool paused_ = false;   ///< the producer waits for `resume`
  bool notified_ = false; ///< the consumer has news it did not take yet
  std::string error_;
  std::function<void()> notify_, resume_;
};

} // namespace themis::gateway
