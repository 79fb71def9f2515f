#include "protocols/grpc/connect_protocol.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace themis::grpc {

std::string_view connect_code_name(int code) {
  switch (code) {
    case 1:
      return "canceled";
    case 3:
      return "invalid_argument";
    case 4:
      return "deadline_exceeded";
    case 5:
      return "not_found";
    case 6:
      return "already_exists";
    case 7:
      return "permission_denied";
    case 8:
      return "resource_exhausted";
    case 9:
      return "failed_precondition";
    case 10:
      return "aborted";
    case 11:
      return "out_of_range";
    case 12:
      return "unimplemented";
    case 13:
      return "internal";
    case 14:
      return "unavailable";
    case 15:
      return "data_loss";
    case 16:
      return "unauthenticated";
    default:
      return "unknown";
  }
}

int connect_http_status(int code) {
  switch (code) {
    case 0:
      return 200;
    case 1:
      return 499;
    case 3:
    case 9:
    case 11:
      return 400;
    case 4:
      return 504;
    case 5:
      return 404;
    case 6:
    case 10:
      return 409;
    case 7:
      return 403;
    case 8:
      return 429;
    case 12:
      return 501;
    case 14:
      return 503;
    case 16:
      return 401;
    default:
      return 500; // unknown, internal, data_loss
  }
}

namespace {
nlohmann::json error_object(int code, std::string_view message) {
  nlohmann::json e = {{"code", connect_code_name(code)}};
  if (!message.empty())
    e["message"] = std::string(message);
  e["details"] = nlohmann::json::array();
  return e;
}

std::string dump(const nlohmann::json& j) {
  // invalid UTF-8 in a message must not throw: replaced
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
} // namespace

std::string connect_error_json(int code, std::string_view message) {
  return dump(error_object(code, message));
}

std::string connect_end_stream_json(
  int code, std::string_view message,
  const std::vector<std::pair<std::string, std::string>>& metadata) {
  nlohmann::json j = nlohmann::json::object();
  if (code != 0)
    j["error"] = error_object(code, message);
  if (!metadata.empty()) {
    nlohmann::json m = nlohmann::json::object();
    for (auto& [k, v] : metadata)
      m[k].push_back(v);
    j["metadata"] = std::move(m);
  }
  return dump(j);
}

void append_envelope(std::string& out, uint8_t flags,
                     std::string_view payload) {
  auto len = static_cast<uint32_t>(payload.size());
  out += static_cast<char>(flags);
  out += static_cast<char>((len >> 24) & 0xff);
  out += static_cast<char>((len >> 16) & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  out += static_cast<char>(len & 0xff);
  out.append(payload);
}

std::optional<uint64_t> parse_connect_timeout_ms(std::string_view value) {
  if (value.empty() || value.size() > 10)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : value) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return std::min<uint64_t>(v, uint64_t{1} << 31);
}

} // namespace themis::grpc
