/// Test client for WebSocket over HTTP/3 (RFC 9220), on ngtcp2 0.12 +
/// nghttp3 0.8 + GnuTLS like the server (Debian 12 has no client that
/// sends `:protocol` over HTTP/3: docs/http3.md). One QUIC connection,
/// one extended CONNECT; then the request stream carries WebSocket frames
/// (masked, RFC 6455 §5.3) that protocols/websocket's codec writes and
/// reads. The wire protocol on top (MQTT, PostgreSQL) is the caller's:
///
///   stdin  `send HEX`  one binary message
///          `text MSG`  one text message (the changefeed endpoints')
///          `close`     close frame; FIN after the server's close frame
///          `abort`     RESET_STREAM + STOP_SENDING (H3_REQUEST_CANCELLED)
///          `pause`, `resume`: stop and restart reading the socket (a
///                      slow reader: nothing is acknowledged meanwhile)
///   stdout `settings connect_protocol=N`, `status N`, `header K: V`,
///          `open` (a 200) or `answered`, `body TEXT` (a refusal's),
///          `recv HEX` (one binary message), `text MSG` (one text
///          message, newlines as \n), `wsclose CODE`,
///          `reset CODE` (the server reset the stream), `fin`, `end`
///
/// h3_ws_client HOST PORT [--path P] [--protocol websocket|none]
///   [--subprotocol S] [--header "NAME: VALUE"]... [--no-path]
///   [--timeout SECONDS]
/// Exit: 0 after the stream ended, 2 on a connection error, 3 on timeout.
/// Source: this file (the WebSocket side, the loop), h3_ws_quic.cpp
/// (QUIC/HTTP/3), h3_ws_client.hpp (the state).

#include <cctype>
#include <cstring>
#include <poll.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "tests/clients/h3_ws_client.hpp"

namespace h3ws {

namespace {

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string unhex(std::string_view s) {
  std::string out;
  for (size_t i = 0; i + 1 < s.size(); i += 2)
    out +=
      static_cast<char>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16));
  return out;
}

/// The frame at the start of `in` with a mask added (key `key`): a client
/// frame for the codec's encoder output, and, with a zero key, the
/// server's unmasked frames in the form decode_frame reads. 0: incomplete.
size_t add_mask(std::string_view in, const uint8_t key[4], std::string& out) {
  if (in.size() < 2)
    return 0;
  size_t len7 = static_cast<uint8_t>(in[1]) & 0x7f;
  size_t hdr = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
  if (in.size() < hdr)
    return 0;
  uint64_t len = len7;
  if (len7 >= 126) {
    len = 0;
    for (size_t i = 2; i < hdr; ++i)
      len = (len << 8) | static_cast<uint8_t>(in[i]);
  }
  if (in.size() < hdr + len)
    return 0;
  out.assign(in.substr(0, hdr));
  out[1] = static_cast<char>(out[1] | 0x80);
  out.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < len; ++i)
    out += static_cast<char>(in[hdr + i] ^ key[i % 4]);
  return hdr + len;
}

} // namespace

void client::send_frame(ws::opcode op, std::string_view payload) {
  std::string plain, masked;
  if (op == ws::opcode::close)
    ws::encode_close(1000, "", plain);
  else
    ws::encode_frame(op, payload, true, plain);
  uint8_t key[4];
  gnutls_rnd(GNUTLS_RND_NONCE, key, 4);
  add_mask(plain, key, masked);
  out.push_back(std::move(masked));
  if (h3 && sid >= 0)
    nghttp3_conn_resume_stream(h3, sid);
}
void client::on_close(std::string_view payload) {
  line("wsclose " + std::to_string(payload.size() >= 2
                                     ? (static_cast<uint8_t>(payload[0]) << 8) |
                                         static_cast<uint8_t>(payload[1])
                                     : 1005));
  if (!close_sent)
    send_frame(ws::opcode::close, {});
  close_sent = out_eof = true; // (our FIN follows the close frames)
  if (h3 && sid >= 0)
    nghttp3_conn_resume_stream(h3, sid);
}
void client::on_ws_bytes(std::string_view b) {
  in.append(b);
  static const uint8_t zero[4] = {0, 0, 0, 0};
  ws::codec_limits lim;
  lim.max_frame_payload = 64u << 20;
  for (;;) {
    std::string masked;
    size_t n = add_mask(in, zero, masked);
    if (!n)
      return;
    ws::frame f;
    auto r = ws::decode_frame(masked, lim, f);
    in.erase(0, n);
    if (r.status != ws::decode_status::ok) {
      line(std::string("wserror ") + r.reason);
      continue;
    }
    if (f.op == ws::opcode::text) {
      std::string t;
      for (char ch : f.payload)
        t += ch == '\n' ? std::string("\\n") : std::string(1, ch);
      line("text " + t);
    } else if (f.op == ws::opcode::binary) {
      line("recv " + hex(f.payload));
    } else if (f.op == ws::opcode::close)
      on_close(f.payload);
    else if (f.op == ws::opcode::ping)
      send_frame(ws::opcode::pong, f.payload);
  }
}
void client::peek_settings(int64_t id, const uint8_t* d, size_t n,
                           uint64_t off) {
  if (id != 3 || off != 0)
    return;
  size_t p = 0;
  auto varint = [&](uint64_t& v) {
    if (p >= n)
      return false;
    size_t len = size_t(1) << (d[p] >> 6);
    if (p + len > n)
      return false;
    v = d[p] & 0x3f;
    for (size_t i = 1; i < len; ++i)
      v = (v << 8) | d[p + i];
    p += len;
    return true;
  };
  uint64_t type, ftype, flen, value = 0;
  if (!varint(type) || type != 0 || !varint(ftype) || ftype != 4 ||
      !varint(flen))
    return;
  size_t end = std::min(n, p + flen);
  while (p < end) {
    uint64_t k, v;
    if (!varint(k) || !varint(v))
      break;
    if (k == 0x08)
      value = v;
  }
  line("settings connect_protocol=" + std::to_string(value));
}
void client::submit() {
  if (submitted || !h3 || !ngtcp2_conn_get_handshake_completed(conn))
    return;
  if (ngtcp2_conn_open_bidi_stream(conn, &sid, nullptr) != 0)
    return;
  submitted = true;
  std::vector<std::pair<std::string, std::string>> hs = {
    {":method", "CONNECT"}};
  if (protocol != "none") { // (a proxy's CONNECT has neither, §4.4)
    hs.emplace_back(":protocol", protocol);
    hs.emplace_back(":scheme", "https");
    if (!no_path)
      hs.emplace_back(":path", path);
  }
  hs.emplace_back(":authority", host);
  hs.emplace_back("sec-websocket-version", "13");
  if (!subprotocol.empty())
    hs.emplace_back("sec-websocket-protocol", subprotocol);
  for (auto& kv : extra)
    hs.push_back(kv);
  std::vector<nghttp3_nv> nva;
  for (auto& [k, v] : hs)
    nva.push_back({reinterpret_cast<uint8_t*>(k.data()),
                   reinterpret_cast<uint8_t*>(v.data()), k.size(), v.size(),
                   NGHTTP3_NV_FLAG_NONE});
  nghttp3_data_reader dr{read_data};
  nghttp3_conn_submit_request(h3, sid, nva.data(), nva.size(), &dr, nullptr);
}
nghttp3_ssize client::read_data(nghttp3_conn*, int64_t, nghttp3_vec* vec,
                                size_t veccnt, uint32_t* flags, void* u,
                                void*) {
  auto* c = static_cast<client*>(u);
  size_t n = 0;
  while (n < veccnt && c->handed < c->out.size()) {
    auto& piece = c->out[c->handed++];
    vec[n++] = {reinterpret_cast<uint8_t*>(piece.data()), piece.size()};
  }
  if (c->handed == c->out.size() && c->out_eof)
    *flags |= NGHTTP3_DATA_FLAG_EOF;
  else if (n == 0)
    return NGHTTP3_ERR_WOULDBLOCK;
  return static_cast<nghttp3_ssize>(n);
}

namespace {

int run(client& c, const std::string& port, double timeout_s) {
  if (!c.connect(port))
    return 2;

  auto deadline = now_ns() + static_cast<uint64_t>(timeout_s * 1e9);
  std::string stdin_buf;
  bool stdin_open = true;
  while (!c.done) {
    if (!c.write())
      return 2;
    auto now = now_ns();
    if (now >= deadline) {
      c.line("timeout");
      return 3;
    }
    auto expiry = ngtcp2_conn_get_expiry(c.conn);
    uint64_t wait_ns = std::min<uint64_t>(deadline - now, 100'000'000ull);
    if (expiry > now)
      wait_ns = std::min(wait_ns, expiry - now);
    else
      wait_ns = 0;
    // paused: the socket's datagrams queue (and drop) unread
    pollfd fds[2] = {{c.fd, static_cast<short>(c.paused ? 0 : POLLIN), 0},
                     {0, POLLIN, 0}};
    int nfds = stdin_open && c.h3 && c.submitted ? 2 : 1;
    ::poll(fds, static_cast<nfds_t>(nfds),
           static_cast<int>((wait_ns + 999999) / 1000000));
    if ((fds[0].revents & POLLIN) && !c.read())
      return 2;
    if (nfds == 2 && (fds[1].revents & (POLLIN | POLLHUP))) {
      char b[65536];
      auto n = ::read(0, b, sizeof b);
      if (n <= 0)
        stdin_open = false;
      else
        stdin_buf.append(b, static_cast<size_t>(n));
      size_t nl;
      while ((nl = stdin_buf.find('\n')) != std::string::npos) {
        auto cmd = stdin_buf.substr(0, nl);
        stdin_buf.erase(0, nl + 1);
        if (cmd.rfind("send ", 0) == 0) {
          c.send_frame(ws::opcode::binary, unhex(cmd.substr(5)));
        } else if (cmd.rfind("text ", 0) == 0) {
          c.send_frame(ws::opcode::text, cmd.substr(5));
        } else if (cmd == "close" && !c.close_sent) {
          c.send_frame(ws::opcode::close, {});
          c.close_sent = true;
        } else if (cmd == "abort" && c.sid >= 0) {
          ngtcp2_conn_shutdown_stream(c.conn, c.sid,
                                      NGHTTP3_H3_REQUEST_CANCELLED);
          c.line("aborted");
        } else if (cmd == "pause") {
          c.paused = true;
        } else if (cmd == "resume") {
          c.paused = false;
        }
      }
    }
    if (now_ns() >= ngtcp2_conn_get_expiry(c.conn) &&
        ngtcp2_conn_handle_expiry(c.conn, now_ns()) != 0) {
      c.line("connection timed out");
      return 2;
    }
  }
  c.write(); // (acknowledgements)
  c.close_connection();
  c.line("end");
  return 0;
}

} // namespace

} // namespace h3ws

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: h3_ws_client HOST PORT [--path P] [--protocol "
                 "websocket|none] [--subprotocol S] [--header \"K: V\"] "
                 "[--no-path] [--timeout SECONDS]\n");
    return 64;
  }
  h3ws::client c;
  c.host = argv[1];
  std::string port = argv[2];
  double timeout = 20;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : ""; };
    if (a == "--path")
      c.path = next();
    else if (a == "--protocol")
      c.protocol = next();
    else if (a == "--subprotocol")
      c.subprotocol = next();
    else if (a == "--header") {
      auto h = next();
      auto colon = h.find(':');
      if (colon == std::string::npos)
        continue;
      auto v = h.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      std::string k = h.substr(0, colon);
      for (auto& ch : k)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      c.extra.emplace_back(k, v);
    } else if (a == "--no-path")
      c.no_path = true;
    else if (a == "--timeout")
      timeout = std::stod(next());
  }
  return h3ws::run(c, port, timeout);
}
