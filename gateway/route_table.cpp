#include "gateway/route_table.hpp"

#include <re2/re2.h>

namespace themis::gateway {

route_table::route_table(const gateway_config& cfg) : routes_(cfg.routes) {
  for (auto& r : routes_) {
    if (r.match.regex.empty()) {
      regex_.push_back(nullptr);
      continue;
    }
    RE2::Options o;
    o.set_log_errors(false);
    o.set_max_mem(1 << 20);
    auto re = std::make_unique<RE2>(r.match.regex, o);
    if (!re->ok()) // (the parser checked; a bad one matches nothing)
      re.reset();
    regex_.push_back(std::move(re));
  }
}

route_table::~route_table() = default;

std::string route_table::normalize_host(std::string_view host) {
  if (!host.empty() && host.front() == '[') { // [v6]:port
    auto end = host.find(']');
    host =
      host.substr(0, end == std::string_view::npos ? host.size() : end + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string out(host);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c + 32);
  if (!out.empty() && out.back() == '.')
    out.pop_back();
  return out;
}

bool route_table::host_matches(std::string_view pattern,
                               std::string_view host) {
  if (pattern.empty())
    return true;
  if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
    auto suffix = pattern.substr(1); // ".example.com"
    return host.size() > suffix.size() &&
           iequals(host.substr(host.size() - suffix.size()), suffix);
  }
  return iequals(pattern, host);
}

bool route_table::query_value(std::string_view query, std::string_view name,
                              std::string& out) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    auto eq = part.find('=');
    auto k = part.substr(0, eq);
    if (k == name) {
      out = eq == std::string_view::npos ? std::string()
                                         : std::string(part.substr(eq + 1));
      return true;
    }
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

bool route_table::matches(size_t i, const api_request& req,
                          std::string_view host) const {
  auto& m = routes_[i].match;
  if (!host_matches(m.host, host))
    return false;
  if (!m.methods.empty()) {
    bool ok = false;
    for (auto& x : m.methods)
      ok |= iequals(x, req.method);
    if (!ok)
      return false;
  }
  if (!m.exact.empty() && req.path != m.exact)
    return false;
  if (!m.prefix.empty()) {
    if (req.path.compare(0, m.prefix.size(), m.prefix) != 0)
      return false;
  }
  if (!m.regex.empty() && (!regex_[i] || !RE2::FullMatch(req.path, *regex_[i])))
    return false;
  for (auto& h : m.headers) {
    auto v = req.header(h.name);
    if (!v || (h.value != "*" && *v != h.value))
      return false;
  }
  for (auto& [k, want] : m.query) {
    std::string v;
    if (!query_value(req.query, k, v) || (want != "*" && v != want))
      return false;
  }
  return true;
}

const route_config* route_table::match(const api_request& req) const {
  if (routes_.empty())
    return nullptr;
  auto* h = req.header("Host");
  if (!h)
    h = req.header(":authority");
  auto host = normalize_host(h ? *h : std::string_view());
  for (size_t i = 0; i < routes_.size(); ++i)
    if (matches(i, req, host))
      return &routes_[i];
  return nullptr;
}

int route_table::index_of(const route_config* r) const {
  if (!r || routes_.empty() || r < &routes_.front() || r > &routes_.back())
    return -1;
  return static_cast<int>(r - &routes_.front());
}

} // namespace themis::gateway
