#pragma once
/// gRPC length-prefixed messages (PROTOCOL-HTTP2.md, "Length-Prefixed-
/// Message"): one flag byte (0 plain, 1 compressed with grpc-encoding),
/// a 4-byte big-endian length, then the message. Pure functions over bytes;
/// a length over the receiver's limit is refused before anything is kept.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace themis::grpc {

enum class frame_status {
  ok,        ///< one message decoded
  need_more, ///< the prefix or the message is not complete yet
  too_large, ///< the prefix announces more than the limit: RESOURCE_EXHAUSTED
  bad_flag,  ///< the flag byte is neither 0 nor 1: INTERNAL
};

struct frame_result {
  frame_status status = frame_status::need_more;
  size_t consumed = 0; ///< bytes of `in` the message took (ok only)
  bool compressed = false;
  std::string_view message; ///< a view into `in` (ok only)
  uint32_t length = 0;      ///< the announced length (ok, too_large)
};

/// Decodes the first message of `in`.
frame_result decode_frame(std::string_view in, size_t max_message);

/// The prefix and `message`.
std::string encode_frame(std::string_view message, bool compressed);
void append_frame(std::string& out, std::string_view message, bool compressed);

struct split_result {
  frame_status status = frame_status::ok; ///< need_more: a cut-off message
  std::vector<frame_result> messages;     ///< views into the body
};

/// Every message of a whole request body, at most `max_messages` of them
/// (more: too_large). A body that ends inside a message is need_more.
split_result split_body(std::string_view body, size_t max_message,
                        size_t max_messages);

} // namespace themis::grpc
