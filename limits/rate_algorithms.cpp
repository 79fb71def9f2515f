#include "limits/rate_algorithms.hpp"

#include <algorithm>
#include <cmath>

namespace themis::limits {

bool parse_algorithm(const std::string& s, algorithm& out) {
  if (s == "token_bucket")
    out = algorithm::token_bucket;
  else if (s == "sliding_window_counter")
    out = algorithm::sliding_window_counter;
  else if (s == "sliding_window_log")
    out = algorithm::sliding_window_log;
  else
    return false;
  return true;
}

namespace {

decision token_bucket(const limit_spec& spec, bucket_state& st, int64_t now) {
  double cap = static_cast<double>(spec.capacity());
  double per_ns =
    static_cast<double>(spec.limit) / static_cast<double>(spec.window_ns);
  if (st.tokens < 0) {
    st.tokens = cap;
  } else if (now > st.updated_ns) {
    st.tokens = std::min(
      cap, st.tokens + static_cast<double>(now - st.updated_ns) * per_ns);
  }
  st.updated_ns = std::max(st.updated_ns, now);
  decision d;
  d.limit = spec.limit;
  if (st.tokens >= 1.0) {
    st.tokens -= 1.0;
    d.allowed = true;
  } else {
    d.allowed = false;
    d.retry_after_ns =
      static_cast<int64_t>(std::ceil((1.0 - st.tokens) / per_ns));
  }
  d.remaining = static_cast<uint64_t>(std::floor(st.tokens));
  d.reset_ns = static_cast<int64_t>(std::ceil((cap - st.tokens) / per_ns));
  return d;
}

decision window_counter(const limit_spec& spec, bucket_state& st, int64_t now) {
  auto w = spec.window_ns;
  // callers read the clock before taking the bucket's lock: a slightly
  // older `now` must not move the windows back and lose their counts
  now = std::max(now, st.window_start_ns);
  auto start = now - (now % w);
  if (start != st.window_start_ns) {
    st.previous = start - st.window_start_ns == w ? st.current : 0;
    st.current = 0;
    st.window_start_ns = start;
  }
  // the previous window counts for the part of it still inside the
  // sliding window that ends now
  double weight =
    1.0 - static_cast<double>(now - start) / static_cast<double>(w);
  double used =
    static_cast<double>(st.previous) * weight + static_cast<double>(st.current);
  decision d;
  d.limit = spec.limit;
  d.reset_ns = start + w - now;
  if (used + 1.0 <= static_cast<double>(spec.limit)) {
    ++st.current;
    d.allowed = true;
    d.remaining = static_cast<uint64_t>(
      std::max(0.0, static_cast<double>(spec.limit) - used - 1.0));
  } else {
    d.allowed = false;
    d.remaining = 0;
    // a request fits when the previous window's weight has dropped enough,
    // at the latest when the current window ends
    double need = used + 1.0 - static_cast<double>(spec.limit);
    double lim = static_cast<double>(spec.limit);
    int64_t wait;
    if (static_cast<double>(st.current) + 1.0 <= lim && st.previous > 0) {
      // the previous window's weight must drop by `need`
      wait = static_cast<int64_t>(std::ceil(
        need / static_cast<double>(st.previous) * static_cast<double>(w)));
    } else {
      // the current window alone is full: it becomes the previous one and
      // must weigh at most (limit-1)/current into the next window
      wait = (start + w - now) +
             static_cast<int64_t>(std::ceil(
               static_cast<double>(w) *
               (1.0 - (lim - 1.0) / static_cast<double>(st.current))));
    }
    d.retry_after_ns = std::max<int64_t>(wait, 1);
  }
  return d;
}

decision window_log(const limit_spec& spec, bucket_state& st, int64_t now) {
  while (!st.log.empty() && st.log.front() <= now - spec.window_ns)
    st.log.pop_front();
  decision d;
  d.limit = spec.limit;
  if (st.log.size() < spec.limit) {
    st.log.push_back(now);
    d.allowed = true;
    d.remaining = spec.limit - st.log.size();
  } else {
    d.allowed = false;
    d.remaining = 0;
    d.retry_after_ns = st.log.front() + spec.window_ns - now;
  }
  d.reset_ns = st.log.empty() ? 0 : st.log.back() + spec.window_ns - now;
  return d;
}

} // namespace

decision take(algorithm a, const limit_spec& spec, bucket_state& st,
              int64_t now_ns) {
  switch (a) {
    case algorithm::token_bucket:
      return token_bucket(spec, st, now_ns);
    case algorithm::sliding_window_counter:
      return window_counter(spec, st, now_ns);
    case algorithm::sliding_window_log:
      return window_log(spec, st, now_ns);
  }
  return {};
}

} // namespace themis::limits
