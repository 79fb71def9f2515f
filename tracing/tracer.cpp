#include "tracing/tracer.hpp"

#include <chrono>
#include <cstring>
#include <curl/curl.h>
#include <nlohmann/json.hpp>

namespace themis::tracing {

using json = nlohmann::json;

uint64_t now_unix_ns() {
  return static_cast<uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
}

// -- span -------------------------------------------------------------------

span& span::operator=(span&& other) noexcept {
  if (this != &other) {
    end();
    owner_ = other.owner_;
    data_ = std::move(other.data_);
    sampled_ = other.sampled_;
    other.owner_ = nullptr;
  }
  return *this;
}

trace_context span::context() const {
  trace_context c;
  c.trace = data_.trace;
  c.span = data_.id;
  c.sampled = sampled_;
  return c;
}

std::string span::traceparent() const {
  return format_traceparent(data_.trace, data_.id, sampled_);
}

void span::end() {
  if (!owner_)
    return;
  auto* t = owner_;
  owner_ = nullptr;
  data_.end_ns = now_unix_ns();
  t->submit(std::move(data_));
}

// -- tracer -----------------------------------------------------------------

tracer& tracer::global() {
  static tracer t;
  return t;
}

tracer::~tracer() {
  stop();
}

void tracer::start(tracer_config cfg) {
  if (!cfg.enabled || thread_.joinable())
    return;
  cfg_ = std::move(cfg);
  if (cfg_.max_batch_spans == 0)
    cfg_.max_batch_spans = 1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  stopping_ = false;
  enabled_ = true;
  thread_ = std::thread([this] { run(); });
}

void tracer::stop() {
  if (!thread_.joinable())
    return;
  enabled_ = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

span tracer::start_span(std::string name, span_kind kind,
                        const trace_context* parent, bool remote_parent) {
  if (!enabled())
    return span(); // off: no ids, no clock, nothing to propagate
  span_data d;
  bool sampled;
  if (parent) {
    d.trace = parent->trace;
    d.parent = parent->span;
    d.has_parent = true;
    d.remote_parent = remote_parent;
    sampled = parent->sampled; // parent-based
  } else {
    d.trace = new_trace_id();
    // ratio sampling on the trace id's low 8 bytes, as OpenTelemetry's
    // TraceIdRatioBased: every process decides the same for one trace
    uint64_t low = 0;
    for (size_t i = 8; i < 16; ++i)
      low = low << 8 | d.trace[i];
    double r = cfg_.sample_ratio;
    sampled = r >= 1.0 ? true
              : r <= 0.0
                ? false
                : low < static_cast<uint64_t>(r * 18446744073709551615.0);
  }
  d.id = new_span_id();
  d.name = std::move(name);
  d.kind = kind;
  if (sampled) {
    d.start_ns = now_unix_ns();
    ++started_;
  }
  return span(this, std::move(d), sampled);
}

void tracer::submit(span_data&& s) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopping_ || queue_.size() >= cfg_.max_queue_spans) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(s));
    if (queue_.size() < cfg_.max_batch_spans)
      return;
  }
  cv_.notify_one();
}

tracer_stats tracer::stats() const {
  return {started_.load(), exported_.load(), dropped_.load(), failed_.load()};
}

void tracer::run() {
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    cv_.wait_for(lk, std::chrono::milliseconds(cfg_.flush_interval_ms), [&] {
      return stopping_ || queue_.size() >= cfg_.max_batch_spans;
    });
    while (!queue_.empty()) {
      std::vector<span_data> batch;
      while (!queue_.empty() && batch.size() < cfg_.max_batch_spans) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lk.unlock();
      auto n = batch.size();
      if (post(encode(batch)))
        exported_ += n;
      else
        failed_ += n;
      lk.lock();
    }
    if (stopping_)
      return;
  }
}

namespace {

json any_value(const attr_value& v) {
  return std::visit(
    [](const auto& x) -> json {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, std::string>)
        return {{"stringValue", x}};
      else if constexpr (std::is_same_v<T, int64_t>)
        return {{"intValue", std::to_string(x)}}; // int64 as a string
      else if constexpr (std::is_same_v<T, double>)
        return {{"doubleValue", x}};
      else
        return {{"boolValue", x}};
    },
    v);
}

json kv(const std::string& k, const attr_value& v) {
  return {{"key", k}, {"value", any_value(v)}};
}

size_t discard_body(char*, size_t size, size_t n, void*) {
  return size * n;
}

} // namespace

std::string tracer::encode(const std::vector<span_data>& spans) const {
  json res = json::array();
  res.push_back(kv("service.name", cfg_.service_name));
  if (!cfg_.service_version.empty())
    res.push_back(kv("service.version", cfg_.service_version));
  if (!cfg_.service_instance.empty())
    res.push_back(kv("service.instance.id", cfg_.service_instance));
  res.push_back(kv("telemetry.sdk.name", std::string("themisd")));
  res.push_back(kv("telemetry.sdk.language", std::string("cpp")));
  size_t pos = 0;
  auto& extra = cfg_.resource_attributes;
  while (pos < extra.size()) {
    auto end = extra.find(',', pos);
    if (end == std::string::npos)
      end = extra.size();
    auto item = extra.substr(pos, end - pos);
    auto eq = item.find('=');
    if (eq != std::string::npos && eq > 0)
      res.push_back(kv(item.substr(0, eq), item.substr(eq + 1)));
    pos = end + 1;
  }
  json out = json::array();
  for (auto& s : spans) {
    json j = {{"traceId", to_hex(s.trace)},
              {"spanId", to_hex(s.id)},
              {"name", s.name},
              {"kind", static_cast<int>(s.kind)},
              {"startTimeUnixNano", std::to_string(s.start_ns)},
              {"endTimeUnixNano", std::to_string(s.end_ns)}};
    if (s.has_parent)
      j["parentSpanId"] = to_hex(s.parent);
    json attrs = json::array();
    for (auto& [k, v] : s.attributes)
      attrs.push_back(kv(k, v));
    j["attributes"] = std::move(attrs);
    json status = json::object();
    if (s.status)
      status["code"] = s.status;
    if (!s.status_message.empty())
      status["message"] = s.status_message;
    j["status"] = std::move(status);
    out.push_back(std::move(j));
  }
  json body = {
    {"resourceSpans",
     json::array(
       {{{"resource", {{"attributes", res}}},
         {"scopeSpans", json::array({{{"scope",
                                       {{"name", "themisd"},
                                        {"version", cfg_.service_version}}},
                                      {"spans", out}}})}}})}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool tracer::post(const std::string& body) {
  CURL* c = curl_easy_init();
  if (!c)
    return false;
  curl_slist* headers =
    curl_slist_append(nullptr, "Content-Type: application/json");
  size_t pos = 0;
  while (pos < cfg_.headers.size()) {
    auto end = cfg_.headers.find(';', pos);
    if (end == std::string::npos)
      end = cfg_.headers.size();
    auto h = cfg_.headers.substr(pos, end - pos);
    while (!h.empty() && h.front() == ' ')
      h.erase(0, 1);
    if (!h.empty())
      headers = curl_slist_append(headers, h.c_str());
    pos = end + 1;
  }
  curl_easy_setopt(c, CURLOPT_URL, cfg_.endpoint.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(cfg_.export_timeout_ms));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_body);
  auto rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return rc == CURLE_OK && status >= 200 && status < 300;
}

} // namespace themis::tracing
