#include "protocols/http3/h3_endpoint.hpp"

#include <algorithm>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

namespace themis::http3 {

namespace {

const uint8_t* u8(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

const ngtcp2_sockaddr* sa(std::string_view raw) {
  return reinterpret_cast<const ngtcp2_sockaddr*>(raw.data());
}

std::string str(const ngtcp2_cid& c) {
  return std::string(reinterpret_cast<const char*>(c.data), c.datalen);
}

} // namespace

dispatch
h3_endpoint::classify(std::string_view pkt, std::string_view local,
                      std::string_view remote,
                      const std::function<bool(std::string_view)>& known,
                      bool want_retry, uint64_t now_ns, uint64_t wall_ns) {
  dispatch d;
  if (pkt.empty() || pkt.size() > 65527 || remote.empty() ||
      remote.size() > sizeof(ngtcp2_sockaddr_union)) {
    d.why = "bad datagram";
    return d;
  }
  ngtcp2_version_cid vc;
  int rv =
    ngtcp2_pkt_decode_version_cid(&vc, u8(pkt), pkt.size(), server_cid_len);
  if (rv == NGTCP2_ERR_VERSION_NEGOTIATION) {
    // §6: a long header with a version we do not speak; only answer a
    // datagram large enough to be an Initial (no amplification)
    if (pkt.size() < 1200) {
      d.why = "unknown version, short datagram";
      return d;
    }
    uint32_t sv[] = {0x1a2a3a4au, NGTCP2_PROTO_VER_V1};
    std::string out(256, '\0');
    uint8_t rnd;
    random_bytes(&rnd, 1);
    auto n = ngtcp2_pkt_write_version_negotiation(
      reinterpret_cast<uint8_t*>(out.data()), out.size(), rnd, vc.scid,
      vc.scidlen, vc.dcid, vc.dcidlen, sv, 2);
    if (n <= 0) {
      d.why = "version negotiation failed";
      return d;
    }
    out.resize(static_cast<size_t>(n));
    d.what = dispatch::reply;
    d.packet = std::move(out);
    d.why = "version negotiation";
    return d;
  }
  if (rv != 0) {
    d.why = "undecodable header";
    return d;
  }
  std::string dcid(reinterpret_cast<const char*>(vc.dcid), vc.dcidlen);
  if (known(dcid)) {
    d.what = dispatch::route;
    d.dcid = std::move(dcid);
    return d;
  }
  ngtcp2_pkt_hd hd;
  if (ngtcp2_accept(&hd, u8(pkt), pkt.size()) != 0) {
    // not a client Initial: a short-header packet for a connection we
    // do not know (a restart, a removed one) gets a Stateless Reset
    if ((static_cast<uint8_t>(pkt[0]) & 0x80) == 0)
      return stateless_reset(pkt, dcid, now_ns);
    d.why = "not an Initial for an unknown connection";
    return d;
  }
  d.initial.dcid = str(hd.dcid);
  d.initial.scid = str(hd.scid);
  d.initial.version = hd.version;
  d.initial.local = std::string(local);
  d.initial.remote = std::string(remote);
  std::string_view token(reinterpret_cast<const char*>(hd.token.base),
                         hd.token.len);
  auto secret = u8(opts_.static_secret);
  auto secretlen = opts_.static_secret.size();
  if (!token.empty() &&
      static_cast<uint8_t>(token[0]) == NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
    ngtcp2_cid ocid;
    if (ngtcp2_crypto_verify_retry_token(
          &ocid, u8(token), token.size(), secret, secretlen, hd.version,
          sa(remote), static_cast<ngtcp2_socklen>(remote.size()), &hd.dcid,
          opts_.retry_token_lifetime_ns, wall_ns) != 0) {
      d.why = "invalid or expired Retry token";
      return d; // (§8.1.3: a bad token may be a spoofed address)
    }
    d.initial.ocid = str(ocid);
    d.initial.token = std::string(token);
  } else if (want_retry) {
    if (hd.dcid.datalen < NGTCP2_MIN_INITIAL_DCIDLEN) {
      d.why = "Initial DCID too short";
      return d;
    }
    ngtcp2_cid rscid;
    rscid.datalen = server_cid_len;
    random_bytes(rscid.data, rscid.datalen);
    uint8_t tok[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN];
    auto tlen = ngtcp2_crypto_generate_retry_token(
      tok, secret, secretlen, hd.version, sa(remote),
      static_cast<ngtcp2_socklen>(remote.size()), &rscid, &hd.dcid, wall_ns);
    if (tlen < 0) {
      d.why = "Retry token failed";
      return d;
    }
    std::string out(
      std::min<size_t>(NGTCP2_MAX_UDP_PAYLOAD_SIZE, pkt.size() * 3), '\0');
    auto n = ngtcp2_crypto_write_retry(
      reinterpret_cast<uint8_t*>(out.data()), out.size(), hd.version, &hd.scid,
      &rscid, &hd.dcid, tok, static_cast<size_t>(tlen));
    if (n <= 0) {
      d.why = "Retry failed";
      return d;
    }
    out.resize(static_cast<size_t>(n));
    d.what = dispatch::reply;
    d.retry = true;
    d.packet = std::move(out);
    d.why = "retry";
    return d;
  }
  d.what = dispatch::accept;
  d.dcid = d.initial.dcid;
  return d;
}

dispatch h3_endpoint::stateless_reset(std::string_view pkt,
                                      std::string_view dcid, uint64_t now_ns) {
  dispatch d;
  // §10.3.3: smaller than what triggered it (no reset loops), and few
  constexpr size_t min_len =
    1 + NGTCP2_MIN_STATELESS_RESET_RANDLEN + NGTCP2_STATELESS_RESET_TOKENLEN;
  if (pkt.size() <= min_len + 1 || dcid.size() != server_cid_len) {
    d.why = "short packet for an unknown connection";
    return d;
  }
  auto second = now_ns / 1'000'000'000ull;
  if (second != reset_second_) {
    reset_second_ = second;
    resets_ = 0;
  }
  if (++resets_ > opts_.max_resets_per_s) {
    d.why = "stateless reset rate limit";
    return d;
  }
  ngtcp2_cid cid;
  ngtcp2_cid_init(&cid, u8(dcid), dcid.size());
  uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];
  if (ngtcp2_crypto_generate_stateless_reset_token(
        token, u8(opts_.static_secret), opts_.static_secret.size(), &cid) !=
      0) {
    d.why = "reset token failed";
    return d;
  }
  size_t randlen =
    std::min<size_t>(pkt.size() - 1 - NGTCP2_STATELESS_RESET_TOKENLEN - 1, 40);
  uint8_t rnd[40];
  random_bytes(rnd, randlen);
  std::string out(1 + randlen + NGTCP2_STATELESS_RESET_TOKENLEN, '\0');
  auto n = ngtcp2_pkt_write_stateless_reset(
    reinterpret_cast<uint8_t*>(out.data()), out.size(), token, rnd, randlen);
  if (n <= 0) {
    d.why = "reset failed";
    return d;
  }
  out.resize(static_cast<size_t>(n));
  d.what = dispatch::reply;
  d.reset = true;
  d.packet = std::move(out);
  d.why = "stateless reset";
  return d;
}

} // namespace themis::http3
