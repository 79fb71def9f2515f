#include "protocols/compression/content_coding.hpp"

#include <algorithm>
#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>
#include <zstd.h>

namespace themis::compression {

namespace {

bool ieq(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// q-value of an element's parameters ("q=0.5"); 1 if absent, -1 if bad.
double qvalue(std::string_view params) {
  while (!params.empty()) {
    auto semi = params.find(';');
    auto p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{}
                                            : params.substr(semi + 1);
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      auto v = p.substr(2);
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      if (v.empty() || (v[0] != '0' && v[0] != '1') || v.size() > 5 ||
          (v.size() > 1 && v[1] != '.'))
        return -1;
      double q = v[0] - '0', scale = 0.1;
      for (size_t i = 2; i < v.size(); ++i, scale /= 10) {
        if (v[i] < '0' || v[i] > '9')
          return -1;
        q += (v[i] - '0') * scale;
      }
      return q > 1 ? -1 : q;
    }
  }
  return 1;
}

} // namespace

std::string_view name(coding c) {
  switch (c) {
    case coding::gzip:
      return "gzip";
    case coding::br:
      return "br";
    case coding::zstd:
      return "zstd";
    default:
      return "identity";
  }
}

bool parse_coding(std::string_view t, coding& out) {
  t = trim(t);
  if (ieq(t, "gzip") || ieq(t, "x-gzip"))
    out = coding::gzip;
  else if (ieq(t, "br"))
    out = coding::br;
  else if (ieq(t, "zstd"))
    out = coding::zstd;
  else if (ieq(t, "identity"))
    out = coding::identity;
  else
    return false;
  return true;
}

coding negotiate(std::string_view header, const std::vector<coding>& offered) {
  std::vector<double> q(offered.size(), -1); // -1: not named
  double star = -1;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{}
                                             : header.substr(comma + 1);
    auto semi = item.find(';');
    auto token = trim(item.substr(0, semi));
    double v = qvalue(semi == std::string_view::npos ? std::string_view{}
                                                     : item.substr(semi + 1));
    if (token.empty() || v < 0)
      continue; // a malformed element is ignored, not fatal
    if (token == "*") {
      star = v;
      continue;
    }
    coding c;
    if (!parse_coding(token, c))
      continue;
    for (size_t i = 0; i < offered.size(); ++i)
      if (offered[i] == c)
        q[i] = v;
  }
  coding best = coding::identity;
  double best_q = 0;
  for (size_t i = 0; i < offered.size(); ++i) {
    double v = q[i] >= 0 ? q[i] : star;
    if (v > best_q) { // strictly greater: earlier (preferred) wins ties
      best_q = v;
      best = offered[i];
    }
  }
  return best;
}

bool compress(coding c, std::string_view in, const levels& lv,
              std::string& out) {
  out.clear();
  switch (c) {
    case coding::gzip: {
      z_stream z{};
      if (deflateInit2(&z, lv.gzip, Z_DEFLATED, 15 + 16, 8,
                       Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
      out.resize(deflateBound(&z, static_cast<uLong>(in.size())));
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z.avail_in = static_cast<uInt>(in.size());
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      int r = deflate(&z, Z_FINISH);
      out.resize(z.total_out);
      deflateEnd(&z);
      return r == Z_STREAM_END;
    }
    case coding::br: {
      size_t n = BrotliEncoderMaxCompressedSize(in.size());
      out.resize(n ? n : in.size() + 1024);
      if (!BrotliEncoderCompress(lv.br, BROTLI_DEFAULT_WINDOW,
                                 BROTLI_MODE_GENERIC, in.size(),
                                 reinterpret_cast<const uint8_t*>(in.data()),
                                 &n, reinterpret_cast<uint8_t*>(out.data())))
        return false;
      out.resize(n);
      return true;
    }
    case coding::zstd: {
      out.resize(ZSTD_compressBound(in.size()));
      auto n =
        ZSTD_compress(out.data(), out.size(), in.data(), in.size(), lv.zstd);
      if (ZSTD_isError(n))
        return false;
      out.resize(n);
      return true;
    }
    default:
      out.assign(in);
      return true;
  }
}

inflate_status decompress(coding c, std::string_view in, size_t max_out,
                          std::string& out) {
  out.clear();
  char buf[16384];
  auto grow = [&](const char* p, size_t n) {
    if (out.size() + n > max_out)
      return false;
    out.append(p, n);
    return true;
  };
  switch (c) {
    case coding::identity:
      if (in.size() > max_out)
        return inflate_status::too_large;
      out.assign(in);
      return inflate_status::ok;
    case coding::gzip: {
      z_stream z{};
      if (inflateInit2(&z, 15 + 32) != Z_OK) // gzip or zlib header
        return inflate_status::corrupt;
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
      z.avail_in = static_cast<uInt>(in.size());
      int r = Z_OK;
      while (r == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        r = inflate(&z, Z_NO_FLUSH);
        if (r != Z_OK && r != Z_STREAM_END)
          break;
        if (!grow(buf, sizeof buf - z.avail_out)) {
          inflateEnd(&z);
          return inflate_status::too_large;
        }
        if (r == Z_OK && z.avail_in == 0 && z.avail_out != 0)
          break; // input ended before the stream did
      }
      inflateEnd(&z);
      return r == Z_STREAM_END && z.avail_in == 0 ? inflate_status::ok
                                                  : inflate_status::corrupt;
    }
    case coding::br: {
      auto* s = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
      if (!s)
        return inflate_status::corrupt;
      auto* next_in = reinterpret_cast<const uint8_t*>(in.data());
      size_t avail_in = in.size();
      BrotliDecoderResult r;
      do {
        auto* next_out = reinterpret_cast<uint8_t*>(buf);
        size_t avail_out = sizeof buf;
        r = BrotliDecoderDecompressStream(s, &avail_in, &next_in, &avail_out,
                                          &next_out, nullptr);
        if (!grow(buf, sizeof buf - avail_out)) {
          BrotliDecoderDestroyInstance(s);
          return inflate_status::too_large;
        }
      } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
      BrotliDecoderDestroyInstance(s);
      return r == BROTLI_DECODER_RESULT_SUCCESS && avail_in == 0
               ? inflate_status::ok
               : inflate_status::corrupt;
    }
    case coding::zstd: {
      auto* d = ZSTD_createDCtx();
      if (!d)
        return inflate_status::corrupt;
      // RFC 9659: an HTTP zstd window is at most 8 MiB; a frame asking
      // for more is refused before anything that size is allocated
      ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 23);
      ZSTD_inBuffer ib{in.data(), in.size(), 0};
      size_t r = 1;
      while (ib.pos < ib.size || r != 0) {
        ZSTD_outBuffer ob{buf, sizeof buf, 0};
        r = ZSTD_decompressStream(d, &ob, &ib);
        if (ZSTD_isError(r)) {
          ZSTD_freeDCtx(d);
          return inflate_status::corrupt;
        }
        if (!grow(buf, ob.pos)) {
          ZSTD_freeDCtx(d);
          return inflate_status::too_large;
        }
        if (ib.pos == ib.size && ob.pos < ob.size && r != 0) {
          ZSTD_freeDCtx(d);
          return inflate_status::corrupt; // truncated frame
        }
      }
      ZSTD_freeDCtx(d);
      return inflate_status::ok;
    }
  }
  return inflate_status::corrupt;
}

namespace {

class gzip_stream : public stream_compressor {
public:
  explicit gzip_stream(int level) {
    deflateInit2(&z_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  }
  ~gzip_stream() override { deflateEnd(&z_); }
  std::string add(std::string_view p) override { return run(p, Z_SYNC_FLUSH); }
  std::string finish() override { return run({}, Z_FINISH); }

private:
  std::string run(std::string_view p, int flush) {
    std::string out;
    char buf[16384];
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p.data()));
    z_.avail_in = static_cast<uInt>(p.size());
    do {
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      deflate(&z_, flush);
      out.append(buf, sizeof buf - z_.avail_out);
    } while (z_.avail_out == 0);
    return out;
  }
  z_stream z_{};
};

class br_stream : public stream_compressor {
public:
  explicit br_stream(int quality) {
    s_ = BrotliEncoderCreateInstance(nullptr, nullptr, nullptr);
    BrotliEncoderSetParameter(s_, BROTLI_PARAM_QUALITY,
                              static_cast<uint32_t>(quality));
  }
  ~br_stream() override { BrotliEncoderDestroyInstance(s_); }
  std::string add(std::string_view p) override {
    return run(p, BROTLI_OPERATION_FLUSH);
  }
  std::string finish() override { return run({}, BROTLI_OPERATION_FINISH); }

private:
  std::string run(std::string_view p, BrotliEncoderOperation op) {
    std::string out;
    auto* next_in = reinterpret_cast<const uint8_t*>(p.data());
    size_t avail_in = p.size();
    do {
      uint8_t buf[16384];
      uint8_t* next_out = buf;
      size_t avail_out = sizeof buf;
      if (!BrotliEncoderCompressStream(s_, op, &avail_in, &next_in, &avail_out,
                                       &next_out, nullptr))
        break;
      out.append(reinterpret_cast<char*>(buf), sizeof buf - avail_out);
    } while (avail_in > 0 || BrotliEncoderHasMoreOutput(s_));
    return out;
  }
  BrotliEncoderState* s_;
};

class zstd_stream : public stream_compressor {
public:
  explicit zstd_stream(int level) {
    c_ = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(c_, ZSTD_c_compressionLevel, level);
  }
  ~zstd_stream() override { ZSTD_freeCCtx(c_); }
  std::string add(std::string_view p) override { return run(p, ZSTD_e_flush); }
  std::string finish() override { return run({}, ZSTD_e_end); }

private:
  std::string run(std::string_view p, ZSTD_EndDirective mode) {
    std::string out;
    ZSTD_inBuffer ib{p.data(), p.size(), 0};
    size_t left;
    do {
      char buf[16384];
      ZSTD_outBuffer ob{buf, sizeof buf, 0};
      left = ZSTD_compressStream2(c_, &ob, &ib, mode);
      if (ZSTD_isError(left))
        break;
      out.append(buf, ob.pos);
    } while (left != 0);
    return out;
  }
  ZSTD_CCtx* c_;
};

} // namespace

std::unique_ptr<stream_compressor> stream_compressor::create(coding c,
                                                             const levels& lv) {
  switch (c) {
    case coding::gzip:
      return std::make_unique<gzip_stream>(lv.gzip);
    case coding::br:
      return std::make_unique<br_stream>(lv.br);
    case coding::zstd:
      return std::make_unique<zstd_stream>(lv.zstd);
    default:
      return nullptr;
  }
}

bool compressible(std::string_view ct, const std::vector<std::string>& extra) {
  ct = trim(ct.substr(0, ct.find(';')));
  auto starts = [&](std::string_view p) {
    return ct.size() >= p.size() && ieq(ct.substr(0, p.size()), p);
  };
  auto ends = [&](std::string_view p) {
    return ct.size() >= p.size() && ieq(ct.substr(ct.size() - p.size()), p);
  };
  if (starts("text/") || ends("+json") || ends("+xml") ||
      ieq(ct, "application/json") || ieq(ct, "application/javascript") ||
      ieq(ct, "application/xml") || ieq(ct, "application/x-ndjson") ||
      ieq(ct, "application/graphql-response+json") ||
      ieq(ct, "image/svg+xml") || ieq(ct, "application/wasm"))
    return true;
  for (auto& e : extra)
    if (starts(e))
      return true;
  return false;
}

} // namespace themis::compression
