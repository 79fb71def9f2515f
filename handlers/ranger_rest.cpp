#include "handlers/ranger_rest.hpp"

#include <vector>

namespace themis {

namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size() && out.size() < 8) {
    while (i < path.size() && path[i] == '/')
      ++i;
    size_t j = path.find('/', i);
    if (j == std::string::npos)
      j = path.size();
    if (j > i)
      out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

} // namespace

std::optional<auth::ranger::access_check>
ranger_rest_access(const std::string& method, const std::string& path,
                   const std::string& tenant) {
  auth::ranger::access_check c;
  c.agent = "themisd-rest";
  c.action = method + " " + path;
  bool read = method == "GET" || method == "HEAD";
  if (path == "/query" || path == "/v1/query" || path == "/v2/query" ||
      path == "/api/query" || path == "/api/aql" ||
      path.rfind("/v1/cursor", 0) == 0) {
    c.resources = {{"tenant", tenant}};
    c.access = "query";
    c.res_type = "@tenant";
    return c;
  }
  auto seg = segments(path);
  if (seg.size() >= 2 && seg[0] == "api" && seg[1] == "v1") // the /api twin
    seg.erase(seg.begin());
  if (seg.size() < 2 || seg[0] != "v1" || seg[1] != "collections")
    return std::nullopt;
  c.access = read ? "read" : "write";
  c.resources = {{"tenant", tenant}};
  c.res_type = "@tenant";
  if (seg.size() >= 3) {
    c.resources.emplace_back("collection", seg[2]);
    c.res_type = "@collection";
  }
  if (seg.size() >= 5 && seg[3] == "documents") {
    c.resources.emplace_back("key", seg[4]);
    c.res_type = "@key";
  }
  return c;
}

} // namespace themis
