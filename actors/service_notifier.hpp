#pragma once
/// Tells systemd how the service is doing (Type=notify, WatchdogSec=):
/// READY=1 once every listener accepts, WATCHDOG=1 from the I/O loop while
/// it turns, STOPPING=1 when the drain begins. A no-op when themisd is not
/// started by systemd ($NOTIFY_SOCKET unset).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

namespace themis {

class service_notifier {
public:
  explicit service_notifier(boost::asio::io_context& io);

  /// READY=1 with a one-line STATUS= ("listening on …").
  void ready(const std::string& status);

  /// STOPPING=1 with a STATUS= saying why.
  void stopping(const std::string& status);

  /// Stops the watchdog pings (before the io_context goes away).
  void stop();

private:
  void arm();

  std::shared_ptr<boost::asio::steady_timer> timer_;
  uint64_t interval_us_ = 0; ///< half of WatchdogSec, 0 when off
};

} // namespace themis
