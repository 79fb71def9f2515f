#include "handlers/ranger_rest.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string_view>

#include "handlers/http_json.hpp"
#include "handlers/route_registry.hpp"
#include "themis/input_limits.hpp"

namespace themis {

namespace {

using auth::ranger::access_check;
using json = nlohmann::json;

/// More names than this in one request: checked tenant-wide instead.
constexpr size_t max_names = 32;
/// Bodies larger than this are not searched for names (tenant-wide).
constexpr size_t max_scanned_body = 4u << 20;

bool is_read(const std::string& m) {
  return m == "GET" || m == "HEAD";
}

bool capture(const std::string& seg, std::string& name) {
  if (seg.size() < 3 || seg.front() != '{' || seg.back() != '}')
    return false;
  name = seg.substr(1, seg.size() - 2);
  if (!name.empty() && name[0] == '_')
    name.erase(0, 1);
  return true;
}

/// A found resource: collection and optional key.
struct target {
  std::string collection, key;
  bool operator==(const target&) const = default;
};

void add_name(std::vector<target>& out, const std::string& c,
              const std::string& k = {}) {
  if (c.empty())
    return;
  target t{c, k};
  if (std::find(out.begin(), out.end(), t) == out.end())
    out.push_back(std::move(t));
}

void add_json_names(std::vector<target>& out, const json& j) {
  if (!j.is_object())
    return;
  for (const char* f : {"collection", "table", "vertex_collection",
                        "edge_collection", "_collection"})
    if (auto i = j.find(f); i != j.end() && i->is_string())
      add_name(out, i->get<std::string>());
  if (auto i = j.find("collections"); i != j.end()) {
    if (i->is_string())
      add_name(out, i->get<std::string>());
    else if (i->is_array())
      for (auto& v : *i)
        if (v.is_string())
          add_name(out, v.get<std::string>());
  }
}

json parse_bounded(std::string_view text) {
  if (json_depth(text, max_json_depth() + 1) > max_json_depth())
    return json();
  return json::parse(text, nullptr, false);
}

void body_names(const api_request& req, std::vector<target>& out) {
  if (req.body.empty() || req.body.size() > max_scanned_body)
    return;
  auto first = req.body.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || req.body[first] != '{')
    return;
  if (has_content_type(req, "application/x-ndjson")) {
    std::string_view rest = req.body;
    while (!rest.empty() && out.size() <= max_names) {
      auto nl = rest.find('\n');
      add_json_names(out, parse_bounded(rest.substr(0, nl)));
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
    return;
  }
  add_json_names(out, parse_bounded(req.body));
}

void query_names(const api_request& req, std::vector<target>& out) {
  if (auto c = query_param(req.query, "collection"))
    add_name(out, *c);
  if (auto cs = query_param(req.query, "collections")) {
    std::string_view v = *cs;
    while (!v.empty() && out.size() <= max_names) {
      auto comma = v.find(',');
      add_name(out, std::string(v.substr(0, comma)));
      v.remove_prefix(comma == std::string_view::npos ? v.size() : comma + 1);
    }
  }
}

/// Literal segments after a collection that change the collection itself.
bool collection_ddl(const std::string& seg) {
  return seg == "indexes" || seg == "properties" || seg == "truncate" ||
         seg == "schema";
}

/// `name` of a JSON body (creating a collection), "" when there is none.
std::string body_name(const api_request& req) {
  if (req.body.size() > max_scanned_body)
    return {};
  auto j = parse_bounded(req.body);
  if (auto i = j.is_object() ? j.find("name") : j.end();
      j.is_object() && i != j.end() && i->is_string())
    return i->get<std::string>();
  return {};
}

/// The ArangoDB API (/_api/…, /_db/{db}/_api/…): routed outside the
/// registry. False: not an ArangoDB path.
bool arango_targets(const api_request& req, std::vector<target>& out, bool& ddl,
                    bool& query) {
  std::string_view p = req.path;
  if (p.rfind("/_db/", 0) == 0) {
    auto slash = p.find('/', 5);
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash);
  }
  if (p.rfind("/_api/", 0) != 0)
    return false;
  auto segs = split_template(std::string(p)); // segs[0] == "_api"
  std::string what = segs.size() > 1 ? segs[1] : "";
  if (what == "cursor") {
    query = true;
  } else if (what == "document") {
    if (segs.size() > 2)
      add_name(out, segs[2], segs.size() > 3 ? segs[3] : "");
    else
      query_names(req, out);
  } else if (what == "collection") {
    if (segs.size() > 2)
      add_name(out, segs[2]);
    else if (req.method == "POST")
      add_name(out, body_name(req));
    ddl = !is_read(req.method);
  } else if (what == "index" || what == "import") {
    query_names(req, out);
    ddl = what == "index" && !is_read(req.method);
  }
  return true;
}

/// From the registry's route: captures by position, DDL by shape.
void route_targets(const api_request& req, std::vector<target>& out,
                   bool& ddl) {
  auto segs = split_template(req.path);
  std::vector<std::string> params;
  auto r = route_registry::global().match(segs, true, true, params);
  if (!r)
    return;
  auto tmpl = split_template(r->path);
  std::string coll, key, id, name;
  size_t coll_at = 0;
  for (size_t i = 0; i < tmpl.size() && i < segs.size(); ++i) {
    if (!capture(tmpl[i], name))
      continue;
    if (name == "c" || name == "collection") {
      coll = segs[i];
      coll_at = i;
    } else if (name == "key") {
      key = segs[i];
    } else if (name == "id") {
      id = segs[i];
    }
  }
  if (label_of(r->path).rfind("/entities/{id}", 0) == 0 ||
      label_of(r->path) == "/api/v1/entities/{id}") {
    // ThemisDB's entity id is "table:pk"
    auto colon = id.find(':');
    if (colon != std::string::npos)
      add_name(out, id.substr(0, colon), id.substr(colon + 1));
    return;
  }
  bool writes = !is_read(req.method);
  if (!coll.empty()) {
    add_name(out, coll, key.empty() ? id : key);
    if (writes) {
      if (coll_at + 1 == tmpl.size())
        ddl = req.method != "POST"; // PUT/PATCH/DELETE the collection
      else if (collection_ddl(tmpl[coll_at + 1]))
        ddl = true;
    }
    return;
  }
  auto plain = label_of(r->path);
  if (writes && (plain == "/v1/collections" ||
                 plain == "/api/v1/collections")) { // create
    add_name(out, body_name(req));
    ddl = true;
    return;
  }
  if (writes && (plain == "/index/create" || plain == "/index/drop"))
    ddl = true;
  query_names(req, out);
  if (out.empty())
    body_names(req, out);
}

} // namespace

std::string ranger_access_of_scope(const std::string& scope) {
  if (scope == "data:read" || scope == "cdc:read")
    return "read";
  if (scope == "data:write")
    return "write";
  if (scope == "query" || scope == "jobs")
    return "query";
  if (scope == "admin")
    return "admin";
  return "";
}

std::vector<access_check> ranger_rest_access(const api_request& req,
                                             const std::string& scope,
                                             const std::string& tenant) {
  auto access = ranger_access_of_scope(scope);
  // GraphQL and MCP check scopes per operation and read or write any
  // collection, as AQL does: they need the tenant's query right
  // (an unauthenticated /mcp call gets its own 401 challenge first)
  if (access.empty() && req.who.authenticated() &&
      (req.path == "/graphql" || req.path == "/mcp" ||
       req.path == "/api/v1/graphql" || req.path == "/api/v1/mcp"))
    access = "query";
  if (access.empty())
    return {};
  std::vector<target> targets;
  bool ddl = false, query = false;
  if (!arango_targets(req, targets, ddl, query))
    route_targets(req, targets, ddl);
  if (query)
    access = "query";
  else if (ddl)
    access = "admin";
  access_check base;
  base.agent = "themisd-rest";
  base.action = req.method + " " + req.path;
  base.access = access;
  base.client_ip = req.remote_addr;
  base.resources = {{"tenant", tenant}};
  base.res_type = "@tenant";
  // a query reads what its text names: the tenant's query right covers it
  if (access == "query" || targets.empty() || targets.size() > max_names)
    return {base};
  std::vector<access_check> out;
  for (auto& t : targets) {
    auto c = base;
    c.resources.emplace_back("collection", t.collection);
    c.res_type = "@collection";
    if (!t.key.empty()) {
      c.resources.emplace_back("key", t.key);
      c.res_type = "@key";
    }
    out.push_back(std::move(c));
  }
  return out;
}

} // namespace themis
