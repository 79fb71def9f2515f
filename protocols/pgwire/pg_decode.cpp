#include "protocols/pgwire/pg_codec.hpp"

namespace themis::pgwire {

namespace {

/// A bounds-checked reader over a payload; every get fails softly.
class reader {
public:
  explicit reader(std::string_view p) : p_(p) {}

  bool i32(int32_t& v) {
    if (p_.size() - pos_ < 4)
      return false;
    auto b = reinterpret_cast<const unsigned char*>(p_.data() + pos_);
    v = static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                             (uint32_t{b[2]} << 8) | uint32_t{b[3]});
    pos_ += 4;
    return true;
  }
  bool i16(int16_t& v) {
    if (p_.size() - pos_ < 2)
      return false;
    auto b = reinterpret_cast<const unsigned char*>(p_.data() + pos_);
    v = static_cast<int16_t>((uint16_t{b[0]} << 8) | uint16_t{b[1]});
    pos_ += 2;
    return true;
  }
  bool byte(char& c) {
    if (pos_ >= p_.size())
      return false;
    c = p_[pos_++];
    return true;
  }
  /// A NUL-terminated string.
  bool cstr(std::string& s) {
    auto end = p_.find('\0', pos_);
    if (end == std::string_view::npos)
      return false;
    s.assign(p_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return true;
  }
  bool bytes(size_t n, std::string& s) {
    if (p_.size() - pos_ < n)
      return false;
    s.assign(p_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == p_.size(); }
  size_t left() const { return p_.size() - pos_; }

private:
  std::string_view p_;
  size_t pos_ = 0;
};

bool fail(decode_error& err, std::string msg) {
  err.sqlstate = "08P01";
  err.message = std::move(msg);
  return false;
}

int32_t peek_i32(std::string_view in) {
  auto b = reinterpret_cast<const unsigned char*>(in.data());
  return static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                              (uint32_t{b[2]} << 8) | uint32_t{b[3]});
}

} // namespace

const std::string* startup_packet::param(std::string_view name) const {
  for (auto& [k, v] : params)
    if (k == name)
      return &v;
  return nullptr;
}

decode_status decode_startup(std::string_view in, const codec_limits& lim,
                             startup_packet& out, size_t& consumed,
                             decode_error& err) {
  if (in.size() < 4)
    return decode_status::need_more;
  auto len = peek_i32(in);
  if (len < 8 || static_cast<uint32_t>(len) > lim.max_startup) {
    fail(err, "invalid length of startup packet");
    return decode_status::error;
  }
  if (in.size() < static_cast<size_t>(len))
    return decode_status::need_more;
  reader r(in.substr(4, static_cast<size_t>(len) - 4));
  int32_t code = 0;
  r.i32(code);
  out = startup_packet{};
  consumed = static_cast<size_t>(len);
  if (code == ssl_request_code || code == gssenc_request_code) {
    if (len != 8) {
      fail(err, "invalid length of SSL/GSS request");
      return decode_status::error;
    }
    out.kind = code == ssl_request_code ? startup_kind::ssl_request
                                        : startup_kind::gssenc_request;
    return decode_status::ok;
  }
  if (code == cancel_request_code) {
    if (len != 16 || !r.i32(out.cancel_pid) || !r.i32(out.cancel_key)) {
      fail(err, "invalid length of cancel request");
      return decode_status::error;
    }
    out.kind = startup_kind::cancel;
    return decode_status::ok;
  }
  out.kind = startup_kind::startup;
  out.major = static_cast<uint16_t>(static_cast<uint32_t>(code) >> 16);
  out.minor = static_cast<uint16_t>(static_cast<uint32_t>(code) & 0xffff);
  if (out.major != 3) {
    err.sqlstate = "0A000";
    err.message = "unsupported frontend protocol " + std::to_string(out.major) +
                  "." + std::to_string(out.minor) + ": server supports 3.0";
    return decode_status::error;
  }
  // name\0value\0 … \0
  for (;;) {
    std::string name, value;
    if (!r.cstr(name)) {
      fail(err, "invalid startup packet layout: expected terminator as "
                "last byte");
      return decode_status::error;
    }
    if (name.empty())
      break;
    if (!r.cstr(value)) {
      fail(err, "invalid startup packet layout: missing value for " + name);
      return decode_status::error;
    }
    out.params.emplace_back(std::move(name), std::move(value));
  }
  if (!r.done()) {
    fail(err, "invalid startup packet layout: bytes after the terminator");
    return decode_status::error;
  }
  return decode_status::ok;
}

decode_status decode_frame(std::string_view in, const codec_limits& lim,
                           frame& out, size_t& consumed, decode_error& err) {
  if (in.size() < 5)
    return decode_status::need_more;
  auto len = peek_i32(in.substr(1));
  if (len < 4) {
    fail(err, "invalid message length");
    return decode_status::error;
  }
  if (static_cast<uint32_t>(len) > lim.max_message) {
    fail(err, "message of " + std::to_string(len) + " bytes exceeds the " +
                std::to_string(lim.max_message) + "-byte limit");
    return decode_status::error;
  }
  if (in.size() < static_cast<size_t>(len) + 1)
    return decode_status::need_more;
  out.type = in[0];
  out.payload = in.substr(5, static_cast<size_t>(len) - 4);
  consumed = static_cast<size_t>(len) + 1;
  return decode_status::ok;
}

bool decode_query(std::string_view p, std::string& sql, decode_error& err) {
  reader r(p);
  if (!r.cstr(sql) || !r.done())
    return fail(err, "invalid Query message");
  return true;
}

bool decode_parse(std::string_view p, const codec_limits& lim, parse_msg& out,
                  decode_error& err) {
  reader r(p);
  int16_t n = 0;
  if (!r.cstr(out.name) || !r.cstr(out.sql) || !r.i16(n) || n < 0 ||
      static_cast<uint16_t>(n) > lim.max_params ||
      r.left() != static_cast<size_t>(n) * 4)
    return fail(err, "invalid Parse message");
  out.param_types.resize(static_cast<size_t>(n));
  for (auto& t : out.param_types) {
    int32_t v = 0;
    r.i32(v);
    t = static_cast<uint32_t>(v);
  }
  return true;
}

bool decode_bind(std::string_view p, const codec_limits& lim, bind_msg& out,
                 decode_error& err) {
  reader r(p);
  int16_t nf = 0, np = 0, nr = 0;
  if (!r.cstr(out.portal) || !r.cstr(out.statement) || !r.i16(nf) || nf < 0 ||
      r.left() < static_cast<size_t>(nf) * 2)
    return fail(err, "invalid Bind message");
  out.param_formats.resize(static_cast<size_t>(nf));
  for (auto& f : out.param_formats)
    if (!r.i16(f) || (f != 0 && f != 1))
      return fail(err, "invalid format code in Bind message");
  if (!r.i16(np) || np < 0 || static_cast<uint16_t>(np) > lim.max_params ||
      r.left() < static_cast<size_t>(np) * 4)
    return fail(err, "invalid parameter count in Bind message");
  if (nf > 1 && nf != np)
    return fail(err, "bind message has " + std::to_string(nf) +
                       " parameter formats but " + std::to_string(np) +
                       " parameters");
  out.params.resize(static_cast<size_t>(np));
  for (auto& v : out.params) {
    int32_t len = 0;
    if (!r.i32(len) || len < -1)
      return fail(err, "invalid parameter length in Bind message");
    if (len == -1) {
      v.reset();
      continue;
    }
    std::string s;
    if (!r.bytes(static_cast<size_t>(len), s))
      return fail(err, "parameter overruns the Bind message");
    v = std::move(s);
  }
  if (!r.i16(nr) || nr < 0 || r.left() != static_cast<size_t>(nr) * 2)
    return fail(err, "invalid result format count in Bind message");
  out.result_formats.resize(static_cast<size_t>(nr));
  for (auto& f : out.result_formats)
    if (!r.i16(f) || (f != 0 && f != 1))
      return fail(err, "invalid result format code in Bind message");
  return true;
}

bool decode_describe(std::string_view p, describe_msg& out, decode_error& err) {
  reader r(p);
  if (!r.byte(out.target) || (out.target != 'S' && out.target != 'P') ||
      !r.cstr(out.name) || !r.done())
    return fail(err, "invalid Describe/Close message");
  return true;
}

bool decode_execute(std::string_view p, execute_msg& out, decode_error& err) {
  reader r(p);
  if (!r.cstr(out.portal) || !r.i32(out.max_rows) || out.max_rows < 0 ||
      !r.done())
    return fail(err, "invalid Execute message");
  return true;
}

bool decode_password(std::string_view p, std::string& out, decode_error& err) {
  reader r(p);
  if (!r.cstr(out) || !r.done())
    return fail(err, "invalid password message");
  return true;
}

bool decode_sasl_initial(std::string_view p, sasl_initial& out,
                         decode_error& err) {
  reader r(p);
  int32_t len = 0;
  if (!r.cstr(out.mechanism) || !r.i32(len) || len < -1)
    return fail(err, "invalid SASLInitialResponse message");
  if (len == -1) {
    out.data.reset();
  } else {
    std::string d;
    if (!r.bytes(static_cast<size_t>(len), d))
      return fail(err, "SASL data overruns the message");
    out.data = std::move(d);
  }
  if (!r.done())
    return fail(err, "invalid SASLInitialResponse message");
  return true;
}

bool decode_copy_fail(std::string_view p, std::string& out, decode_error& err) {
  reader r(p);
  if (!r.cstr(out) || !r.done())
    return fail(err, "invalid CopyFail message");
  return true;
}

} // namespace themis::pgwire
