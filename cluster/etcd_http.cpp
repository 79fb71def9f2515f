#include "cluster/etcd_http.hpp"

#include <curl/curl.h>

#include "cluster/etcd_codec.hpp"

namespace themis::cluster {

namespace {

/// Bound on an answer (and on one line of a stream) we buffer: an etcd
/// answer above it is refused rather than grown without limit.
constexpr size_t max_answer_bytes = 16u << 20;

struct transfer {
  std::string body;
  std::string line_buf;
  const std::function<bool(std::string_view)>* lines = nullptr;
  bool aborted = false;
  bool too_big = false;
};

size_t on_data(char* p, size_t size, size_t n, void* user) {
  auto* t = static_cast<transfer*>(user);
  size_t len = size * n;
  if (!t->lines) {
    if (t->body.size() + len > max_answer_bytes)
      return t->too_big = true, 0;
    t->body.append(p, len);
    return len;
  }
  t->line_buf.append(p, len);
  size_t start = 0;
  for (;;) {
    auto nl = t->line_buf.find('\n', start);
    if (nl == std::string::npos)
      break;
    std::string_view line(t->line_buf.data() + start, nl - start);
    start = nl + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos)
      continue;
    if (!(*t->lines)(line))
      return t->aborted = true, 0;
  }
  t->line_buf.erase(0, start);
  if (t->line_buf.size() > max_answer_bytes)
    return t->too_big = true, 0;
  return len;
}

std::string with_scheme(const std::string& e) {
  if (e.rfind("http://", 0) == 0 || e.rfind("https://", 0) == 0)
    return e;
  return "http://" + e;
}

struct curl_global {
  curl_global() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

} // namespace

etcd_http::etcd_http(etcd_http_config cfg, const std::atomic<bool>* stop) :
  cfg_(std::move(cfg)), stop_(stop) {
  static curl_global once;
  multi_ = curl_multi_init();
  if (cfg_.endpoints.empty())
    cfg_.endpoints.push_back("http://127.0.0.1:2379");
}

etcd_http::~etcd_http() {
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void etcd_http::rotate() {
  current_ = (current_ + 1) % cfg_.endpoints.size();
}

const std::string& etcd_http::endpoint() const {
  return cfg_.endpoints[current_];
}

etcd_http_result
etcd_http::perform(const std::string& path, const std::string& body,
                   int timeout_ms, int connect_timeout_ms,
                   const std::function<bool(std::string_view)>* lines) {
  etcd_http_result r;
  r.endpoint = endpoint();
  CURL* h = curl_easy_init();
  if (!h)
    return r.error = "curl_easy_init failed", r;
  transfer t;
  t.lines = lines;
  auto url = with_scheme(endpoint()) + path;
  struct curl_slist* hdrs = nullptr;
  hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  if (!token_.empty())
    hdrs = curl_slist_append(hdrs, ("Authorization: " + token_).c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(connect_timeout_ms));
  if (timeout_ms > 0)
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  if (!cfg_.ca_file.empty())
    curl_easy_setopt(h, CURLOPT_CAINFO, cfg_.ca_file.c_str());
  auto* m = static_cast<CURLM*>(multi_);
  curl_multi_add_handle(m, h);
  CURLcode code = CURLE_OK;
  bool done = false;
  while (!done) {
    if (stop_ && stop_->load()) {
      r.error = "stopped";
      break;
    }
    int running = 0;
    curl_multi_perform(m, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m, &left))
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == h) {
        code = msg->data.result;
        done = true;
      }
    if (!done)
      curl_multi_poll(m, nullptr, 0, 50, nullptr);
  }
  if (done) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
    if (t.too_big)
      r.error = "answer too large";
    else if (t.aborted)
      r.transport_ok = true;
    else if (code != CURLE_OK)
      r.error = curl_easy_strerror(code);
    else
      r.transport_ok = true;
  }
  curl_multi_remove_handle(m, h);
  curl_easy_cleanup(h);
  curl_slist_free_all(hdrs);
  r.body = std::move(t.body);
  if (r.transport_ok && r.status != 200) {
    std::string err;
    auto d = etcd::decode_response(r.body, err);
    r.error =
      d && d->error ? d->error->message : "HTTP " + std::to_string(r.status);
  }
  return r;
}

bool etcd_http::authenticate(std::string& error) {
  token_.clear();
  auto r = perform("/v3/auth/authenticate",
                   etcd::encode_authenticate(cfg_.user, cfg_.password), 2000,
                   1000, nullptr);
  if (!r.transport_ok || r.status != 200) {
    error = "authentication: " + r.error;
    return false;
  }
  auto d = etcd::decode_response(r.body, error);
  if (!d || d->token.empty()) {
    error = "authentication: no token (" + error + ")";
    return false;
  }
  token_ = d->token;
  return true;
}

etcd_http_result etcd_http::post(const std::string& path,
                                 const std::string& body, int timeout_ms) {
  if (!cfg_.user.empty() && token_.empty()) {
    etcd_http_result r;
    if (!authenticate(r.error))
      return r;
  }
  auto r = perform(path, body, timeout_ms, std::min(timeout_ms, 1000), nullptr);
  if (!cfg_.user.empty() && r.transport_ok && r.status != 200 &&
      r.error.find("token") != std::string::npos) {
    std::string err;
    if (authenticate(err))
      r = perform(path, body, timeout_ms, std::min(timeout_ms, 1000), nullptr);
  }
  return r;
}

etcd_http_result
etcd_http::stream(const std::string& path, const std::string& body,
                  const std::function<bool(std::string_view)>& on_line,
                  int connect_timeout_ms) {
  if (!cfg_.user.empty() && token_.empty()) {
    etcd_http_result r;
    if (!authenticate(r.error))
      return r;
  }
  return perform(path, body, 0, connect_timeout_ms, &on_line);
}

} // namespace themis::cluster
