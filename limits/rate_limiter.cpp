#include "limits/rate_limiter.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <sstream>

namespace themis::limits {

namespace {

bool parse_u64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

/// "1s", "500ms", "1m", "1h", "10s".
bool parse_window(std::string_view s, int64_t& ns) {
  int64_t unit = 0;
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    unit = 1'000'000;
    s.remove_suffix(2);
  } else if (!s.empty() && s.back() == 's') {
    unit = 1'000'000'000;
    s.remove_suffix(1);
  } else if (!s.empty() && s.back() == 'm') {
    unit = 60'000'000'000;
    s.remove_suffix(1);
  } else if (!s.empty() && s.back() == 'h') {
    unit = 3'600'000'000'000;
    s.remove_suffix(1);
  } else {
    return false;
  }
  uint64_t n = 0;
  if (!parse_u64(s, n) || n == 0 || n > 1'000'000)
    return false;
  ns = static_cast<int64_t>(n) * unit;
  return true;
}

} // namespace

std::optional<std::string> parse_rule(const std::string& text, rule& out) {
  std::istringstream in(text);
  std::string prefix, rate, opt;
  if (!(in >> prefix >> rate))
    return "expected \"PREFIX LIMIT/WINDOW [burst=N] [key=ip|token|global]\", "
           "got '" +
           text + "'";
  if (prefix.empty() || prefix[0] != '/')
    return "a rule's prefix must start with '/', got '" + prefix + "'";
  auto slash = rate.find('/');
  if (slash == std::string::npos ||
      !parse_u64(std::string_view(rate).substr(0, slash), out.spec.limit) ||
      out.spec.limit == 0 ||
      !parse_window(std::string_view(rate).substr(slash + 1),
                    out.spec.window_ns))
    return "expected LIMIT/WINDOW like 100/1s, got '" + rate + "'";
  out.prefix = prefix == "/" ? "" : prefix;
  while (in >> opt) {
    if (opt.rfind("burst=", 0) == 0) {
      if (!parse_u64(std::string_view(opt).substr(6), out.spec.burst))
        return "bad burst in '" + opt + "'";
    } else if (opt == "key=ip") {
      out.key = key_kind::ip;
    } else if (opt == "key=token") {
      out.key = key_kind::token;
    } else if (opt == "key=global") {
      out.key = key_kind::global;
    } else {
      return "unknown rule option '" + opt + "'";
    }
  }
  std::ostringstream policy;
  policy << (out.prefix.empty() ? "default" : out.prefix);
  out.policy = policy.str();
  return std::nullopt;
}

rate_limiter::rate_limiter(size_t shards) {
  shards_.resize(shards == 0 ? 1 : shards);
  for (auto& s : shards_)
    s = std::make_unique<shard>();
  cfg_.store(std::make_shared<const limiter_config>());
}

void rate_limiter::configure(std::shared_ptr<const limiter_config> cfg) {
  // new rules first: a check still on the old ones may refill a bucket,
  // which the clearing below then drops
  cfg_.store(std::move(cfg));
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard(s->mtx);
    s->table.clear();
    s->lru.clear();
  }
}

std::shared_ptr<const limiter_config> rate_limiter::config() const {
  return cfg_.load();
}

rate_limiter::shard& rate_limiter::shard_for(const std::string& key) {
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

std::optional<std::string> parse_group_rule(const std::string& text,
                                            rule& out) {
  auto err = parse_rule("/" + text, out);
  if (err)
    return "rate group '" + text + "': " + *err;
  if (out.prefix.empty() || out.prefix.size() > 65 ||
      out.prefix.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-",
                                   1) != std::string::npos)
    return "a rate group's name is [a-z0-9_-]+, got '" + text + "'";
  out.prefix.erase(0, 1);
  out.policy = out.prefix; // RateLimit-Policy names the group
  return std::nullopt;
}

namespace {

/// Whether limits apply to this request at all (enabled, not an exempt
/// path, not a whitelisted peer).
bool limited(const limiter_config& cfg, std::string_view path,
             std::string_view peer) {
  if (!cfg.enabled)
    return false;
  for (auto& p : cfg.exempt_prefixes)
    if (path.substr(0, p.size()) == p)
      return false;
  for (auto& w : cfg.whitelist)
    if (w == peer)
      return false;
  return true;
}

/// The prefix rule for `path`: the longest matching prefix.
const rule* best_rule(const limiter_config& cfg, std::string_view path) {
  const rule* best = nullptr;
  for (auto& r : cfg.rules)
    if (path.substr(0, r.prefix.size()) == r.prefix &&
        (!best || r.prefix.size() > best->prefix.size()))
      best = &r;
  return best;
}

} // namespace

std::optional<check_result> rate_limiter::check(std::string_view path,
                                                std::string_view peer,
                                                std::string_view token,
                                                int64_t now_ns) {
  auto cfg = cfg_.load();
  if (!limited(*cfg, path, peer))
    return std::nullopt;
  const rule* best = best_rule(*cfg, path);
  if (!best)
    return std::nullopt;
  return take_from(cfg, *best, best->prefix, peer, token, now_ns);
}

std::optional<check_result> rate_limiter::check_group(std::string_view group,
                                                      std::string_view path,
                                                      std::string_view peer,
                                                      std::string_view token,
                                                      int64_t now_ns) {
  auto cfg = cfg_.load();
  if (!limited(*cfg, path, peer))
    return std::nullopt;
  for (auto& r : cfg->groups)
    if (r.prefix == group) // a group's buckets apart from any prefix rule's
      return take_from(cfg, r, "\x01group:" + r.prefix, peer, token, now_ns);
  return std::nullopt;
}

namespace {

/// The bucket key of rule `r` (keyed under `space`) for this client.
std::string client_key(const rule& r, const std::string& space,
                       std::string_view peer, std::string_view token) {
  std::string key = space;
  key.push_back('\0');
  switch (r.key) {
    case key_kind::ip:
      key += peer;
      break;
    case key_kind::token:
      if (token.empty()) {
        key += peer;
      } else {
        // clients choose tokens (up to a header's size): keep a fixed-size
        // digest, so the table's memory stays bounded by max_keys
        auto h1 = std::hash<std::string_view>{}(token);
        auto h2 = std::hash<std::string>{}(std::string(token) + "\x01themis");
        key += "t:" + std::to_string(h1) + ":" + std::to_string(h2);
      }
      break;
    case key_kind::global:
      break;
  }
  return key;
}

} // namespace

std::optional<rate_limiter::bucket_ref>
rate_limiter::bucket_for(std::string_view path, std::string_view peer,
                         std::string_view token) const {
  auto cfg = cfg_.load();
  if (!limited(*cfg, path, peer))
    return std::nullopt;
  const rule* best = best_rule(*cfg, path);
  if (!best)
    return std::nullopt;
  auto key = client_key(*best, best->prefix, peer, token);
  return bucket_ref{std::move(cfg), best, std::move(key)};
}

std::optional<rate_limiter::bucket_ref>
rate_limiter::bucket_for_group(std::string_view group, std::string_view path,
                               std::string_view peer,
                               std::string_view token) const {
  auto cfg = cfg_.load();
  if (!limited(*cfg, path, peer))
    return std::nullopt;
  for (auto& r : cfg->groups)
    if (r.prefix == group) {
      auto key = client_key(r, "\x01group:" + r.prefix, peer, token);
      return bucket_ref{cfg, &r, std::move(key)};
    }
  return std::nullopt;
}

namespace {

/// A decision as check() reports it: dry run and the refusal counters.
check_result settle(const std::shared_ptr<const limiter_config>& cfg,
                    const rule* matched, const decision& d,
                    std::atomic<uint64_t>& refused,
                    std::atomic<uint64_t>& dry_run_refusals) {
  check_result out;
  out.cfg = cfg;
  out.matched = matched;
  out.d = d;
  if (!d.allowed) {
    if (cfg->dry_run) {
      out.would_refuse = true;
      ++dry_run_refusals;
    } else {
      out.refused = true;
      ++refused;
    }
  }
  return out;
}

} // namespace

check_result rate_limiter::result_of(const bucket_ref& b, const decision& d) {
  return settle(b.cfg, b.matched, d, refused, dry_run_refusals);
}

check_result
rate_limiter::take_from(const std::shared_ptr<const limiter_config>& cfg,
                        const rule& r, const std::string& space,
                        std::string_view peer, std::string_view token,
                        int64_t now_ns) {
  const rule* best = &r;
  auto key = client_key(r, space, peer, token);
  auto& sh = shard_for(key);
  decision d;
  {
    std::lock_guard<std::mutex> guard(sh.mtx);
    auto it = sh.table.find(key);
    if (it == sh.table.end()) {
      auto per_shard = std::max<size_t>(1, cfg->max_keys / shards_.size());
      while (sh.table.size() >= per_shard && !sh.lru.empty()) {
        sh.table.erase(sh.lru.back());
        sh.lru.pop_back();
        ++evictions;
      }
      sh.lru.push_front(key);
      it = sh.table.emplace(key, node{}).first;
      it->second.lru_pos = sh.lru.begin();
    } else {
      sh.lru.splice(sh.lru.begin(), sh.lru, it->second.lru_pos);
    }
    it->second.last_used_ns = now_ns;
    d = take(cfg->algo, best->spec, it->second.state, now_ns);
  }
  return settle(cfg, best, d, refused, dry_run_refusals);
}

size_t rate_limiter::sweep(int64_t now_ns) {
  auto cfg = cfg_.load();
  // A bucket may only be forgotten once it would be full again anyway:
  // expiring a 100/1d bucket after 10 idle minutes would reset its quota.
  int64_t expiry = cfg->idle_expiry_ns;
  std::vector<const rule*> all;
  for (auto& r : cfg->rules)
    all.push_back(&r);
  for (auto& r : cfg->groups)
    all.push_back(&r);
  for (auto* rp : all) {
    auto& r = *rp;
    auto refill = static_cast<int64_t>(static_cast<double>(r.spec.window_ns) *
                                       static_cast<double>(r.spec.capacity()) /
                                       static_cast<double>(r.spec.limit));
    expiry = std::max({expiry, 2 * r.spec.window_ns, refill});
  }
  size_t dropped = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard(s->mtx);
    // least recently used at the back: stop at the first fresh one
    while (!s->lru.empty()) {
      auto it = s->table.find(s->lru.back());
      if (now_ns - it->second.last_used_ns < expiry)
        break;
      s->table.erase(it);
      s->lru.pop_back();
      ++dropped;
    }
  }
  return dropped;
}

size_t rate_limiter::size() const {
  size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard<std::mutex> guard(s->mtx);
    n += s->table.size();
  }
  return n;
}

} // namespace themis::limits
