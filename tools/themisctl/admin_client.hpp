#pragma once
/// themisctl's HTTP/1.1 client for the admin API (libcurl): bearer token,
/// JSON bodies, a bounded timeout per call, no redirects.

#include <string>

namespace themisctl {

struct http_reply {
  long status = 0; ///< 0: no answer (see `error`)
  std::string body;
  std::string error; ///< transport failure: refused, timeout, TLS …
};

class admin_client {
public:
  /// `cacert`: a PEM bundle to verify an https:// server with ("" : the
  /// system's).
  admin_client(std::string base_url, std::string token, long timeout_s,
               std::string cacert = "");
  ~admin_client();
  admin_client(const admin_client&) = delete;
  admin_client& operator=(const admin_client&) = delete;

  http_reply get(const std::string& path) { return call("GET", path, ""); }
  http_reply post(const std::string& path, const std::string& json_body) {
    return call("POST", path, json_body);
  }
  http_reply del(const std::string& path) { return call("DELETE", path, ""); }
  const std::string& base_url() const { return base_; }

private:
  http_reply call(const char* method, const std::string& path,
                  const std::string& body);

  std::string base_;
  std::string token_;
  long timeout_s_;
  std::string cacert_;
  void* curl_ = nullptr; ///< one handle: the connection is reused
};

} // namespace themisctl
