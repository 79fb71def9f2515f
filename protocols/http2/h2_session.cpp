#include "protocols/http2/h2_session.hpp"

#include <algorithm>
#include <cstring>
#include <nghttp2/nghttp2.h>
#include <vector>

#include "protocols/declared_length.hpp"
#include "protocols/http1/response_writer.hpp"
#include "themis/base64.hpp"

namespace themis::http2 {

namespace {

h2_session* self_of(void* user) {
  return static_cast<h2_session*>(user);
}

int begin_headers_cb(nghttp2_session*, const nghttp2_frame* f, void* u) {
  if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  return self_of(u)->on_begin_headers(f->hd.stream_id);
}

int header_cb(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name,
              size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
              void* u) {
  if (f->hd.type != NGHTTP2_HEADERS)
    return 0;
  return self_of(u)->on_header(
    f->hd.stream_id,
    std::string_view(reinterpret_cast<const char*>(name), namelen),
    std::string_view(reinterpret_cast<const char*>(value), valuelen));
}

int data_chunk_cb(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data,
                  size_t len, void* u) {
  return self_of(u)->on_data_chunk(id, data, len);
}

int frame_recv_cb(nghttp2_session*, const nghttp2_frame* f, void* u) {
  if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
      (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
    return self_of(u)->on_request_done(f->hd.stream_id);
  if (f->hd.type == NGHTTP2_HEADERS)
    self_of(u)->on_headers_done(f->hd.stream_id);
  return 0;
}

int stream_close_cb(nghttp2_session*, int32_t id, uint32_t code, void* u) {
  return self_of(u)->on_stream_close(id, code);
}

int begin_frame_cb(nghttp2_session*, const nghttp2_frame_hd* hd, void* u) {
  return self_of(u)->on_begin_frame(hd->type, hd->stream_id) == 0
           ? 0
           : NGHTTP2_ERR_CALLBACK_FAILURE;
}

int frame_send_cb(nghttp2_session*, const nghttp2_frame* f, void* u) {
  self_of(u)->on_frame_sent(f->hd.type, f->hd.flags, f->hd.stream_id);
  return 0;
}

ssize_t read_cb(nghttp2_session*, int32_t id, uint8_t* buf, size_t len,
                uint32_t* flags, nghttp2_data_source*, void* u) {
  return self_of(u)->read_body(id, buf, len, flags);
}

/// A content-length value: 1 to 18 digits, nothing else.
bool parse_length(std::string_view v, uint64_t& out) {
  if (v.empty() || v.size() > 18)
    return false;
  out = 0;
  for (char c : v) {
    if (c < '0' || c > '9')
      return false;
    out = out * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

bool connection_specific(std::string_view name) {
  // RFC 9113 §8.2.2: not allowed in HTTP/2
  for (auto n : {"connection", "keep-alive", "proxy-connection",
                 "transfer-encoding", "upgrade", "content-length"})
    if (iequals(name, n))
      return true;
  return false;
}

} // namespace

h2_session::h2_session(h2_options opts, http1::session_callbacks& cb) :
  opts_(std::move(opts)), cb_(cb) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
                                                          begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(cbs, header_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, data_chunk_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frame_recv_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, stream_close_cb);
  nghttp2_session_callbacks_set_on_begin_frame_callback(cbs, begin_frame_cb);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, frame_send_cb);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_max_settings(opt, 32); // (a SETTINGS flood)
  // WINDOW_UPDATEs are ours (on_data_chunk, consumed()): a gRPC request
  // stream's window reopens only as its call takes the messages
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_session_server_new2(&s_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_settings_entry iv[] = {
    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, opts_.max_concurrent_streams},
    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, opts_.initial_window_size},
    {NGHTTP2_SETTINGS_MAX_FRAME_SIZE, opts_.max_frame_size},
    {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, opts_.max_header_list_size},
    {NGHTTP2_SETTINGS_ENABLE_CONNECT_PROTOCOL, 1}, // RFC 8441
  };
  size_t n_iv = sizeof iv / sizeof iv[0];
  if (!opts_.enable_connect_protocol)
    --n_iv; // (the last entry)
  nghttp2_submit_settings(s_, NGHTTP2_FLAG_NONE, iv, n_iv);
  idle_since_ms_ = cb_.now_ms();
  flush();
}

h2_session::~h2_session() {
  nghttp2_session_del(s_);
}

bool h2_session::valid_settings(std::string_view settings) {
  std::string payload;
  return base64url_decode(settings, payload, true) && payload.size() % 6 == 0;
}

bool h2_session::upgrade(std::string_view settings, api_request req,
                         bool head) {
  std::string payload;
  if (!base64url_decode(settings, payload, true))
    return false;
  if (nghttp2_session_upgrade2(s_,
                               reinterpret_cast<const uint8_t*>(payload.data()),
                               payload.size(), head ? 1 : 0, nullptr) != 0)
    return false;
  highest_seen_ = 1;
  auto& st = streams_[1];
  st.head = head;
  st.req = std::move(req);
  st.request_done = st.headers_done = true;
  st.started_ms = cb_.now_ms();
  cb_.on_request(1, st.req); // stream 1 is the upgraded request
  flush();
  return true;
}

void h2_session::flush() {
  if (closed_)
    return;
  // a peer that does not read gets no more frames until it does
  // (check_timeouts flushes again); nghttp2 keeps the rest queued
  if (cb_.unsent_pieces() >= opts_.max_unsent_pieces ||
      cb_.unsent_bytes() >= opts_.max_unsent_bytes)
    return;
  std::string out;
  while (true) {
    const uint8_t* data = nullptr;
    auto n = nghttp2_session_mem_send(s_, &data);
    if (n < 0) {
      closed_ = true;
      break;
    }
    if (n == 0)
      break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (!out.empty())
    cb_.send(std::move(out));
  bool done =
    closed_ ||
    (!nghttp2_session_want_read(s_) && !nghttp2_session_want_write(s_)) ||
    (draining_ && streams_.empty());
  if (done) {
    closed_ = true;
    cb_.close();
  }
}

void h2_session::on_data(std::string_view data) {
  if (closed_)
    return;
  auto rv = nghttp2_session_mem_recv(
    s_, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  if (rv < 0) {
    // a connection error (bad preface, flood, compression error …):
    // GOAWAY with the code, then close
    // (or one of our own checks, conn_error_)
    cb_.on_protocol_error(400, conn_error_
                                 ? conn_error_why_
                                 : nghttp2_strerror(static_cast<int>(rv)));
    uint32_t code = rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM
                                              : NGHTTP2_PROTOCOL_ERROR;
    nghttp2_session_terminate_session(s_, conn_error_ ? conn_error_ : code);
    flush();
    closed_ = true;
    cb_.close();
    return;
  }
  flush();
}

int h2_session::on_begin_headers(int32_t id) {
  auto& st = streams_[id];
  st.req.remote_addr = opts_.remote_addr;
  st.started_ms = cb_.now_ms();
  return 0;
}

int h2_session::on_header(int32_t id, std::string_view name,
                          std::string_view value) {
  auto it = streams_.find(id);
  if (it == streams_.end())
    return 0;
  auto& st = it->second;
  auto& r = st.req;
  // RFC 7541 §4.1 size (+32 per field): HPACK references to one big
  // table entry must not expand without bound
  st.header_bytes += name.size() + value.size() + 32;
  if (++st.header_count > opts_.max_headers ||
      st.header_bytes > opts_.max_header_list_size) {
    st.bad = true;                                // never dispatched
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; // RST_STREAM
  }
  if (st.bad)
    return 0;
  if (name == ":method") {
    r.method = std::string(value);
    st.head = value == "HEAD";
    st.connect = value == "CONNECT";
  } else if (name == ":protocol") {
    st.protocol = std::string(value); // (nghttp2 allows it only with
                                      // our setting, on CONNECT)
  } else if (name == ":path") {
    if (!http1::split_target(value, r.path, r.query))
      st.bad_path = true;
  } else if (name == ":authority") {
    r.headers.emplace_back("host", std::string(value));
  } else if (!name.empty() && name[0] != ':') {
    r.headers.emplace_back(std::string(name), std::string(value));
  }
  return 0;
}

void h2_session::on_headers_done(int32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end())
    return;
  auto& st = it->second;
  bool first = !st.headers_done;
  st.headers_done = true;
  if (first && st.connect) {
    start_connect(id, st); // RFC 8441 (h2_tunnel.cpp)
    return;
  }
  // gRPC: the call starts now, its messages follow as they arrive
  if (first && !st.bad && !st.bad_path && cb_.wants_request_stream(st.req)) {
    st.body_streamed = true;
    cb_.on_request(static_cast<uint64_t>(id), st.req);
  }
}

int h2_session::on_data_chunk(int32_t id, const uint8_t* data, size_t len) {
  // the connection's window reopens at once (one slow call does not stall
  // the others); a stream's too, except a gRPC request stream's, which
  // its reader reopens through consumed()
  nghttp2_session_consume_connection(s_, len);
  auto it = streams_.find(id);
  bool held = it != streams_.end() && !it->second.bad && !it->second.tunnel &&
              it->second.body_streamed;
  if (!held)
    nghttp2_session_consume_stream(s_, id, len);
  if (it == streams_.end() || it->second.bad)
    return 0;
  if (it->second.tunnel) {
    tunnel_data(id, it->second, {reinterpret_cast<const char*>(data), len});
    return 0;
  }
  if (it->second.body_streamed) {
    // a gRPC request stream lives as long as its call: the body timeout
    // counts from its last DATA (check_timeouts)
    it->second.started_ms = cb_.now_ms();
    cb_.on_request_body(static_cast<uint64_t>(id),
                        {reinterpret_cast<const char*>(data), len}, false);
    return 0;
  }
  auto& body = it->second.req.body;
  if (body.size() + len > opts_.max_body_bytes) {
    fail_stream(id, 413, "request body too large");
    return 0;
  }
  body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int h2_session::on_request_done(int32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end())
    return 0;
  bool first = !it->second.headers_done;
  it->second.request_done = it->second.headers_done = true;
  if (first && it->second.connect)
    start_connect(id, it->second); // (HEADERS with END_STREAM)
  if (it->second.bad)
    return 0; // answered (or reset) already
  if (it->second.tunnel) {
    // the client half-closed its side of the WebSocket tunnel
    if (it->second.tunnel_open)
      cb_.on_tunnel_data(static_cast<uint64_t>(id), {}, true);
    return 0;
  }
  if (it->second.bad_path) {
    fail_stream(id, 400, "invalid :path");
    return 0;
  }
  if (it->second.body_streamed) {
    cb_.on_request_body(static_cast<uint64_t>(id), {}, true);
    return 0;
  }
  if (cb_.wants_request_stream(it->second.req)) {
    // HEADERS with END_STREAM: the same two calls, body empty
    it->second.body_streamed = true;
    cb_.on_request(static_cast<uint64_t>(id), it->second.req);
    cb_.on_request_body(static_cast<uint64_t>(id), {}, true);
    return 0;
  }
  cb_.on_request(static_cast<uint64_t>(id), it->second.req);
  it->second.req.body.clear(); // the handler has its copy
  it->second.req.body.shrink_to_fit();
  return 0;
}

int h2_session::on_stream_close(int32_t id, uint32_t) {
  remember_closed(id, false);
  auto it = streams_.find(id);
  if (it != streams_.end()) {
    // closed before our answer ended (RST_STREAM from the client): let
    // a stream still feeding it stop; a tunnel's WebSocket ends with it
    auto& st = it->second;
    bool unfinished =
      st.tunnel_open || ((st.body_streamed || (st.request_done && !st.bad)) &&
                         (!st.responded || !st.out_done || !st.request_done));
    streams_.erase(it);
    if (unfinished)
      cb_.on_stream_reset(static_cast<uint64_t>(id));
  }
  if (streams_.empty())
    idle_since_ms_ = cb_.now_ms();
  return 0;
}

void h2_session::fail_stream(int32_t id, int status, const std::string& why) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.bad)
    return;
  it->second.bad = true;
  // answered before the request ended: RST_STREAM(NO_ERROR) follows the
  // answer's END_STREAM so the client stops sending (RFC 9113 §8.1) —
  // unless it announced a rest of at most max_discard_bytes, which is
  // read and dropped instead: curl 7.88 (Debian 12) fails an upload that
  // gets RST_STREAM, even NO_ERROR after a complete answer
  auto& st = it->second;
  st.reset_after_end = !st.request_done;
  uint64_t announced = 0;
  if (auto* cl = st.req.header("content-length");
      cl && parse_length(*cl, announced) &&
      announced <= st.req.body.size() + opts_.max_discard_bytes)
    st.reset_after_end = false;
  api_response r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  // the ThemisDB error body; a 413 also says the limit (its clients read
  // max_bytes)
  r.body = "{\"error\":true,\"message\":\"" + why +
           "\",\"status_code\":" + std::to_string(status);
  if (status == 413)
    r.body += ",\"max_bytes\":" + std::to_string(opts_.max_body_bytes);
  r.body += "}";
  submit(id, r, it->second.head);
}

const std::string& h2_session::date() {
  auto now = static_cast<int64_t>(cb_.now_ms() / 1000);
  if (now != date_second_) {
    date_second_ = now;
    date_ = http1::http_date_now();
  }
  return date_;
}

void h2_session::submit(int32_t id, const api_response& resp, bool head) {
  auto it = streams_.find(id);
  if (it == streams_.end())
    return; // the client reset the stream meanwhile
  auto& st = it->second;
  if (st.responded)
    return; // one answer per stream
  st.responded = true;
  std::vector<std::pair<std::string, std::string>> hs;
  hs.emplace_back(":status", std::to_string(resp.status));
  hs.emplace_back("date", date());
  hs.emplace_back("server", opts_.server_name);
  for (auto& [k, v] : resp.headers) {
    if (connection_specific(k) || iequals(k, "date") || iequals(k, "server") ||
        (!k.empty() && k[0] == ':'))
      continue; // (':content-length': declared_length.hpp, below)
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    hs.emplace_back(std::move(name), v);
  }
  bool body_allowed = !http1::status_forbids_body(resp.status);
  // gRPC: a body ended by trailers, or a Trailers-Only answer (its
  // grpc-status in the head) carries no content-length
  bool grpc_framed =
    !resp.trailers.empty() || find_header(resp.headers, "grpc-status");
  auto declared = declared_length(resp.headers);
  if (declared && body_allowed && (resp.stream || head))
    hs.emplace_back("content-length", std::to_string(*declared));
  else if (!resp.stream && body_allowed && !grpc_framed)
    hs.emplace_back("content-length", std::to_string(resp.body.size()));
  std::vector<nghttp2_nv> nva;
  for (auto& [k, v] : hs)
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(k.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())),
                   k.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  bool has_body = body_allowed && !head &&
                  (resp.stream || !resp.body.empty() || !resp.trailers.empty());
  if (has_body) {
    st.trailers = resp.trailers;
    st.streaming = resp.stream;
    st.out = resp.stream ? std::string() : resp.body;
    st.out_pos = 0;
    st.out_done = !resp.stream;
    nghttp2_data_provider prd;
    prd.source.ptr = nullptr;
    prd.read_callback = read_cb;
    nghttp2_submit_response(s_, id, nva.data(), nva.size(), &prd);
  } else {
    st.out_done = true;
    nghttp2_submit_response(s_, id, nva.data(), nva.size(), nullptr);
  }
}

long h2_session::read_body(int32_t id, uint8_t* buf, size_t len,
                           uint32_t* flags) {
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    return 0;
  }
  auto& st = it->second;
  size_t left = st.out.size() - st.out_pos;
  if (left == 0 && !st.out_done)
    return NGHTTP2_ERR_DEFERRED; // resumed by stream_data / stream_end
  size_t n = std::min(left, len);
  std::memcpy(buf, st.out.data() + st.out_pos, n);
  st.out_pos += n;
  if (st.out_pos == st.out.size()) {
    st.out.clear();
    st.out_pos = 0;
    st.pieces = 0;
    if (st.out_done) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      if (!st.trailers.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        submit_trailers(id, st);
      }
    }
  }
  return static_cast<long>(n);
}

void h2_session::respond(uint64_t id, api_response resp) {
  auto sid = static_cast<int32_t>(id);
  auto it = streams_.find(sid);
  if (closed_ || it == streams_.end())
    return;
  if (it->second.tunnel) {
    respond_tunnel(sid, it->second, std::move(resp));
    flush();
    return;
  }
  if (resp.status == 101) { // no Upgrade in HTTP/2 (RFC 9113 §8.6)
    resp = api_response{};
    resp.status = 400;
    resp.headers.emplace_back("content-type", "application/json");
    resp.body = "{\"error\":true,\"code\":400,\"message\":\"WebSocket needs "
                "HTTP/1.1\"}";
  }
  submit(sid, resp, it->second.head);
  flush();
}

void h2_session::stream_data(uint64_t id, std::string_view bytes) {
  auto it = streams_.find(static_cast<int32_t>(id));
  if (closed_ || it == streams_.end() || it->second.out_done)
    return;
  it->second.out.append(bytes);
  ++it->second.pieces;
  nghttp2_session_resume_data(s_, static_cast<int32_t>(id));
  flush();
}

void h2_session::stream_end(uint64_t id) {
  auto it = streams_.find(static_cast<int32_t>(id));
  if (closed_ || it == streams_.end())
    return;
  it->second.out_done = true;
  nghttp2_session_resume_data(s_, static_cast<int32_t>(id));
  flush();
}

void h2_session::stream_end_trailers(uint64_t id, header_list trailers) {
  auto it = streams_.find(static_cast<int32_t>(id));
  if (closed_ || it == streams_.end())
    return;
  it->second.trailers = std::move(trailers);
  stream_end(id);
}

void h2_session::submit_trailers(int32_t id, stream& st) {
  // RFC 9113 §8.1: the DATA frame leaves the stream open; a HEADERS frame
  // with the trailers ends it (nghttp2 allows this from the read callback)
  std::vector<nghttp2_nv> nva;
  for (auto& [k, v] : st.trailers)
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(k.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())),
                   k.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
  nghttp2_submit_trailer(s_, id, nva.data(), nva.size()); // (copies nva)
}

void h2_session::consumed(uint64_t id, size_t n) {
  if (closed_ || n == 0)
    return;
  nghttp2_session_consume_stream(s_, static_cast<int32_t>(id), n);
  flush(); // (the WINDOW_UPDATE, once nghttp2 finds it worth sending)
}

size_t h2_session::stream_backlog(uint64_t id) const {
  auto it = streams_.find(static_cast<int32_t>(id));
  return it == streams_.end() ? 0 : it->second.out.size() - it->second.out_pos;
}

void h2_session::check_timeouts() {
  if (closed_)
    return;
  flush(); // output held back while the peer was not reading
  auto now = cb_.now_ms();
  // slowloris per stream: headers or body that never finish
  std::vector<int32_t> late;
  for (auto& [id, st] : streams_)
    // (a gRPC stream we answer is a live call, ended by its deadline or
    // the client, not by this rule)
    if (!st.request_done && !st.tunnel && !(st.body_streamed && st.responded) &&
        now - st.started_ms >=
          (st.headers_done ? opts_.body_timeout_ms : opts_.header_timeout_ms))
      late.push_back(id);
  for (auto id : late) {
    streams_[id].bad = true;
    nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  }
  if (!late.empty())
    flush();
  if (!streams_.empty())
    return;
  if (cb_.now_ms() - idle_since_ms_ >= opts_.idle_timeout_ms) {
    nghttp2_session_terminate_session(s_, NGHTTP2_NO_ERROR);
    flush();
    closed_ = true;
    cb_.close();
  }
}

void h2_session::drain() {
  if (closed_ || draining_)
    return;
  draining_ = true;
  // RFC 9113 §6.8: streams up to the last one we processed still finish
  nghttp2_submit_goaway(s_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(s_),
                        NGHTTP2_NO_ERROR, nullptr, 0);
  flush();
}

} // namespace themis::http2
