#include "protocols/grpc/grpc_frame.hpp"

namespace themis::grpc {

frame_result decode_frame(std::string_view in, size_t max_message) {
  frame_result r;
  if (in.size() < 5)
    return r; // need_more
  auto flag = static_cast<uint8_t>(in[0]);
  if (flag > 1) {
    r.status = frame_status::bad_flag;
    return r;
  }
  uint32_t len = 0;
  for (int i = 1; i <= 4; ++i)
    len = (len << 8) | static_cast<uint8_t>(in[i]);
  r.length = len;
  // refused on the prefix alone: nothing of an oversized message is held
  if (len > max_message) {
    r.status = frame_status::too_large;
    return r;
  }
  if (in.size() - 5 < len)
    return r; // need_more
  r.status = frame_status::ok;
  r.compressed = flag == 1;
  r.message = in.substr(5, len);
  r.consumed = 5 + static_cast<size_t>(len);
  return r;
}

void append_frame(std::string& out, std::string_view message, bool compressed) {
  auto len = static_cast<uint32_t>(message.size());
  char prefix[5] = {static_cast<char>(compressed ? 1 : 0),
                    static_cast<char>((len >> 24) & 0xff),
                    static_cast<char>((len >> 16) & 0xff),
                    static_cast<char>((len >> 8) & 0xff),
                    static_cast<char>(len & 0xff)};
  out.append(prefix, 5);
  out.append(message);
}

std::string encode_frame(std::string_view message, bool compressed) {
  std::string out;
  out.reserve(message.size() + 5);
  append_frame(out, message, compressed);
  return out;
}

split_result split_body(std::string_view body, size_t max_message,
                        size_t max_messages) {
  split_result out;
  while (!body.empty()) {
    auto f = decode_frame(body, max_message);
    if (f.status != frame_status::ok) {
      out.status = f.status;
      return out;
    }
    if (out.messages.size() == max_messages) {
      out.status = frame_status::too_large;
      return out;
    }
    body.remove_prefix(f.consumed);
    out.messages.push_back(f);
  }
  return out;
}

} // namespace themis::grpc
