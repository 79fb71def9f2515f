#include "protocols/websocket/permessage_deflate.hpp"

#include <vector>
#include <zlib.h>

namespace themis::ws {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// Splits on `sep` outside double quotes.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"')
      quoted = !quoted;
    else if (s[i] == sep && !quoted) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(s.substr(start)));
  return out;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

/// 8..15 as a decimal without leading zeros (RFC 7692 §7.1.2.1); the
/// value may be a quoted string holding the same.
int window_bits(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    v = v.substr(1, v.size() - 2);
  if (v.size() == 1 && v[0] >= '8' && v[0] <= '9')
    return v[0] - '0';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
    return 10 + (v[1] - '0');
  return 0;
}

/// One offer's parameters, or nothing if the offer must be declined.
std::optional<deflate_params>
parse_offer(const std::vector<std::string_view>& parts) {
  deflate_params p;
  bool seen[4] = {false, false, false, false};
  bool client_bits_valued = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto part = parts[i];
    auto eq = part.find('=');
    auto name = trim(part.substr(0, eq));
    std::optional<std::string_view> value;
    if (eq != std::string_view::npos)
      value = trim(part.substr(eq + 1));
    int which = iequal(name, "server_no_context_takeover")   ? 0
                : iequal(name, "client_no_context_takeover") ? 1
                : iequal(name, "server_max_window_bits")     ? 2
                : iequal(name, "client_max_window_bits")     ? 3
                                                             : -1;
    if (which < 0 || seen[which])
      return std::nullopt; // unknown or duplicated: decline
    seen[which] = true;
    switch (which) {
      case 0:
      case 1:
        if (value)
          return std::nullopt; // these take no value
        (which == 0 ? p.server_no_context_takeover
                    : p.client_no_context_takeover) = true;
        break;
      case 2: {
        int b = value ? window_bits(*value) : 0;
        if (b == 0 || b == 8)
          return std::nullopt; // needs a value; 8 is not in raw zlib
        p.server_max_window_bits = b;
        break;
      }
      case 3:
        if (value) {
          int b = window_bits(*value);
          if (b == 0)
            return std::nullopt;
          p.client_max_window_bits = b;
          client_bits_valued = true;
        }
        break;
    }
  }
  (void)client_bits_valued; // we inflate with 15 bits: any window is fine
  return p;
}

} // namespace

deflate_negotiation negotiate_deflate(std::string_view header,
                                      const deflate_config& cfg) {
  deflate_negotiation out;
  if (!cfg.enabled || header.size() > 4096)
    return out;
  for (auto ext : split(header, ',')) {
    auto parts = split(ext, ';');
    if (parts.empty() || !iequal(parts[0], "permessage-deflate"))
      continue;
    auto p = parse_offer(parts);
    if (!p)
      continue;
    if (cfg.server_no_context_takeover)
      p->server_no_context_takeover = true;
    std::string r = "permessage-deflate";
    if (p->server_no_context_takeover)
      r += "; server_no_context_takeover";
    if (p->client_no_context_takeover)
      r += "; client_no_context_takeover";
    if (p->server_max_window_bits != 15)
      r +=
        "; server_max_window_bits=" + std::to_string(p->server_max_window_bits);
    out.params = *p;
    out.response = std::move(r);
    return out;
  }
  return out;
}

struct deflate_codec::streams {
  z_stream def{};
  z_stream inf{};
  bool def_ok = false;
  bool inf_ok = false;
};

deflate_codec::deflate_codec(const deflate_params& p) :
  params_(p), z_(std::make_unique<streams>()) {
  z_->def_ok = deflateInit2(&z_->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                            -params_.server_max_window_bits, 8,
                            Z_DEFAULT_STRATEGY) == Z_OK;
  z_->inf_ok = inflateInit2(&z_->inf, -15) == Z_OK;
}

deflate_codec::~deflate_codec() {
  if (z_->def_ok)
    deflateEnd(&z_->def);
  if (z_->inf_ok)
    inflateEnd(&z_->inf);
}

deflate_codec::inflate_status deflate_codec::decompress(std::string_view in,
                                                        size_t max_out,
                                                        std::string& out) {
  out.clear();
  if (!z_->inf_ok)
    return inflate_status::corrupt;
  static const unsigned char tail[4] = {0x00, 0x00, 0xFF, 0xFF};
  auto& z = z_->inf;
  char buf[16384];
  bool ended = false;
  for (int part = 0; part < 2 && !ended; ++part) {
    z.next_in = part == 0
                  ? reinterpret_cast<Bytef*>(const_cast<char*>(in.data()))
                  : const_cast<Bytef*>(tail);
    z.avail_in = part == 0 ? static_cast<uInt>(in.size()) : 4u;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      int rc = inflate(&z, Z_SYNC_FLUSH);
      size_t got = sizeof buf - z.avail_out;
      if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END) {
        inflateReset(&z);
        return inflate_status::corrupt;
      }
      if (out.size() + got > max_out) {
        inflateReset(&z); // the connection fails anyway
        return inflate_status::too_big;
      }
      out.append(buf, got);
      if (rc == Z_STREAM_END) {
        // a final block (BFINAL, RFC 7692 §7.2.3.3): the message ends
        // here, the appended tail is not read, the next message starts a
        // new stream
        bool trailing = z.avail_in != 0 && part == 0;
        inflateReset(&z);
        if (trailing)
          return inflate_status::corrupt; // data after the end
        ended = true;
        break;
      }
      if (rc == Z_BUF_ERROR && z.avail_out != 0)
        break; // no progress possible: input used up
    } while (z.avail_in != 0 || z.avail_out == 0);
  }
  if (params_.client_no_context_takeover)
    inflateReset(&z);
  return inflate_status::ok;
}

std::string deflate_codec::compress(std::string_view in) {
  std::string out;
  if (!z_->def_ok)
    return out;
  auto& z = z_->def;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    deflate(&z, Z_SYNC_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (z.avail_out == 0);
  // the flush ends with an empty stored block: 00 00 FF FF, left out
  if (out.size() >= 4 &&
      out.compare(out.size() - 4, 4, "\x00\x00\xFF\xFF", 4) == 0)
    out.resize(out.size() - 4);
  if (params_.server_no_context_takeover)
    deflateReset(&z);
  return out;
}

} // namespace themis::ws
