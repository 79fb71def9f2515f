#include "protocols/http1/http1_session.hpp"
#include "themis/hex.hpp"

#include <ctime>

#include "protocols/declared_length.hpp"
#include "protocols/http1/response_writer.hpp"

namespace themis::http1 {

namespace {

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
}

} // namespace

bool split_target(std::string_view target, std::string& path,
                  std::string& query) {
  if (target == "*") {
    path = "*";
    query.clear();
    return true;
  }
  if (target.front() != '/') {
    // absolute-form (RFC 9112 §3.2.2): keep only path and query
    auto scheme = target.find("://");
    if (scheme == std::string_view::npos)
      return false;
    auto slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/")
                                             : target.substr(slash);
  }
  auto q = target.find('?');
  auto raw = target.substr(0, q);
  query = q == std::string_view::npos ? std::string()
                                      : std::string(target.substr(q + 1));
  auto hash = query.find('#');
  if (hash != std::string::npos)
    query.resize(hash);
  path.clear();
  path.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '#')
      break;
    if (raw[i] != '%') {
      path.push_back(raw[i]);
      continue;
    }
    if (i + 2 >= raw.size())
      return false;
    int hi = hex_digit(raw[i + 1]);
    int lo = hex_digit(raw[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
      return false;
    path.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

std::string error_body(int status, std::string_view message) {
  std::string out = "{\"error\":true,\"message\":\"";
  append_json_escaped(out, message);
  out.append("\",\"status_code\":");
  out.append(std::to_string(status));
  out.push_back('}');
  return out;
}

http1_session::http1_session(session_options opts, session_callbacks& cb) :
  opts_(std::move(opts)), cb_(cb), parser_(opts_.limits) {
  idle_since_ms_ = cb_.now_ms();
}

void http1_session::on_data(std::string_view data) {
  if (closing_ && !parser_.in_progress())
    return; // after an error, `Connection: close` or drain: discard
  if (inbuf_pos_ == inbuf_.size()) {
    inbuf_.clear();
    inbuf_pos_ = 0;
  }
  inbuf_.append(data);
  parse_buffered();
}

void http1_session::parse_buffered() {
  // respond() may run inside on_request (a synchronous handler) and call
  // back here: the outermost call keeps looping instead of recursing.
  if (parsing_) {
    reparse_ = true;
    return;
  }
  parsing_ = true;
  do {
    reparse_ = false;
    parse_loop();
  } while (reparse_ && !close_sent_);
  parsing_ = false;
}

bool http1_session::stream_at_front() const {
  return !in_flight_.empty() && in_flight_.front().response &&
         in_flight_.front().response->stream &&
         !in_flight_.front().stream_done && !in_flight_.front().head;
}

void http1_session::parse_loop() {
  while (!close_sent_ && in_flight_.size() < opts_.max_pipelined) {
    // Draining still reads: a request that arrives is answered, with
    // Connection: close (dispatch sets closing_ for it).
    if ((closing_ && !parser_.in_progress()) || dispatch_stopped_)
      break;
    if (stream_at_front())
      break; // nothing behind an open stream can be answered before it ends
    if (upgrade_pending_)
      break; // the answer to an Upgrade decides what the next bytes are
    bool had_head = parser_.head_complete();
    std::string_view rest(inbuf_.data() + inbuf_pos_,
                          inbuf_.size() - inbuf_pos_);
    if (rest.empty())
      break;
    if (!parser_.in_progress())
      request_start_ms_ = cb_.now_ms();
    auto res = parser_.feed(rest);
    inbuf_pos_ += res.consumed;
    if (!had_head && parser_.head_complete())
      head_done_ms_ = cb_.now_ms();
    if (res.status == parse_status::error) {
      fail(parser_.error_status(), parser_.error_reason());
      return;
    }
    if (res.status == parse_status::need_more) {
      auto& r = parser_.request();
      if (parser_.head_complete() && r.expect_continue && !continue_sent_ &&
          in_flight_.empty()) {
        continue_sent_ = true;
        cb_.send("HTTP/1.1 100 Continue\r\n\r\n");
      }
      break;
    }
    continue_sent_ = false;
    dispatch(parser_.release());
  }
  if (inbuf_pos_ == inbuf_.size()) {
    inbuf_.clear();
    inbuf_pos_ = 0;
  }
}

void http1_session::dispatch(http_request&& req) {
  entry e;
  e.id = next_id_++;
  e.head = req.method == "HEAD";
  e.keep_alive = req.keep_alive && !draining_;
  e.version_minor = req.version_minor;
  api_request out;
  if (!split_target(req.target, out.path, out.query)) {
    in_flight_.push_back(e);
    answer_error(in_flight_.back(), 400, "invalid request target");
    return;
  }
  if (!e.keep_alive)
    closing_ = true; // the peer asked to close: read nothing further
  if (auto up = find_header(req.headers, "Upgrade"); up && e.version_minor >= 1)
    upgrade_pending_ = true; // bytes after it may not be HTTP: wait
  in_flight_.push_back(e);
  out.method = std::move(req.method);
  out.headers = std::move(req.headers);
  out.body = std::move(req.body);
  out.remote_addr = opts_.remote_addr;
  cb_.on_request(e.id, std::move(out));
}

void http1_session::fail(int status, const std::string& reason) {
  entry e;
  e.id = next_id_++;
  in_flight_.push_back(e);
  answer_error(in_flight_.back(), status, reason);
}

void http1_session::answer_error(entry& e, int status,
                                 const std::string& reason) {
  // A protocol error ends the connection: answer after the responses that
  // are still owed, then close (RFC 9112 §9.6).
  closing_ = true;
  cb_.on_protocol_error(status, reason);
  e.keep_alive = false;
  api_response resp;
  resp.status = status;
  resp.headers.emplace_back("Content-Type", "application/json");
  resp.body = error_body(status, reason);
  if (status == 413) // ThemisDB's clients read the limit from max_bytes
    resp.body.insert(resp.body.size() - 1,
                     ",\"max_bytes\":" +
                       std::to_string(opts_.limits.max_body_bytes));
  e.response = std::move(resp);
  flush();
}

void http1_session::respond(uint64_t id, api_response resp) {
  for (auto& e : in_flight_)
    if (e.id == id && !e.response) {
      e.response = std::move(resp);
      break;
    }
  flush();
  if (!closing_)
    parse_buffered();
}

void http1_session::flush() {
  std::string out;
  while (!in_flight_.empty() && in_flight_.front().response && !close_sent_) {
    auto& e = in_flight_.front();
    if (e.response->status == 101 && e.version_minor == 0) {
      // RFC 9110 §7.8: an HTTP/1.0 request cannot switch protocols.
      e.response = api_response{};
      e.response->status = 400;
      e.response->headers.emplace_back("Content-Type", "application/json");
      e.response->body = error_body(400, "Upgrade needs HTTP/1.1");
      e.keep_alive = false;
    }
    if (!e.head_sent) {
      response_options ro;
      ro.head_request = e.head;
      ro.keep_alive = e.keep_alive;
      ro.version_minor = e.version_minor;
      ro.date = date();
      ro.server = opts_.server_name;
      if (e.response->stream && e.version_minor == 0)
        e.keep_alive = false; // the body is delimited by the close
      write_response(*e.response, ro, out);
      e.head_sent = true;
    }
    if (e.response->status == 101) {
      // Switching protocols: nothing after this is HTTP.
      cb_.send(std::move(out));
      out.clear();
      upgraded_ = true;
      closing_ = close_sent_ = true;
      in_flight_.clear();
      std::string rest = inbuf_.substr(inbuf_pos_);
      inbuf_.clear();
      inbuf_pos_ = 0;
      cb_.on_upgraded(std::move(rest));
      return;
    }
    if (e.response->stream && !e.head) {
      // A stream holds the front until it ends; later answers wait.
      // a declared length (declared_length.hpp) frames the body: no chunks
      bool raw = e.version_minor == 0 ||
                 declared_length(e.response->headers).has_value();
      write_chunk(e.stream_buffer, raw ? 0 : e.version_minor, out);
      e.stream_buffer.clear();
      e.stream_pieces = 0;
      if (!e.stream_done)
        break;
      if (!raw)
        out.append("0\r\n\r\n");
    }
    if (!e.keep_alive)
      close_sent_ = true;
    in_flight_.pop_front();
  }
  if (!out.empty())
    cb_.send(std::move(out));
  if (upgrade_pending_ && in_flight_.empty())
    upgrade_pending_ = false; // answered without switching: HTTP goes on
  if (close_sent_) {
    closing_ = true;
    in_flight_.clear();
    cb_.close();
    return;
  }
  if (in_flight_.empty()) {
    idle_since_ms_ = cb_.now_ms();
    if (draining_ && !parser_.in_progress() &&
        idle_since_ms_ - drain_since_ms_ >= opts_.drain_grace_ms) {
      closing_ = close_sent_ = true;
      cb_.close();
    }
  }
}

void http1_session::stream_data(uint64_t id, std::string_view bytes) {
  for (auto& e : in_flight_)
    if (e.id == id && e.response && e.response->stream && !e.stream_done) {
      e.stream_buffer.append(bytes);
      ++e.stream_pieces;
      if (&e == &in_flight_.front())
        flush();
      return;
    }
}

size_t http1_session::stream_backlog(uint64_t id) const {
  for (auto& e : in_flight_)
    if (e.id == id)
      return e.stream_buffer.size();
  return 0;
}

void http1_session::stream_end(uint64_t id) {
  for (auto& e : in_flight_)
    if (e.id == id && e.response && e.response->stream && !e.stream_done) {
      e.stream_done = true;
      flush();
      if (!closing_)
        parse_buffered();
      return;
    }
}

void http1_session::check_timeouts() {
  if (close_sent_ || !in_flight_.empty())
    return; // waiting for handlers is bounded by the request timeout
  auto now = cb_.now_ms();
  if (draining_ && !parser_.in_progress() &&
      now - drain_since_ms_ >= opts_.drain_grace_ms) {
    closing_ = close_sent_ = true; // idle through the drain grace
    cb_.close();
    return;
  }
  if (parser_.in_progress()) {
    bool head = parser_.head_complete();
    auto since = head ? head_done_ms_ : request_start_ms_;
    auto limit = head ? opts_.body_timeout_ms : opts_.header_timeout_ms;
    if (now - since >= limit)
      fail(408, head ? "request body timeout" : "request header timeout");
  } else if (now - idle_since_ms_ >= opts_.idle_timeout_ms) {
    closing_ = close_sent_ = true;
    cb_.close();
  }
}

void http1_session::drain() {
  if (draining_ || close_sent_)
    return;
  draining_ = true;
  drain_since_ms_ = cb_.now_ms();
  // From here every request dispatched is answered with Connection: close
  // (dispatch() sees draining_). A request already arriving (partly read or
  // buffered) is answered, not dropped: its client sent it before it could
  // know. Only when nothing is arriving does the last in-flight answer
  // carry the close; an idle connection waits out the grace period.
  bool arriving = parser_.in_progress() || inbuf_pos_ < inbuf_.size();
  if (!in_flight_.empty() && !arriving) {
    in_flight_.back().keep_alive = false;
    closing_ = true;
    dispatch_stopped_ = true;
    flush();
  } else if (in_flight_.empty() && !arriving && opts_.drain_grace_ms == 0) {
    closing_ = close_sent_ = true;
    cb_.close();
  }
}

void http1_session::on_peer_eof() {
  if (peer_eof_ || close_sent_ || upgraded_)
    return;
  peer_eof_ = true;
  parse_buffered(); // complete requests still buffered are dispatched
  if (close_sent_)
    return;
  closing_ = true;
  dispatch_stopped_ = true;
  if (in_flight_.empty()) {
    close_sent_ = true;
    cb_.close();
    return;
  }
  in_flight_.back().keep_alive = false; // its answer closes
  flush();
}

const std::string& http1_session::date() {
  auto now = static_cast<int64_t>(std::time(nullptr));
  if (now != date_second_) {
    date_second_ = now;
    date_ = http_date_now();
  }
  return date_;
}

} // namespace themis::http1
