#pragma once
/// A small blocking HTTP/1.1 client for etcd's v3 JSON gateway (issue 25),
/// on libcurl (already linked for trace export): unary POSTs and streaming
/// POSTs (/v3/watch, whose answer is one JSON object per line). It is
/// meant for threads of its own (the etcd session's): a call blocks its
/// caller, never a scheduler thread. Every wait polls a stop flag at least
/// every 50 ms, so a session stops promptly. One instance per thread.
///
/// Endpoints are tried in turn: a transport failure (refused, timeout)
/// moves to the next one for the next call. With a user, the first call
/// authenticates (/v3/auth/authenticate) and sends the token after; an
/// expired or refused token is fetched again once.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

namespace themis::cluster {

struct etcd_http_config {
  std::vector<std::string> endpoints; ///< http[s]://host:port
  std::string user;
  std::string password;
  std::string ca_file; ///< https: the CA to verify the members with
};

struct etcd_http_result {
  bool transport_ok = false; ///< an HTTP answer arrived
  long status = 0;
  std::string body;
  std::string error; ///< transport error or etcd's message
  std::string endpoint;
};

class etcd_http {
public:
  etcd_http(etcd_http_config cfg, const std::atomic<bool>* stop);
  ~etcd_http();
  etcd_http(const etcd_http&) = delete;
  etcd_http& operator=(const etcd_http&) = delete;

  /// POST `body` to `path` (e.g. "/v3/kv/put") on the current endpoint.
  etcd_http_result post(const std::string& path, const std::string& body,
                        int timeout_ms);

  /// POST and hand each line of the answer to `on_line` until the stream
  /// ends, fails, `on_line` returns false or the stop flag is set. No
  /// overall timeout; `connect_timeout_ms` bounds the connection set-up.
  etcd_http_result stream(const std::string& path, const std::string& body,
                          const std::function<bool(std::string_view)>& on_line,
                          int connect_timeout_ms);

  /// Moves to the next endpoint (after a failure the caller noticed).
  void rotate();
  const std::string& endpoint() const;

private:
  etcd_http_result perform(const std::string& path, const std::string& body,
                           int timeout_ms, int connect_timeout_ms,
                           const std::function<bool(std::string_view)>* lines);
  bool authenticate(std::string& error);

  etcd_http_config cfg_;
  const std::atomic<bool>* stop_;
  size_t current_ = 0;
  std::string token_;
  void* multi_ = nullptr; ///< CURLM*
};

} // namespace themis::cluster
