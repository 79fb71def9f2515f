#pragma once
/// MQTT 3.1.1 (protocol level 4) and 5.0 (level 5) control packets: pure
/// functions over bytes. Decoding validates what the specifications make
/// a "malformed packet" or "protocol error" (reserved flags, lengths, UTF-8,
/// property identifiers and duplicates, QoS, topic wildcards) and reports
/// the MQTT 5 reason code to send (0x81 malformed, 0x82 protocol error,
/// 0x95 packet too large …); a 3.1.1 session closes the connection on any
/// of them. No I/O, no exceptions. References: MQTT 3.1.1 (OASIS 2014),
/// MQTT 5.0 (OASIS 2019), §1.5 data types, §2 packet format, §3 packets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace themis::mqtt {

enum class packet_type : uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
  auth = 15,
};

namespace reason {
constexpr uint8_t success = 0x00, granted_qos1 = 0x01, granted_qos2 = 0x02,
                  disconnect_with_will = 0x04, no_matching_subscribers = 0x10,
                  no_subscription_existed = 0x11, unspecified = 0x80,
                  malformed = 0x81, protocol_error = 0x82,
                  implementation_specific = 0x83,
                  unsupported_protocol_version = 0x84,
                  client_id_not_valid = 0x85, bad_credentials = 0x86,
                  not_authorized = 0x87, server_unavailable = 0x88,
                  server_busy = 0x89, session_taken_over = 0x8E,
                  topic_filter_invalid = 0x8F, topic_name_invalid = 0x90,
                  packet_id_in_use = 0x91, packet_id_not_found = 0x92,
                  receive_maximum_exceeded = 0x93, topic_alias_invalid = 0x94,
                  packet_too_large = 0x95, message_rate_too_high = 0x96,
                  quota_exceeded = 0x97, server_shutting_down = 0x8B,
                  keep_alive_timeout = 0x8D, payload_format_invalid = 0x99,
                  retain_not_supported = 0x9A, qos_not_supported = 0x9B,
                  shared_subscriptions_not_supported = 0x9E,
                  subscription_ids_not_supported = 0xA1,
                  wildcards_not_supported = 0xA2;
} // namespace reason

/// MQTT 5 properties (§2.2.2.2). Absent optionals were not sent.
struct properties {
  std::optional<uint8_t> payload_format;
  std::optional<uint32_t> message_expiry;
  std::optional<std::string> content_type;
  std::optional<std::string> response_topic;
  std::optional<std::string> correlation_data;
  std::vector<uint32_t> subscription_ids; ///< PUBLISH may carry several
  std::optional<uint32_t> session_expiry;
  std::optional<std::string> assigned_client_id;
  std::optional<uint16_t> server_keep_alive;
  std::optional<std::string> auth_method;
  std::optional<std::string> auth_data;
  std::optional<uint8_t> request_problem_info;
  std::optional<uint32_t> will_delay;
  std::optional<uint8_t> request_response_info;
  std::optional<std::string> response_info;
  std::optional<std::string> server_reference;
  std::optional<std::string> reason_string;
  std::optional<uint16_t> receive_maximum;
  std::optional<uint16_t> topic_alias_maximum;
  std::optional<uint16_t> topic_alias;
  std::optional<uint8_t> maximum_qos;
  std::optional<uint8_t> retain_available;
  std::vector<std::pair<std::string, std::string>> user;
  std::optional<uint32_t> maximum_packet_size;
  std::optional<uint8_t> wildcard_available;
  std::optional<uint8_t> subscription_ids_available;
  std::optional<uint8_t> shared_available;
};

struct will_message {
  std::string topic;
  std::string payload;
  uint8_t qos = 0;
  bool retain = false;
  properties props;
};

struct connect_packet {
  uint8_t version = 4; ///< 3 (3.1), 4 (3.1.1) or 5
  bool clean_start = true;
  uint16_t keep_alive = 0;
  std::string client_id;
  std::optional<will_message> will;
  std::optional<std::string> username;
  std::optional<std::string> password;
  properties props;
};

struct connack_packet {
  bool session_present = false;
  uint8_t code = 0; ///< 3.1.1 return code or 5.0 reason code
  properties props;
};

struct publish_packet {
  bool dup = false;
  uint8_t qos = 0;
  bool retain = false;
  std::string topic; ///< may be empty in 5.0 when a topic alias is used
  uint16_t packet_id = 0;
  std::string payload;
  properties props;
};

/// PUBACK, PUBREC, PUBREL, PUBCOMP.
struct ack_packet {
  packet_type type = packet_type::puback;
  uint16_t packet_id = 0;
  uint8_t code = 0;
  properties props;
};

struct subscription {
  std::string filter;
  uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  uint8_t retain_handling = 0;
};

struct subscribe_packet {
  uint16_t packet_id = 0;
  std::vector<subscription> topics;
  properties props;
};

/// SUBACK and UNSUBACK.
struct sub_ack_packet {
  packet_type type = packet_type::suback;
  uint16_t packet_id = 0;
  std::vector<uint8_t> codes;
  properties props;
};

struct unsubscribe_packet {
  uint16_t packet_id = 0;
  std::vector<std::string> filters;
  properties props;
};

/// DISCONNECT and AUTH (5.0).
struct disconnect_packet {
  packet_type type = packet_type::disconnect;
  uint8_t code = 0;
  properties props;
};

struct packet {
  packet_type type = packet_type::pingreq;
  connect_packet connect;
  connack_packet connack;
  publish_packet publish;
  ack_packet ack;
  subscribe_packet subscribe;
  sub_ack_packet sub_ack;
  unsubscribe_packet unsubscribe;
  disconnect_packet disconnect;
};

struct codec_limits {
  uint32_t max_packet = 1u << 20; ///< whole packet, fixed header included
};

enum class decode_status { ok, need_more, error };

struct decode_result {
  decode_status status = decode_status::need_more;
  size_t consumed = 0;
  uint8_t code = 0;      ///< MQTT 5 reason code on error
  const char* what = ""; ///< for logs and reason strings
};

/// Decodes one client-to-server packet. `version` is 0 before CONNECT
/// (only CONNECT is accepted then), else the negotiated 4 or 5.
decode_result decode(std::string_view in, uint8_t version,
                     const codec_limits& lim, packet& out);

/// Encodes a server-to-client packet (any type; also client ones, for
/// tests and the benchmark client). Appends to `out`.
void encode(const packet& p, uint8_t version, std::string& out);

/// A packet's encoded size (for maximum packet size checks).
size_t encoded_size(const packet& p, uint8_t version);

// -- helpers shared with the broker -------------------------------------------

/// UTF-8 as MQTT requires (§1.5.4): well formed, no U+0000, no surrogates.
bool valid_utf8(std::string_view s);
/// A topic name for PUBLISH: non-empty, no wildcards.
bool valid_topic_name(std::string_view t);
/// A topic filter: '+' and '#' only as whole levels, '#' last.
bool valid_topic_filter(std::string_view f);
/// `$share/{group}/{filter}` split; false if `f` is not a shared filter.
bool split_shared(std::string_view f, std::string& group, std::string& filter);
/// Whether `topic` matches `filter` ('$' topics never match a leading
/// wildcard, §4.7.2).
bool topic_matches(std::string_view filter, std::string_view topic);

} // namespace themis::mqtt
