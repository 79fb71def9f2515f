#pragma once
/// The gateway's compiled route table: first matching route wins. Host
/// match is case-insensitive without the port; `*.example.com` matches any
/// name with at least one more label. Regexes are RE2 (linear time, no
/// backtracking blow-up on hostile paths), compiled once per table.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/gateway_config.hpp"
#include "themis/api_message.hpp"

namespace re2 {
class RE2;
}

namespace themis::gateway {

class route_table {
public:
  explicit route_table(const gateway_config& cfg);
  ~route_table();
  route_table(const route_table&) = delete;
  route_table& operator=(const route_table&) = delete;

  /// The first route matching `req`, or nullptr (themisd's own router).
  const route_config* match(const api_request& req) const;
  /// Its position in the table (for metrics), or -1.
  int index_of(const route_config* r) const;
  size_t size() const { return routes_.size(); }
  const std::vector<route_config>& routes() const { return routes_; }

  /// Host without port, lower-cased.
  static std::string normalize_host(std::string_view host);
  static bool host_matches(std::string_view pattern, std::string_view host);
  /// Value of `name` in a raw query string (not percent-decoded), or null.
  static bool query_value(std::string_view query, std::string_view name,
                          std::string& out);

private:
  bool matches(size_t i, const api_request& req, std::string_view host) const;
  std::vector<route_config> routes_;
  std::vector<std::unique_ptr<re2::RE2>> regex_; ///< per route, or null
};

} // namespace themis::gateway
