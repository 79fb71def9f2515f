#include "auth/trusted_issuers/https_get.hpp"

#include <curl/curl.h>

namespace themis::auth::trusted {

namespace {

struct sink {
  std::string* body;
  size_t max;
  bool too_big = false;
};

size_t on_body(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<sink*>(user);
  if (s->body->size() + size * n > s->max) {
    s->too_big = true;
    return 0; // aborts the transfer
  }
  s->body->append(p, size * n);
  return size * n;
}

} // namespace

get_result https_get(const std::string& url, const std::string& ca_file,
                     long timeout_ms, size_t max_bytes) {
  get_result out;
  CURL* c = curl_easy_init();
  if (!c) {
    out.error = "curl_easy_init failed";
    return out;
  }
  sink s{&out.body, max_bytes};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  if (!ca_file.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
  auto rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  curl_easy_cleanup(c);
  if (s.too_big) {
    out.status = 0;
    out.error = "answer larger than " + std::to_string(max_bytes) + " bytes";
  } else if (rc != CURLE_OK) {
    out.status = 0;
    out.error = curl_easy_strerror(rc);
  }
  return out;
}

} // namespace themis::auth::trusted
