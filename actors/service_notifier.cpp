#include "actors/service_notifier.hpp"

#include <chrono>
#include <systemd/sd-daemon.h>
#include <unistd.h>

namespace themis {

service_notifier::service_notifier(boost::asio::io_context& io) :
  timer_(std::make_shared<boost::asio::steady_timer>(io)) {
  uint64_t usec = 0;
  // the watchdog is pinged at half its period, as sd_watchdog_enabled(3)
  // recommends; from the I/O loop, so a wedged loop stops the pings and
  // systemd restarts the service
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
    interval_us_ = usec / 2;
}

void service_notifier::ready(const std::string& status) {
  sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%lu", status.c_str(),
             static_cast<unsigned long>(getpid()));
  if (interval_us_)
    arm();
}

void service_notifier::stopping(const std::string& status) {
  sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status.c_str());
}

void service_notifier::stop() {
  interval_us_ = 0;
  timer_->cancel();
}

void service_notifier::arm() {
  timer_->expires_after(std::chrono::microseconds(interval_us_));
  timer_->async_wait([this, t = timer_](boost::system::error_code ec) {
    if (ec || !interval_us_)
      return;
    sd_notify(0, "WATCHDOG=1");
    arm();
  });
}

} // namespace themis
