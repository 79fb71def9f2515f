/// h3_session's HTTP/3 side: request streams in (headers, body, limits),
/// answers out (HEADERS + DATA from pieces kept until acknowledged).

#include <algorithm>
#include <cstring>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <vector>

#include "protocols/http1/response_writer.hpp"
#include "protocols/http3/h3_callbacks.hpp"
#include "protocols/http3/h3_session.hpp"

namespace themis::http3 {

namespace {

bool connection_specific(std::string_view name) {
  // RFC 9114 §4.2: not allowed in HTTP/3
  for (auto n : {"connection", "keep-alive", "proxy-connection",
                 "transfer-encoding", "upgrade", "content-length"})
    if (iequals(name, n))
      return true;
  return false;
}

} // namespace

int h3_session::on_stream_data(int64_t id, bool fin, const uint8_t* data,
                               size_t len) {
  if (!h3_)
    return 0;
  auto n = nghttp3_conn_read_stream(h3_, id, data, len, fin ? 1 : 0);
  if (n < 0) {
    // an HTTP/3 or QPACK error: the connection closes with its code
    set_app_error(nghttp3_err_infer_quic_app_error_code(static_cast<int>(n)));
    return -1;
  }
  consume(id, static_cast<size_t>(n));
  return 0;
}

void h3_session::consume(int64_t id, size_t n) {
  ngtcp2_conn_extend_max_stream_offset(conn_, id, n);
  ngtcp2_conn_extend_max_offset(conn_, n);
}

int h3_session::on_acked_stream(int64_t id, uint64_t len) {
  if (h3_ && nghttp3_conn_add_ack_offset(h3_, id, len) != 0)
    return -1;
  return 0;
}

int h3_session::on_stream_close(int64_t id, uint64_t app_error) {
  if (!h3_)
    return 0;
  auto rv = nghttp3_conn_close_stream(h3_, id, app_error);
  if (rv == NGHTTP3_ERR_STREAM_NOT_FOUND) {
    if (ngtcp2_is_bidi_stream(id))
      ngtcp2_conn_extend_max_streams_bidi(conn_, 1);
    return 0;
  }
  if (rv != 0) {
    set_app_error(nghttp3_err_infer_quic_app_error_code(rv));
    return -1;
  }
  return 0;
}

int h3_session::on_stream_reset(int64_t id) {
  if (h3_ && nghttp3_conn_shutdown_stream_read(h3_, id) != 0)
    return -1;
  return 0;
}

void h3_session::on_begin_headers(int64_t id) {
  auto& st = streams_[id];
  st.req.remote_addr = opts_.remote_addr;
}

void h3_session::on_header(int64_t id, int32_t token, std::string_view name,
                           std::string_view value) {
  auto it = streams_.find(id);
  if (it == streams_.end())
    return;
  auto& st = it->second;
  auto& r = st.req;
  st.header_bytes += name.size() + value.size() + 32;
  if (++st.header_count > opts_.max_headers ||
      st.header_bytes > opts_.max_header_list_size) {
    if (!st.bad_status) {
      st.bad_status = 431;
      st.bad_why = "request header fields too large";
    }
    return;
  }
  if (token == NGHTTP3_QPACK_TOKEN__METHOD) {
    r.method = std::string(value);
    st.head = value == "HEAD";
    st.connect = value == "CONNECT";
  } else if (token == NGHTTP3_QPACK_TOKEN__PROTOCOL) {
    st.protocol = std::string(value); // (nghttp3 allows it only with
                                      // enable_connect_protocol)
  } else if (token == NGHTTP3_QPACK_TOKEN__PATH) {
    if (!http1::split_target(value, r.path, r.query) && !st.bad_status) {
      st.bad_status = 400;
      st.bad_why = "invalid :path";
    }
  } else if (token == NGHTTP3_QPACK_TOKEN__AUTHORITY) {
    r.headers.emplace_back("host", std::string(value));
  } else if (!name.empty() && name[0] != ':') {
    r.headers.emplace_back(std::string(name), std::string(value));
  }
}

void h3_session::on_body(int64_t id, const uint8_t* data, size_t len) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.bad || it->second.bad_status)
    return;
  if (it->second.tunnel) {
    tunnel_data(id, it->second, {reinterpret_cast<const char*>(data), len});
    return;
  }
  auto& body = it->second.req.body;
  if (body.size() + len > opts_.max_body_bytes) {
    fail_stream(id, 413, "request body too large");
    stop_reading(id);
    return;
  }
  body.append(reinterpret_cast<const char*>(data), len);
}

void h3_session::on_request_done(int64_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end())
    return;
  auto& st = it->second;
  st.request_done = true;
  if (st.bad)
    return;
  if (st.tunnel) {
    // the client ended its side of the WebSocket tunnel
    if (st.tunnel_open)
      cb_.on_tunnel_data(static_cast<uint64_t>(id), {}, true);
    return;
  }
  if (st.bad_status) {
    fail_stream(id, st.bad_status, st.bad_why);
    return;
  }
  if (st.req.method.empty() || st.req.path.empty()) {
    fail_stream(id, 400, "missing :method or :path");
    return;
  }
  cb_.on_request(static_cast<uint64_t>(id), st.req);
  st.req.body.clear(); // the handler has its copy
  st.req.body.shrink_to_fit();
}

void h3_session::on_http_stream_close(int64_t id) {
  auto it = streams_.find(id);
  if (it != streams_.end()) {
    // a tunnel's WebSocket ends with its stream, however it ends
    bool unfinished = it->second.tunnel_open ||
                      (it->second.request_done && !it->second.bad &&
                       (!it->second.responded || !it->second.out_done));
    streams_.erase(it);
    if (unfinished)
      cb_.on_stream_reset(static_cast<uint64_t>(id));
  }
  if (ngtcp2_is_bidi_stream(id))
    ngtcp2_conn_extend_max_streams_bidi(conn_, 1);
}

void h3_session::fail_stream(int64_t id, int status, const std::string& why) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.bad)
    return;
  it->second.bad = true;
  api_response r;
  r.status = status;
  r.headers.emplace_back("content-type", "application/json");
  r.body = "{\"error\":true,\"message\":\"" + why +
           "\",\"status_code\":" + std::to_string(status);
  if (status == 413)
    r.body += ",\"max_bytes\":" + std::to_string(opts_.max_body_bytes);
  r.body += "}";
  submit(id, it->second, r);
  write();
}

const std::string& h3_session::date() {
  auto sec = static_cast<int64_t>(cb_.now_ms() / 1000);
  if (sec != date_second_) {
    date_second_ = sec;
    date_ = http1::http_date_now();
  }
  return date_;
}

void h3_session::submit(int64_t id, stream& st, const api_response& resp) {
  if (st.responded || !h3_)
    return;
  st.responded = true;
  std::vector<std::pair<std::string, std::string>> hs;
  hs.emplace_back(":status", std::to_string(resp.status));
  hs.emplace_back("date", date());
  hs.emplace_back("server", opts_.server_name);
  for (auto& [k, v] : resp.headers) {
    if (connection_specific(k) || iequals(k, "date") || iequals(k, "server") ||
        iequals(k, "alt-svc"))
      continue;
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
      return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    hs.emplace_back(std::move(name), v);
  }
  bool body_allowed = !http1::status_forbids_body(resp.status);
  if (!resp.stream && body_allowed)
    hs.emplace_back("content-length", std::to_string(resp.body.size()));
  std::vector<nghttp3_nv> nva;
  for (auto& [k, v] : hs)
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(k.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())),
                   k.size(), v.size(), NGHTTP3_NV_FLAG_NONE});
  bool has_body =
    body_allowed && !st.head && (resp.stream || !resp.body.empty());
  if (has_body) {
    if (!resp.stream) {
      st.out.push_back(resp.body);
      st.unacked += resp.body.size();
    }
    st.out_done = !resp.stream;
    nghttp3_data_reader dr{read_data_trampoline};
    nghttp3_conn_submit_response(h3_, id, nva.data(), nva.size(), &dr);
  } else {
    st.out_done = true;
    nghttp3_conn_submit_response(h3_, id, nva.data(), nva.size(), nullptr);
  }
}

long h3_session::read_body(int64_t id, void* vecp, size_t veccnt,
                           uint32_t* flags) {
  auto* vec = static_cast<nghttp3_vec*>(vecp);
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    *flags |= NGHTTP3_DATA_FLAG_EOF;
    return 0;
  }
  auto& st = it->second;
  size_t n = 0;
  while (n < veccnt && st.handed < st.out.size()) {
    auto& piece = st.out[st.handed++];
    vec[n].base = reinterpret_cast<uint8_t*>(piece.data());
    vec[n].len = piece.size();
    ++n;
  }
  if (st.handed == st.out.size() && st.out_done) {
    *flags |= NGHTTP3_DATA_FLAG_EOF;
    st.eof_sent = true;
  } else if (n == 0) {
    return NGHTTP3_ERR_WOULDBLOCK; // resumed by stream_data / stream_end
  }
  return static_cast<long>(n);
}

void h3_session::on_body_acked(int64_t id, uint64_t len) {
  auto it = streams_.find(id);
  if (it == streams_.end())
    return;
  auto& st = it->second;
  st.unacked -= std::min(st.unacked, len);
  st.acked += len;
  // pieces fully acknowledged are no longer referenced by nghttp3
  while (!st.out.empty() && st.handed > 0 &&
         st.acked >= st.out.front().size()) {
    st.acked -= st.out.front().size();
    st.out.pop_front();
    --st.handed;
  }
}

void h3_session::respond(uint64_t id, api_response resp) {
  auto sid = static_cast<int64_t>(id);
  auto it = streams_.find(sid);
  if (finished_ || it == streams_.end())
    return;
  if (it->second.tunnel) {
    respond_tunnel(sid, it->second, std::move(resp));
    write();
    return;
  }
  if (resp.status == 101) { // no Upgrade in HTTP/3 (RFC 9114 §4.5)
    resp = api_response{};
    resp.status = 400;
    resp.headers.emplace_back("content-type", "application/json");
    resp.body = "{\"error\":true,\"code\":400,\"message\":\"WebSocket needs "
                "HTTP/1.1\"}";
  }
  submit(sid, it->second, resp);
  write();
}

void h3_session::stream_data(uint64_t id, std::string_view bytes) {
  auto sid = static_cast<int64_t>(id);
  auto it = streams_.find(sid);
  if (finished_ || it == streams_.end() || it->second.out_done || bytes.empty())
    return;
  it->second.out.emplace_back(bytes);
  it->second.unacked += bytes.size();
  nghttp3_conn_resume_stream(h3_, sid);
  write();
}

void h3_session::stream_end(uint64_t id) {
  auto sid = static_cast<int64_t>(id);
  auto it = streams_.find(sid);
  if (finished_ || it == streams_.end())
    return;
  it->second.out_done = true;
  nghttp3_conn_resume_stream(h3_, sid);
  write();
}

size_t h3_session::stream_backlog(uint64_t id) const {
  auto it = streams_.find(static_cast<int64_t>(id));
  return it == streams_.end() ? 0 : static_cast<size_t>(it->second.unacked);
}

} // namespace themis::http3
