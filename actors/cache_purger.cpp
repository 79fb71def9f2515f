#include "actors/cache_purger.hpp"

#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <condition_variable>
#include <curl/curl.h>
#include <mutex>
#include <set>
#include <spdlog/spdlog.h>
#include <thread>

#include "actors/changefeed_hub.hpp"
#include "actors/messages.hpp"
#include "actors/server_context.hpp"
#include "handlers/cache_middleware.hpp"
#include "handlers/cache_purge_queue.hpp"
#include "handlers/prometheus_text.hpp"

namespace themis {

namespace {

/// Process-wide: the purger may be restarted, the counters go on.
struct purge_stats {
  std::atomic<uint64_t> ok{0}, failed{0}, keys{0}, dropped{0}, overflows{0};
  std::atomic<uint64_t> queued_bytes{0};
  /// The newest change sequence whose keys were sent (answered or not).
  std::atomic<uint64_t> sequence{0};
};

purge_stats& stats() {
  static purge_stats s;
  return s;
}

void add_purge_collector(metrics_registry& m) {
  static std::mutex mtx;
  static std::set<const metrics_registry*> done;
  {
    std::lock_guard<std::mutex> g(mtx);
    if (!done.insert(&m).second)
      return;
  }
  m.add_collector([](prometheus_text& out) {
    auto& s = stats();
    out.family("themis_cache_purge_requests_total", "counter",
               "Purge requests sent to cache.purge_url, by result");
    out.sample("themis_cache_purge_requests_total", s.ok.load(),
               {{"result", "ok"}});
    out.sample("themis_cache_purge_requests_total", s.failed.load(),
               {{"result", "failed"}});
    out.family("themis_cache_purge_keys_total", "counter",
               "Surrogate keys sent in purge requests");
    out.sample("themis_cache_purge_keys_total", s.keys.load(), {});
    out.family("themis_cache_purge_overflows_total", "counter",
               "Times the purge queue overflowed (everything was purged)");
    out.sample("themis_cache_purge_overflows_total", s.overflows.load(), {});
    out.family("themis_cache_purge_dropped_keys_total", "counter",
               "Keys dropped by overflows (covered by a purge of all)");
    out.sample("themis_cache_purge_dropped_keys_total", s.dropped.load(), {});
    out.family("themis_cache_purge_queue_bytes", "gauge",
               "Bytes of surrogate keys waiting to be purged");
    out.sample("themis_cache_purge_queue_bytes", s.queued_bytes.load(), {});
    out.family("themis_cache_purge_sequence", "gauge",
               "The newest change sequence whose purge has been sent: how "
               "far the purge hook is behind the change log");
    out.sample("themis_cache_purge_sequence", s.sequence.load(), {});
  });
}

size_t discard(char*, size_t size, size_t n, void*) {
  return size * n;
}

/// The sending thread and its queue. Destroyed with the actor's state:
/// stops, and joins after at most the request in flight (bounded by
/// cache.purge_timeout_ms).
class purge_worker {
public:
  explicit purge_worker(const cache_section& cfg) :
    cfg_(cfg), queue_(cfg.purge_queue_bytes, cfg.purge_max_header_bytes),
    thread_([this] { run(); }) {}
  ~purge_worker() {
    {
      std::lock_guard<std::mutex> g(mtx_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  purge_worker(const purge_worker&) = delete;
  purge_worker& operator=(const purge_worker&) = delete;

  void push(const std::vector<engine::change_event>& events) {
    {
      std::lock_guard<std::mutex> g(mtx_);
      queue_.add_events(events);
      if (!events.empty())
        queued_seq_ = std::max(queued_seq_, events.back().sequence);
      if (queue_.empty() && !sending_) // markers only: nothing to purge
        stats().sequence = queued_seq_;
      publish_counts();
    }
    cv_.notify_one();
  }
  /// The hub's tip at a subscription: what came before is not ours.
  void seen(uint64_t tip) {
    std::lock_guard<std::mutex> g(mtx_);
    queued_seq_ = std::max(queued_seq_, tip);
    if (queue_.empty() && !sending_)
      stats().sequence = queued_seq_;
  }
  /// Events were missed (the hub restarted): only purging all is safe.
  void push_all() {
    {
      std::lock_guard<std::mutex> g(mtx_);
      queue_.add(std::string(all_surrogate_key));
    }
    cv_.notify_one();
  }

private:
  /// Under mtx_.
  void publish_counts() {
    auto& s = stats();
    s.queued_bytes = queue_.bytes();
    s.dropped = dropped_before_ + queue_.dropped();
    s.overflows = overflows_before_ + queue_.overflows();
  }

  void run() {
    CURL* h = curl_easy_init();
    std::unique_lock<std::mutex> lk(mtx_);
    while (true) {
      cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
      if (stop_)
        break;
      // what else commits meanwhile goes into the same requests
      if (cfg_.purge_delay_ms)
        cv_.wait_for(lk, std::chrono::milliseconds(cfg_.purge_delay_ms),
                     [this] { return stop_; });
      auto batch = queue_.take();
      auto seq = queued_seq_;
      sending_ = true;
      publish_counts();
      lk.unlock();
      for (auto& keys : batch)
        send(h, keys);
      lk.lock();
      sending_ = false;
      // what came meanwhile without keys is done too
      stats().sequence = queue_.empty() ? queued_seq_ : seq;
    }
    if (h)
      curl_easy_cleanup(h);
  }

  void send(CURL* h, const std::string& keys) {
    auto& s = stats();
    s.keys += 1 + std::count(keys.begin(), keys.end(), ' ');
    if (!h) {
      ++s.failed;
      spdlog::warn("cache purge: libcurl could not start");
      return;
    }
    curl_easy_reset(h);
    auto field = cfg_.purge_header + ": " + keys;
    curl_slist* hs = curl_slist_append(nullptr, field.c_str());
    if (!cfg_.purge_token.empty()) // the CDN's API credential
      hs = curl_slist_append(
        hs, (cfg_.purge_token_header + ": " + cfg_.purge_token).c_str());
    curl_easy_setopt(h, CURLOPT_URL, cfg_.purge_url.c_str());
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, cfg_.purge_method.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(cfg_.purge_timeout_ms));
    auto rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hs);
    if (rc == CURLE_OK && status >= 200 && status < 300) {
      ++s.ok;
      spdlog::debug("cache purge {} {}: {} ({} bytes of keys)",
                    cfg_.purge_method, cfg_.purge_url, status, keys.size());
      return;
    }
    ++s.failed;
    spdlog::warn("cache purge {} {} failed: {} (keys: {:.200})",
                 cfg_.purge_method, cfg_.purge_url,
                 rc != CURLE_OK ? curl_easy_strerror(rc)
                                : "HTTP " + std::to_string(status),
                 keys);
  }

  const cache_section cfg_;
  std::mutex mtx_;
  std::condition_variable cv_;
  cache_purge_queue queue_;
  uint64_t dropped_before_ = stats().dropped,
           overflows_before_ = stats().overflows;
  uint64_t queued_seq_ = 0; ///< the newest sequence queued
  bool sending_ = false;    ///< a batch is out (mtx_ released)
  bool stop_ = false;
  std::thread thread_; ///< last: starts after everything it reads
};

struct purger_state {
  std::shared_ptr<purge_worker> worker;
  uint64_t last_seq = 0; ///< the last event seen; 0: none yet
};

caf::behavior cache_purger(caf::stateful_actor<purger_state>* self,
                           std::shared_ptr<server_context> ctx) {
  add_purge_collector(ctx->metrics);
  self->state.worker = std::make_shared<purge_worker>(ctx->config.cache);
  return follow_changefeed_hub(self,
                               [self](uint64_t tip) {
                                 auto& st = self->state;
                                 if (st.last_seq && tip > st.last_seq)
                                   st.worker->push_all();
                                 st.last_seq = std::max(st.last_seq, tip);
                                 st.worker->seen(tip);
                               })
    .or_else([=](publish_atom, const published_batch& b) {
      if (b->events.empty())
        return;
      self->state.last_seq = b->events.back().sequence;
      self->state.worker->push(b->events);
    });
}

} // namespace

caf::actor spawn_cache_purger(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx) {
  return sys.spawn(cache_purger, std::move(ctx));
}

} // namespace themis
