#include "protocols/grpc/grpc_metadata.hpp"

#include <zlib.h>

#include "themis/api_message.hpp"

namespace themis::grpc {

std::optional<message_coding> parse_message_coding(std::string_view t) {
  if (iequals(t, "identity"))
    return message_coding::identity;
  if (iequals(t, "gzip"))
    return message_coding::gzip;
  if (iequals(t, "deflate"))
    return message_coding::deflate;
  if (iequals(t, "zstd"))
    return message_coding::zstd;
  return std::nullopt;
}

std::string_view coding_name(message_coding c) {
  switch (c) {
    case message_coding::gzip:
      return "gzip";
    case message_coding::deflate:
      return "deflate";
    case message_coding::zstd:
      return "zstd";
    default:
      return "identity";
  }
}

std::string_view accept_encoding_value() {
  return "identity,gzip,deflate,zstd";
}

message_coding response_coding(std::optional<message_coding> request,
                               std::string_view accept) {
  if (!request || *request == message_coding::identity)
    return message_coding::identity;
  auto want = coding_name(*request);
  size_t i = 0;
  while (i <= accept.size()) {
    auto j = accept.find(',', i);
    if (j == std::string_view::npos)
      j = accept.size();
    auto tok = accept.substr(i, j - i);
    while (!tok.empty() && tok.front() == ' ')
      tok.remove_prefix(1);
    while (!tok.empty() && tok.back() == ' ')
      tok.remove_suffix(1);
    if (iequals(tok, want))
      return *request;
    i = j + 1;
  }
  return message_coding::identity;
}

namespace {

/// deflate in gRPC is the zlib format (RFC 1950), which
/// protocols/compression does not offer as an HTTP coding.
bool zlib_compress(std::string_view in, std::string& out) {
  uLongf n = compressBound(static_cast<uLong>(in.size()));
  out.resize(n);
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &n,
                reinterpret_cast<const Bytef*>(in.data()),
                static_cast<uLong>(in.size()), 6) != Z_OK)
    return false;
  out.resize(n);
  return true;
}

compression::inflate_status zlib_inflate(std::string_view in, size_t max_out,
                                         std::string& out) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK)
    return compression::inflate_status::corrupt;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  out.clear();
  char buf[16384];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return compression::inflate_status::corrupt;
    }
    size_t got = sizeof buf - zs.avail_out;
    if (out.size() + got > max_out) {
      inflateEnd(&zs);
      return compression::inflate_status::too_large;
    }
    out.append(buf, got);
    if (rc == Z_OK && got == 0 && zs.avail_in == 0) {
      inflateEnd(&zs); // truncated input
      return compression::inflate_status::corrupt;
    }
  }
  inflateEnd(&zs);
  return compression::inflate_status::ok;
}

} // namespace

bool compress_message(message_coding c, std::string_view in, std::string& out) {
  switch (c) {
    case message_coding::identity:
      out.assign(in);
      return true;
    case message_coding::deflate:
      return zlib_compress(in, out);
    case message_coding::gzip:
      return compression::compress(compression::coding::gzip, in, {}, out);
    case message_coding::zstd:
      return compression::compress(compression::coding::zstd, in, {}, out);
  }
  return false;
}

compression::inflate_status decompress_message(message_coding c,
                                               std::string_view in,
                                               size_t max_out,
                                               std::string& out) {
  switch (c) {
    case message_coding::identity:
      if (in.size() > max_out)
        return compression::inflate_status::too_large;
      out.assign(in);
      return compression::inflate_status::ok;
    case message_coding::deflate:
      return zlib_inflate(in, max_out, out);
    case message_coding::gzip:
      return compression::decompress(compression::coding::gzip, in, max_out,
                                     out);
    case message_coding::zstd:
      return compression::decompress(compression::coding::zstd, in, max_out,
                                     out);
  }
  return compression::inflate_status::corrupt;
}

bool reserved_header(std::string_view name) {
  if (name.empty() || name[0] == ':')
    return true;
  if (name.size() >= 5 && iequals(name.substr(0, 5), "grpc-"))
    return true;
  for (auto n : {"content-type", "te", "user-agent", "content-length", "host",
                 "connection", "transfer-encoding", "upgrade"})
    if (iequals(name, n))
      return true;
  return false;
}

bool valid_metadata_value(std::string_view name, std::string_view value) {
  bool bin = name.size() > 4 && iequals(name.substr(name.size() - 4), "-bin");
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if (bin) {
      bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                 (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
                 c == '-' || c == '_';
      if (!b64)
        return false;
    } else if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

} // namespace themis::grpc
