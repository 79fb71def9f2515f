#pragma once
/// The JSON messages of etcd's v3 gRPC gateway (issue 25, docs/cluster.md):
/// request bodies for /v3/kv/*, /v3/lease/*, /v3/watch and /v3/auth, and
/// decoders for their answers. Keys and values travel base64-encoded and
/// 64-bit numbers as JSON strings (the gateway's proto3 mapping); fields at
/// their default value (0, false, PUT) are left out by the gateway, so a
/// missing field means its default. Pure: no CAF, no sockets, no threads;
/// every decoder refuses oversized, too deeply nested or ill-typed input
/// with an error instead of throwing.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace themis::cluster::etcd {

/// Bounds on one gateway message (a watch line or a whole answer).
struct codec_limits {
  size_t max_bytes = 8u << 20;
  uint32_t max_depth = 16;
};

struct key_value {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

struct response_header {
  int64_t revision = 0;
  uint64_t member_id = 0;
  uint64_t raft_term = 0;
};

/// What every answer may carry instead: the gateway's error object.
struct gateway_error {
  int code = 0; ///< gRPC status code (14 unavailable, 9 failed precondition)
  std::string message;
};

struct decoded {
  response_header header;
  std::optional<gateway_error> error;
  std::vector<key_value> kvs; ///< range (or a txn's range response)
  bool succeeded = false;     ///< txn
  int64_t lease_id = 0;       ///< lease grant / keepalive
  int64_t ttl = 0;            ///< lease grant / keepalive (0: expired)
  std::string token;          ///< auth/authenticate
};

enum class event_type { put, del };

struct watch_event {
  event_type type = event_type::put;
  key_value kv;
};

/// One line of a /v3/watch stream.
struct watch_message {
  response_header header;
  std::optional<gateway_error> error;
  bool created = false;
  bool canceled = false;
  int64_t compact_revision = 0; ///< set: the start revision was compacted
  std::string cancel_reason;
  std::vector<watch_event> events;
};

/// The end of the range holding every key that starts with `prefix`
/// (prefix with its last byte incremented; "\0" for "everything").
std::string prefix_end(std::string_view prefix);

std::string encode_put(std::string_view key, std::string_view value,
                       int64_t lease);
std::string encode_range(std::string_view key, std::string_view range_end);
std::string encode_delete(std::string_view key);
/// Put `value` if the key's mod revision is `mod_revision` (0: the key must
/// not exist); otherwise range the key (so the caller sees the current one).
std::string encode_cas_put(std::string_view key, std::string_view value,
                           int64_t mod_revision);
std::string encode_lease_grant(int64_t ttl_s);
/// Body of /v3/lease/keepalive and /v3/lease/revoke.
std::string encode_lease_id(int64_t id);
std::string encode_watch(std::string_view key, std::string_view range_end,
                         int64_t start_revision);
std::string encode_authenticate(std::string_view user,
                                std::string_view password);

/// Decodes a unary answer (put, range, delete, txn, lease, auth); a
/// keepalive's {"result": …} wrapper is unwrapped. nullopt + `error` when
/// the text is not such an answer.
std::optional<decoded> decode_response(std::string_view text,
                                       std::string& error,
                                       const codec_limits& lim = {});

/// Decodes one line of a watch stream ({"result": …} or {"error": …}).
std::optional<watch_message> decode_watch_line(std::string_view text,
                                               std::string& error,
                                               const codec_limits& lim = {});

} // namespace themis::cluster::etcd
