#include "gateway/proxy_request.hpp"

#include "gateway/load_balancer.hpp"

namespace themis::gateway {

namespace {

constexpr std::string_view via_value = "1.1 themisd";

/// RFC 3986 pchar plus '/': everything else percent-encoded.
void encode_path(std::string& out, std::string_view path) {
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : path) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                c == '~' || c == '/' || c == ':' || c == '@' || c == '!' ||
                c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' ||
                c == '*' || c == '+' || c == ',' || c == ';' || c == '=';
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
}

bool listed_in_connection(const header_list& hs, std::string_view name) {
  for (auto& [k, v] : hs) {
    if (!iequals(k, "Connection"))
      continue;
    std::string_view list = v;
    while (!list.empty()) {
      auto comma = list.find(',');
      auto tok = list.substr(0, comma);
      while (!tok.empty() && tok.front() == ' ')
        tok.remove_prefix(1);
      while (!tok.empty() && tok.back() == ' ')
        tok.remove_suffix(1);
      if (iequals(tok, name))
        return true;
      if (comma == std::string_view::npos)
        break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

bool removed_by(const header_edit& e, std::string_view name) {
  for (auto& r : e.remove)
    if (iequals(r, name))
      return true;
  for (auto& [k, v] : e.add) // an added header replaces the client's
    if (iequals(k, name))
      return true;
  return false;
}

void put(std::string& out, std::string_view k, std::string_view v) {
  out.append(k).append(": ").append(v).append("\r\n");
}

} // namespace

bool is_hop_by_hop(std::string_view n) {
  for (auto h :
       {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Proxy-Authenticate",
        "Proxy-Authorization", "Content-Length", "HTTP2-Settings"})
    if (iequals(n, h))
      return true;
  return false;
}

bool is_idempotent(std::string_view m) {
  for (auto x : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
    if (m == x)
      return true;
  return false;
}

std::string client_ip(std::string_view a) {
  if (!a.empty() && a.front() == '[') {
    auto end = a.find(']');
    return std::string(a.substr(
      1, end == std::string_view::npos ? std::string_view::npos : end - 1));
  }
  auto colon = a.rfind(':');
  if (colon != std::string_view::npos && a.find(':') == colon)
    return std::string(a.substr(0, colon)); // v4:port
  return std::string(a);
}

std::string upstream_target(const route_config& r, const api_request& req) {
  std::string_view path = req.path;
  std::string rewritten;
  if (r.forward.rewrite_prefix && !r.match.prefix.empty() &&
      path.compare(0, r.match.prefix.size(), r.match.prefix) == 0) {
    rewritten = *r.forward.rewrite_prefix;
    rewritten.append(path.substr(r.match.prefix.size()));
    if (rewritten.empty() || rewritten[0] != '/')
      rewritten.insert(0, "/");
    path = rewritten;
  }
  std::string out;
  out.reserve(path.size() + req.query.size() + 8);
  encode_path(out, path.empty() ? std::string_view("/") : path);
  if (!req.query.empty())
    out.append("?").append(req.query);
  return out;
}

std::string build_upstream_request(const route_config& r,
                                   const api_request& req, bool tls,
                                   std::string_view upstream_host) {
  std::string out;
  out.reserve(256 + req.body.size());
  out.append(req.method).append(" ").append(upstream_target(r, req));
  out.append(" HTTP/1.1\r\n");
  auto* host = req.header("Host");
  if (!host)
    host = req.header(":authority");
  if (!r.forward.host_rewrite.empty())
    put(out, "Host", r.forward.host_rewrite);
  else if (host)
    put(out, "Host", *host);
  else
    put(out, "Host", upstream_host);
  std::string xff;
  const std::string* via = nullptr;
  auto& edits = r.request_headers;
  for (auto& [k, v] : req.headers) {
    if (k.empty() || k[0] == ':' || iequals(k, "Host") || is_hop_by_hop(k) ||
        listed_in_connection(req.headers, k) || removed_by(edits, k))
      continue;
    if (iequals(k, "X-Forwarded-For")) {
      xff = v;
      continue;
    }
    if (iequals(k, "Via")) {
      via = &v;
      continue;
    }
    if (iequals(k, "X-Forwarded-Proto") || iequals(k, "X-Forwarded-Host"))
      continue; // ours replace the client's claims
    if (iequals(k, "Expect"))
      continue; // the front-end answered 100-continue; the body is here
    put(out, k, v);
  }
  auto ip = client_ip(req.remote_addr);
  put(out, "X-Forwarded-For", xff.empty() ? ip : xff + ", " + ip);
  put(out, "X-Forwarded-Proto", tls ? "https" : "http");
  if (host)
    put(out, "X-Forwarded-Host", *host);
  put(out, "Via",
      via ? *via + ", " + std::string(via_value) : std::string(via_value));
  for (auto& [k, v] : edits.add)
    put(out, k, v);
  // a body, or a method that defines one, is framed by Content-Length
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" ||
      req.method == "PATCH")
    put(out, "Content-Length", std::to_string(req.body.size()));
  out.append("\r\n");
  out.append(req.body);
  return out;
}

std::string build_upgrade_request(const route_config& r, const api_request& req,
                                  bool tls, std::string_view upstream_host) {
  auto out = build_upstream_request(r, req, tls, upstream_host);
  auto end = out.find("\r\n\r\n");
  auto* up = req.header("Upgrade");
  if (end == std::string::npos || !up)
    return out;
  std::string extra = "\r\nConnection: Upgrade\r\nUpgrade: " + *up;
  out.insert(end, extra);
  return out;
}

void relay_response_headers(const route_config& r, header_list& h) {
  header_list out;
  out.reserve(h.size() + 2);
  std::string via;
  for (auto& [k, v] : h) {
    if (is_hop_by_hop(k) || listed_in_connection(h, k) ||
        removed_by(r.response_headers, k) || iequals(k, "Date") ||
        iequals(k, "Server"))
      continue;
    if (iequals(k, "Via")) {
      via = v;
      continue;
    }
    out.emplace_back(std::move(k), std::move(v));
  }
  out.emplace_back("Via", via.empty() ? std::string(via_value)
                                      : via + ", " + std::string(via_value));
  for (auto& [k, v] : r.response_headers.add)
    out.emplace_back(k, v);
  h = std::move(out);
}

std::string coalesce_key(const route_config& r, const api_request& req) {
  if (!r.forward.coalesce || (req.method != "GET" && req.method != "HEAD") ||
      !req.body.empty())
    return {};
  auto* host = req.header("Host");
  std::string key;
  key.reserve(128);
  key.append(req.method).append(" ");
  if (host)
    key.append(*host);
  key.append(" ").append(req.path).append("?").append(req.query);
  if (!r.forward.public_route) {
    // credentials decide what an upstream may answer: never share across
    for (auto name : {"Authorization", "X-Tenant-ID", "X-API-Key", "Cookie"}) {
      key.append("\n").append(name).append(":");
      if (auto* v = req.header(name))
        key.append(*v);
    }
  }
  // content negotiation changes the answer
  for (auto name : {"Accept", "Accept-Encoding", "Accept-Language"}) {
    key.append("\n").append(name).append(":");
    if (auto* v = req.header(name))
      key.append(*v);
  }
  return key;
}

uint64_t affinity_hash(const cluster_config& c, const api_request& req) {
  auto& on = c.hash_on;
  if (on.rfind("header:", 0) == 0) {
    if (auto* v = req.header(std::string_view(on).substr(7)))
      return load_balancer::hash(*v);
  } else if (on.rfind("cookie:", 0) == 0) {
    auto name = std::string_view(on).substr(7);
    if (auto* v = req.header("Cookie")) {
      std::string_view s = *v;
      while (!s.empty()) {
        auto semi = s.find(';');
        auto part = s.substr(0, semi);
        while (!part.empty() && part.front() == ' ')
          part.remove_prefix(1);
        auto eq = part.find('=');
        if (eq != std::string_view::npos && part.substr(0, eq) == name)
          return load_balancer::hash(part.substr(eq + 1));
        if (semi == std::string_view::npos)
          break;
        s.remove_prefix(semi + 1);
      }
    }
  }
  return load_balancer::hash(client_ip(req.remote_addr));
}

std::string redirect_location(const route_config& r, const api_request& req) {
  std::string out;
  std::string_view loc = r.redirect_location;
  while (!loc.empty()) {
    if (loc.rfind("$path", 0) == 0) {
      encode_path(out, req.path);
      loc.remove_prefix(5);
    } else if (loc.rfind("$query", 0) == 0) {
      if (!req.query.empty())
        out.append("?").append(req.query);
      loc.remove_prefix(6);
    } else {
      out.push_back(loc.front());
      loc.remove_prefix(1);
    }
  }
  return out;
}

} // namespace themis::gateway
