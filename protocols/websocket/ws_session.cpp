#include "protocols/websocket/ws_session.hpp"

namespace themis::ws {

ws_session::ws_session(ws_options opts, ws_callbacks& cb) :
  opts_(std::move(opts)), cb_(cb) {
  opts_.limits.allow_rsv1 = opts_.deflate.has_value();
  if (opts_.deflate)
    deflate_ = std::make_unique<deflate_codec>(*opts_.deflate);
}

void ws_session::on_data(std::string_view data) {
  if (closed_)
    return;
  inbuf_.append(data);
  size_t pos = 0;
  while (!closed_) {
    frame f;
    auto r =
      decode_frame(std::string_view(inbuf_).substr(pos), opts_.limits, f);
    if (r.status == decode_status::need_more)
      break;
    if (r.status == decode_status::error) {
      fail(r.close_code, r.reason);
      break;
    }
    pos += r.consumed;
    handle(f);
  }
  inbuf_.erase(0, pos);
}

void ws_session::handle(frame& f) {
  switch (f.op) {
    case opcode::ping:
      if (!close_sent_) {
        std::string out;
        encode_frame(opcode::pong, f.payload, true, out);
        emit(std::move(out));
      }
      return;
    case opcode::pong:
      return;
    case opcode::close: {
      uint16_t code = 1000;
      if (f.payload.size() == 1)
        return fail(1002, "close payload of one byte");
      if (f.payload.size() >= 2) {
        code = static_cast<uint16_t>((static_cast<uint8_t>(f.payload[0]) << 8) |
                                     static_cast<uint8_t>(f.payload[1]));
        if (!valid_close_code(code))
          return fail(1002, "invalid close code");
        if (!valid_utf8(std::string_view(f.payload).substr(2)))
          return fail(1007, "close reason is not UTF-8");
      }
      if (!close_sent_) {
        // echo the peer's code (RFC 6455 §5.5.1)
        std::string out;
        encode_close(f.payload.empty() ? 1000 : code, {}, out);
        emit(std::move(out));
        close_sent_ = true;
      }
      closed_ = true;
      cb_.close_transport();
      return;
    }
    case opcode::continuation:
      if (!in_message_)
        return fail(1002, "continuation without a message");
      break;
    case opcode::text:
    case opcode::binary:
      if (in_message_)
        return fail(1002, "new message before the last one ended");
      in_message_ = true;
      message_op_ = f.op;
      message_compressed_ = f.rsv1;
      message_.clear();
      break;
  }
  if (close_sent_)
    return; // closing: data is discarded
  if (message_.size() + f.payload.size() > opts_.max_message)
    return fail(1009, "message too big");
  message_.append(f.payload);
  if (!f.fin)
    return;
  in_message_ = false;
  bool binary = message_op_ == opcode::binary;
  if (binary ? !opts_.accept_binary : !opts_.accept_text)
    return fail(1003, binary ? "binary messages are not supported"
                             : "text messages are not supported");
  if (message_compressed_) {
    std::string plain;
    switch (deflate_->decompress(message_, opts_.max_message, plain)) {
      case deflate_codec::inflate_status::too_big:
        return fail(1009, "message too big");
      case deflate_codec::inflate_status::corrupt:
        return fail(1007, "invalid compressed data");
      case deflate_codec::inflate_status::ok:
        break;
    }
    message_ = std::move(plain);
  }
  if (binary) {
    count_received();
    cb_.on_binary(std::move(message_));
    message_.clear();
    return;
  }
  if (!valid_utf8(message_))
    return fail(1007, "text message is not UTF-8");
  count_received();
  cb_.on_text(std::move(message_));
  message_.clear();
}

void ws_session::emit(std::string bytes) {
  bytes_sent_ += bytes.size();
  cb_.send(std::move(bytes));
}

void ws_session::send_data(opcode op, std::string_view payload, bool compress) {
  if (close_sent_)
    return;
  std::string out;
  if (compress && deflate_ && payload.size() >= opts_.compress_min)
    encode_frame(op, deflate_->compress(payload), true, out, true);
  else
    encode_frame(op, payload, true, out);
  if (opts_.counters)
    opts_.counters->sent.fetch_add(1, std::memory_order_relaxed);
  emit(std::move(out));
}

void ws_session::count_received() {
  if (opts_.counters)
    opts_.counters->received.fetch_add(1, std::memory_order_relaxed);
}

void ws_session::send_binary(std::string_view bytes, bool compress) {
  send_data(opcode::binary, bytes, compress);
}

void ws_session::send_text(std::string_view text, bool compress) {
  send_data(opcode::text, text, compress);
}

void ws_session::send_ping(std::string_view payload) {
  if (close_sent_)
    return;
  std::string out;
  encode_frame(opcode::ping, payload.substr(0, 125), true, out);
  emit(std::move(out));
}

void ws_session::close(uint16_t code, std::string_view reason) {
  if (close_sent_)
    return;
  std::string out;
  encode_close(code, reason, out);
  emit(std::move(out));
  close_sent_ = true;
}

void ws_session::fail(uint16_t code, std::string_view reason) {
  if (!close_sent_) {
    std::string out;
    encode_close(code, reason, out);
    emit(std::move(out));
    close_sent_ = true;
  }
  closed_ = true;
  cb_.close_transport(); // after a protocol error there is no handshake
}

} // namespace themis::ws
