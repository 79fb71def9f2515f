#include "auth/ranger/ranger_poller.hpp"

#include <cstdio>
#include <curl/curl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace themis::auth::ranger {

namespace {

constexpr size_t max_body = 16u << 20;

size_t on_body(char* p, size_t n, size_t m, void* ud) {
  auto* out = static_cast<std::string*>(ud);
  if (out->size() + n * m > max_body)
    return 0; // abort: larger than any policy set we accept
  out->append(p, n * m);
  return n * m;
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

int64_t mtime_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 +
         st.st_mtim.tv_nsec;
}

} // namespace

ranger_poller::ranger_poller(poller_settings s,
                             std::shared_ptr<ranger_enforcer> e) :
  settings_(std::move(s)),
  enforcer_(std::move(e)) {}

ranger_poller::~ranger_poller() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

bool ranger_poller::load_text(const std::string& text, const std::string& from,
                              bool write_cache) {
  std::string err;
  auto ps = parse_service_policies(text, err);
  if (!ps) {
    std::fprintf(stderr, "ranger: %s: %s (keeping policy version %lld)\n",
                 from.c_str(), err.c_str(),
                 static_cast<long long>(enforcer_->version()));
    return false;
  }
  if (!settings_.service.empty() && ps->service_name != settings_.service) {
    std::fprintf(stderr, "ranger: %s: serviceName %s, expected %s\n",
                 from.c_str(), ps->service_name.c_str(),
                 settings_.service.c_str());
    return false;
  }
  auto version = ps->policy_version;
  enforcer_->set_policies(
    std::make_shared<const service_policies>(std::move(*ps)));
  if (write_cache && !settings_.cache_file.empty()) {
    auto tmp = settings_.cache_file + ".tmp";
    if (std::FILE* f = std::fopen(tmp.c_str(), "wb")) {
      bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
      ok = (std::fflush(f) == 0) && ok;
      std::fclose(f);
      if (ok)
        std::rename(tmp.c_str(), settings_.cache_file.c_str());
    }
  }
  std::fprintf(stderr, "ranger: policy version %lld from %s\n",
               static_cast<long long>(version), from.c_str());
  return true;
}

void ranger_poller::start() {
  std::string text;
  bool loaded = false;
  if (!settings_.url.empty() && !settings_.cache_file.empty() &&
      read_file(settings_.cache_file, text))
    loaded = load_text(text, settings_.cache_file, false);
  if (!loaded && !settings_.file.empty()) {
    file_mtime_ = mtime_of(settings_.file);
    if (read_file(settings_.file, text))
      load_text(text, settings_.file, false);
  }
  poll_once();
  thread_ = std::thread([this] { run(); });
}

void ranger_poller::run() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    cv_.wait_for(lk,
                 std::chrono::seconds(settings_.poll_s ? settings_.poll_s : 30),
                 [&] { return stop_.load(); });
    if (stop_)
      break;
    lk.unlock();
    poll_once();
    lk.lock();
  }
}

bool ranger_poller::poll_once() {
  if (settings_.url.empty()) {
    if (settings_.file.empty())
      return enforcer_->policies() != nullptr;
    auto m = mtime_of(settings_.file);
    if (m != 0 && m != file_mtime_) {
      std::string text;
      if (read_file(settings_.file, text) &&
          load_text(text, settings_.file, false))
        file_mtime_ = m;
    }
    return enforcer_->policies() != nullptr;
  }
  CURL* c = curl_easy_init();
  if (!c)
    return false;
  std::string base = settings_.url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  char* svc = curl_easy_escape(c, settings_.service.c_str(), 0);
  std::string url =
    base + "/service/plugins/policies/download/" + (svc ? svc : "") +
    "?lastKnownVersion=" + std::to_string(enforcer_->version()) +
    "&pluginId=themisd@" + (svc ? svc : "");
  curl_free(svc);
  std::string body;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(settings_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(settings_.timeout_ms));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!settings_.ca_file.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
  std::string userpwd = settings_.user + ":" + settings_.password;
  if (!settings_.user.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
  }
  auto rc = curl_easy_perform(c);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  if (rc != CURLE_OK || (status != 200 && status != 304)) {
    ++failures_;
    std::fprintf(stderr,
                 "ranger: fetch %s failed (%s, HTTP %ld); enforcing policy "
                 "version %lld\n",
                 url.c_str(), curl_easy_strerror(rc), status,
                 static_cast<long long>(enforcer_->version()));
    return enforcer_->policies() != nullptr;
  }
  if (status == 200)
    load_text(body, url, true);
  return enforcer_->policies() != nullptr;
}

} // namespace themis::auth::ranger
