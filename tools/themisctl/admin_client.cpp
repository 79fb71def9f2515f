#include "tools/themisctl/admin_client.hpp"

#include <algorithm>
#include <curl/curl.h>

namespace themisctl {

namespace {

size_t append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

} // namespace

admin_client::admin_client(std::string base_url, std::string token,
                           long timeout_s, std::string cacert) :
  base_(std::move(base_url)),
  token_(std::move(token)), timeout_s_(timeout_s), cacert_(std::move(cacert)) {
  while (!base_.empty() && base_.back() == '/')
    base_.pop_back();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  curl_ = curl_easy_init();
}

admin_client::~admin_client() {
  if (curl_)
    curl_easy_cleanup(static_cast<CURL*>(curl_));
  curl_global_cleanup();
}

http_reply admin_client::call(const char* method, const std::string& path,
                              const std::string& body) {
  http_reply out;
  auto* c = static_cast<CURL*>(curl_);
  if (!c) {
    out.error = "libcurl could not start";
    return out;
  }
  curl_easy_reset(c);
  auto url = base_ + path;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Accept: application/json");
  std::string auth;
  if (!token_.empty()) {
    auth = "Authorization: Bearer " + token_;
    headers = curl_slist_append(headers, auth.c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (std::string(method) == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s_);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, std::min(timeout_s_, 10L));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (!cacert_.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, cacert_.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "themisctl/" THEMIS_VERSION);
  auto rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    out.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    return out;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

} // namespace themisctl
