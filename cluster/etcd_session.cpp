#include "cluster/etcd_session.hpp"

#include <algorithm>
#include <chrono>
#include <spdlog/spdlog.h>

#include "cluster/etcd_codec.hpp"
#include "cluster/leader_probe.hpp"

namespace themis::cluster {

namespace {

bool ok_answer(const etcd_http_result& r) {
  return r.transport_ok && r.status == 200;
}

} // namespace

etcd_session::etcd_session(config cfg, applier apply, listener on_change) :
  cfg_(std::move(cfg)), apply_(std::move(apply)),
  on_change_(std::move(on_change)) {
  while (!cfg_.prefix.empty() && cfg_.prefix.back() == '/')
    cfg_.prefix.pop_back();
  if (cfg_.http.endpoints.empty())
    cfg_.http.endpoints.push_back("http://127.0.0.1:2379");
}

etcd_session::~etcd_session() {
  stop();
}

void etcd_session::start() {
  lease_thread_ = std::thread([this] { lease_loop(); });
  watch_thread_ = std::thread([this] { watch_loop(); });
  if (cfg_.leader_probe_ms > 0)
    probe_thread_ = std::thread([this] { probe_loop(); });
}

void etcd_session::stop() {
  if (stop_.exchange(true))
    return;
  cv_.notify_all();
  if (lease_thread_.joinable())
    lease_thread_.join();
  if (watch_thread_.joinable())
    watch_thread_.join();
  if (probe_thread_.joinable())
    probe_thread_.join();
  int64_t lease = 0;
  {
    std::lock_guard<std::mutex> g(mtx_);
    lease = view_.lease;
  }
  if (lease) { // leave at once instead of after the TTL
    etcd_http http(cfg_.http, nullptr);
    for (size_t i = 0; i < cfg_.http.endpoints.size(); ++i) {
      if (http.post("/v3/lease/revoke", etcd::encode_lease_id(lease), 300)
            .transport_ok)
        break;
      http.rotate();
    }
  }
}

namespace {

int64_t steady_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace

void etcd_session::heartbeat() {
  beat_ms_.store(steady_now_ms());
}

void etcd_session::sleep_ms(int ms) {
  std::unique_lock<std::mutex> g(mtx_);
  cv_.wait_for(g, std::chrono::milliseconds(ms),
               [this] { return stop_.load(); });
}

cluster_view etcd_session::view() const {
  std::lock_guard<std::mutex> g(mtx_);
  return view_;
}

bool etcd_session::is_leader() const {
  return leader_.load();
}

void etcd_session::notify() {
  if (!on_change_)
    return;
  on_change_(view());
}

void etcd_session::set_up(bool up, const std::string& why) {
  bool changed = false;
  {
    std::lock_guard<std::mutex> g(mtx_);
    if (!up && !view_.quorum_lost) {
      view_.quorum_lost = true;
      view_.etcd_up = false;
      ++view_.episodes;
      changed = true;
      spdlog::critical(
        "cluster: etcd unavailable or without quorum ({}); serving with the "
        "last known configuration (revision {}, {} nodes), configuration "
        "writes refused with 503 until it is back",
        why, view_.revision, view_.nodes.size());
    } else if (up && !view_.etcd_up) {
      view_.etcd_up = true;
      if (view_.quorum_lost)
        spdlog::info("cluster: etcd is back; resynchronising");
      view_.quorum_lost = false;
      changed = true;
    }
  }
  if (changed) {
    recompute_leader();
    notify();
  }
}

void etcd_session::lease_loop() {
  heartbeat(); // the first tick is not due yet
  etcd_http http(cfg_.http, &stop_);
  const std::string key = cfg_.prefix + "/nodes/" + cfg_.node_id;
  int64_t lease = 0, ttl = 0;
  size_t failures = 0;
  bool stalled = false;
  auto failed = [&](const std::string& why) {
    // one member down is not an episode: try every endpoint first
    if (++failures >= std::max<size_t>(2, cfg_.http.endpoints.size()))
      set_up(false, why);
    http.rotate();
    sleep_ms(100);
  };
  while (!stop_) {
    int timeout = cfg_.request_timeout_ms;
    if (lease == 0) {
      auto r = http.post("/v3/lease/grant",
                         etcd::encode_lease_grant(cfg_.ttl_s), timeout);
      std::string err;
      auto d = ok_answer(r) ? etcd::decode_response(r.body, err) : std::nullopt;
      if (!d || d->error || d->lease_id == 0) {
        failed("lease grant: " + (r.error.empty() ? err : r.error));
        continue;
      }
      lease = d->lease_id;
      ttl = std::max<int64_t>(d->ttl, 1);
      r = http.post("/v3/kv/put", etcd::encode_put(key, cfg_.address, lease),
                    timeout);
      d = ok_answer(r) ? etcd::decode_response(r.body, err) : std::nullopt;
      if (!d || d->error) {
        lease = 0; // the granted lease expires on its own
        failed("register: " + (r.error.empty() ? err : r.error));
        continue;
      }
      {
        std::lock_guard<std::mutex> g(mtx_);
        view_.lease = lease;
        view_.lease_ttl = ttl;
        view_.registered = true;
        view_.endpoint = http.endpoint();
      }
      spdlog::info("cluster: node {} registered at {} (lease {:x}, TTL {} s)",
                   cfg_.node_id, http.endpoint(), lease, ttl);
      failures = 0;
      set_up(true, "");
      recompute_leader();
      notify();
    }
    // keepalive four times per TTL; one slow answer must not cost the lease
    sleep_ms(static_cast<int>(std::max<int64_t>(100, ttl * 1000 / 4)));
    if (stop_)
      break;
    if (cfg_.stall_ms > 0) {
      auto age = steady_now_ms() - beat_ms_.load();
      if (age > cfg_.stall_ms) { // let the lease lapse: another node leads
        if (!stalled)
          spdlog::critical("cluster: node {} has not run its scheduler for "
                           "{} ms; no longer keeping its lease {:x} alive so "
                           "that a working node takes over",
                           cfg_.node_id, age, lease);
        stalled = true;
        continue;
      }
      if (stalled)
        spdlog::warn("cluster: node {} runs again after a stall", cfg_.node_id);
      stalled = false;
    }
    int ka_timeout = std::min<int>(
      timeout, static_cast<int>(std::max<int64_t>(200, ttl * 500)));
    auto r = http.post("/v3/lease/keepalive", etcd::encode_lease_id(lease),
                       ka_timeout);
    std::string err;
    auto d = ok_answer(r) ? etcd::decode_response(r.body, err) : std::nullopt;
    if (!d || d->error) {
      failed("keepalive: " + (!r.error.empty() ? r.error
                              : d && d->error  ? d->error->message
                                               : err));
      continue;
    }
    if (d->ttl <= 0) { // cut off longer than the TTL: register again
      spdlog::warn("cluster: lease {:x} of node {} expired; registering again",
                   lease, cfg_.node_id);
      lease = 0;
      std::lock_guard<std::mutex> g(mtx_);
      view_.registered = false;
      view_.lease = 0;
      continue;
    }
    failures = 0;
    {
      std::lock_guard<std::mutex> g(mtx_);
      view_.endpoint = http.endpoint();
    }
    set_up(true, "");
  }
}

void etcd_session::recompute_leader() {
  std::lock_guard<std::mutex> g(mtx_);
  const etcd_node* best = nullptr;
  view_.nodes.clear();
  for (auto& [id, n] : nodes_) {
    view_.nodes.push_back(n);
    if (!best || n.create_revision < best->create_revision)
      best = &n;
  }
  view_.leader = best ? best->id : "";
  leader_ = view_.registered && view_.leader == cfg_.node_id;
}

void etcd_session::on_kv(const std::string& key, const std::string& value,
                         int64_t create_rev, int64_t lease, bool deleted) {
  // caller holds mtx_
  auto nodes = cfg_.prefix + "/nodes/";
  if (key.rfind(nodes, 0) == 0) {
    auto id = key.substr(nodes.size());
    if (deleted)
      nodes_.erase(id);
    else
      nodes_[id] = etcd_node{id, value, create_rev, lease};
  }
}

void etcd_session::probe_loop() {
  etcd_http http(cfg_.http, &stop_);
  int refusals = 0;
  std::string suspect;
  while (!stop_) {
    sleep_ms(cfg_.leader_probe_ms);
    etcd_node leader;
    bool next_in_line = false;
    {
      std::lock_guard<std::mutex> g(mtx_);
      if (!view_.registered || view_.quorum_lost)
        continue;
      // one prober per cluster: the node that would lead next
      const etcd_node *first = nullptr, *second = nullptr;
      for (auto& [id, n] : nodes_) {
        if (!first || n.create_revision < first->create_revision) {
          second = first;
          first = &n;
        } else if (!second || n.create_revision < second->create_revision) {
          second = &n;
        }
      }
      next_in_line = second && second->id == cfg_.node_id;
      if (first)
        leader = *first;
    }
    // a wildcard address names no host: nothing to probe
    bool wildcard = leader.address.rfind("0.0.0.0:", 0) == 0 ||
                    leader.address.rfind("[::]:", 0) == 0;
    if (!next_in_line || leader.address.empty() || wildcard ||
        leader.lease == 0) {
      refusals = 0;
      continue;
    }
    if (suspect != leader.id) {
      suspect = leader.id;
      refusals = 0;
    }
    if (probe_tcp(leader.address, 200) != probe_result::refused) {
      refusals = 0;
      continue;
    }
    if (++refusals < 2)
      continue;
    spdlog::warn("cluster: leader {} refuses connections at {} (its process "
                 "is gone); revoking its lease {:x}",
                 leader.id, leader.address, leader.lease);
    http.post("/v3/lease/revoke", etcd::encode_lease_id(leader.lease),
              cfg_.request_timeout_ms);
    refusals = 0;
  }
}

bool etcd_session::resync(etcd_http& http, int64_t& next_rev) {
  auto p = cfg_.prefix + "/";
  auto r = http.post("/v3/kv/range", etcd::encode_range(p, etcd::prefix_end(p)),
                     cfg_.request_timeout_ms);
  std::string err;
  auto d = ok_answer(r) ? etcd::decode_response(r.body, err) : std::nullopt;
  if (!d || d->error) {
    spdlog::debug("cluster: range of {} failed: {}", p,
                  r.error.empty() ? err : r.error);
    return false;
  }
  std::vector<config_change> applies;
  auto cp = cfg_.prefix + "/config/";
  {
    std::lock_guard<std::mutex> g(mtx_);
    nodes_.clear();
    std::map<std::string, bool> seen;
    for (auto& kv : d->kvs) {
      on_kv(kv.key, kv.value, kv.create_revision, kv.lease, false);
      if (kv.key.rfind(cp, 0) == 0) {
        auto section = kv.key.substr(cp.size());
        seen[section] = true;
        auto it = view_.config.find(section);
        if (it == view_.config.end() ||
            it->second.mod_revision != kv.mod_revision)
          applies.push_back({section, kv.value, kv.mod_revision});
      }
    }
    for (auto& [section, e] : view_.config)
      if (!seen.count(section))
        applies.push_back({section, "", 0});
    view_.revision = d->header.revision;
  }
  next_rev = d->header.revision + 1;
  apply_changes(applies);
  recompute_leader();
  notify();
  return true;
}

void etcd_session::apply_changes(const std::vector<config_change>& changes) {
  for (auto& a : changes) { // the applier runs unlocked, on this thread
    auto why = apply_ ? apply_(a.section, a.text) : std::nullopt;
    std::lock_guard<std::mutex> g(mtx_);
    if (a.text.empty()) {
      view_.config.erase(a.section);
      continue;
    }
    auto& e = view_.config[a.section];
    e.text = a.text;
    e.mod_revision = a.mod_revision;
    e.applied = !why;
    e.error = why.value_or("");
    if (why)
      spdlog::error("cluster: configuration {} at revision {} refused (the "
                    "last good one stays): {}",
                    a.section, a.mod_revision, *why);
  }
}

void etcd_session::watch_loop() {
  etcd_http http(cfg_.http, &stop_);
  auto p = cfg_.prefix + "/";
  auto cp = cfg_.prefix + "/config/";
  while (!stop_) {
    int64_t next = 0;
    if (!resync(http, next)) {
      http.rotate();
      sleep_ms(200);
      continue;
    }
    auto on_line = [&](std::string_view line) {
      std::string err;
      auto m = etcd::decode_watch_line(line, err);
      if (!m) {
        spdlog::warn("cluster: malformed watch message from {}: {}",
                     http.endpoint(), err);
        return false;
      }
      if (m->error || m->canceled || m->compact_revision) {
        spdlog::info("cluster: watch on {} ended ({}); resynchronising",
                     http.endpoint(),
                     m->error              ? m->error->message
                     : m->compact_revision ? "compacted"
                                           : m->cancel_reason);
        return false;
      }
      std::vector<config_change> applies;
      {
        std::lock_guard<std::mutex> g(mtx_);
        for (auto& ev : m->events) {
          bool del = ev.type == etcd::event_type::del;
          on_kv(ev.kv.key, ev.kv.value, ev.kv.create_revision, ev.kv.lease,
                del);
          if (ev.kv.key.rfind(cp, 0) == 0)
            applies.push_back({ev.kv.key.substr(cp.size()),
                               del ? "" : ev.kv.value, ev.kv.mod_revision});
        }
        view_.revision = std::max(view_.revision, m->header.revision);
      }
      apply_changes(applies);
      if (!m->events.empty()) {
        recompute_leader();
        notify();
      }
      return true;
    };
    http.stream("/v3/watch", etcd::encode_watch(p, etcd::prefix_end(p), next),
                on_line, 1000);
    if (!stop_) {
      http.rotate();
      sleep_ms(100);
    }
  }
}

config_write etcd_session::put_config(const std::string& section,
                                      const std::string& text,
                                      int64_t expected) {
  config_write out;
  {
    std::lock_guard<std::mutex> g(mtx_);
    if (view_.quorum_lost) {
      out.status = 503;
      out.error = "etcd is unavailable (no quorum): the configuration is "
                  "read-only until it is back";
      return out;
    }
  }
  etcd_http http(cfg_.http, &stop_);
  auto key = cfg_.prefix + "/config/" + section;
  etcd_http_result r;
  for (size_t i = 0; i < cfg_.http.endpoints.size(); ++i) {
    r = http.post("/v3/kv/txn", etcd::encode_cas_put(key, text, expected),
                  cfg_.request_timeout_ms);
    if (r.transport_ok)
      break;
    http.rotate();
  }
  std::string err;
  auto d = ok_answer(r) ? etcd::decode_response(r.body, err) : std::nullopt;
  if (!d || d->error) {
    out.status = 503;
    out.error = "etcd did not store it: " + (!r.error.empty() ? r.error
                                             : d && d->error ? d->error->message
                                                             : err);
    return out;
  }
  if (d->succeeded) {
    out.status = 200;
    out.revision = d->header.revision;
    return out;
  }
  out.status = 409;
  out.error =
    "the configuration changed since revision " + std::to_string(expected);
  if (!d->kvs.empty()) {
    out.current = d->kvs.front().value;
    out.current_revision = d->kvs.front().mod_revision;
  }
  return out;
}

} // namespace themis::cluster
