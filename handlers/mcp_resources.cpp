/// MCP resources: collections and documents as themis:// URIs
/// (resources/list, resources/templates/list, resources/read) and
/// subscriptions (resources/subscribe, unsubscribe) that the session's
/// GET streams turn into notifications/resources/updated from the
/// changefeed (mcp_streams.cpp).

#include "engine/names.hpp"
#include "handlers/http_json.hpp"
#include "handlers/mcp_context.hpp"

namespace themis::mcp {

namespace {

constexpr size_t list_page = 100;

void need_read(const call_context& c) {
  if (!c.who.has_scope("data:read"))
    throw rpc_failure(invalid_request,
                      "permission denied: the token lacks the scope data:read");
}

/// The URI's collection (stored name) and key, or resource_not_found.
std::pair<resource_ref, std::string> resolve(const call_context& c,
                                             const json& params) {
  auto u = params.find("uri");
  if (u == params.end() || !u->is_string())
    throw rpc_failure(invalid_params, "a string \"uri\" is required");
  auto& uri = u->get_ref<const std::string&>();
  auto ref = parse_resource_uri(uri);
  if (!ref)
    throw rpc_failure(resource_not_found, "Resource not found",
                      {{"uri", uri.substr(0, 256)}});
  auto stored = stored_name(c, ref->collection);
  if (stored.empty() || (!ref->key.empty() && !engine::valid_key(ref->key)))
    throw rpc_failure(resource_not_found, "Resource not found",
                      {{"uri", uri.substr(0, 256)}});
  return {*ref, stored};
}

} // namespace

json resources_list(call_context& c, const json& params) {
  need_read(c);
  std::string after;
  if (auto cur = params.find("cursor");
      cur != params.end() && !cur->is_null()) {
    if (!cur->is_string() || cur->get_ref<const std::string&>().size() > 256)
      throw rpc_failure(invalid_params, "invalid cursor");
    after = cur->get<std::string>();
  }
  std::vector<std::pair<std::string, int64_t>> names;
  for (auto& info : c.env.reader.collections())
    if (auto n = shown_name(c, info.name); !n.empty() && n > after)
      names.emplace_back(n, info.count);
  std::sort(names.begin(), names.end());
  json out = json::array();
  for (size_t i = 0; i < names.size() && i < list_page; ++i)
    out.push_back(
      {{"uri", collection_uri(names[i].first)},
       {"name", names[i].first},
       {"title", "collection " + names[i].first},
       {"description", "ThemisDB collection (" +
                         std::to_string(names[i].second) + " documents)"},
       {"mimeType", "application/json"}});
  json r = {{"resources", std::move(out)}};
  if (names.size() > list_page)
    r["nextCursor"] = names[list_page - 1].first;
  return r;
}

json resource_templates_list() {
  return {{"resourceTemplates",
           json::array(
             {{{"uriTemplate", "themis://collections/{name}"},
               {"name", "collection"},
               {"title", "A collection"},
               {"description", "A collection: its count and first keys"},
               {"mimeType", "application/json"}},
              {{"uriTemplate", "themis://collections/{name}/documents/{key}"},
               {"name", "document"},
               {"title", "A document"},
               {"description", "One document as JSON (key percent-encoded)"},
               {"mimeType", "application/json"}}})}};
}

json resources_read(call_context& c, const json& params) {
  need_read(c);
  auto [ref, stored] = resolve(c, params);
  auto uri = params["uri"].get<std::string>();
  if (ref.key.empty()) {
    int64_t count = -1;
    for (auto& info : c.env.reader.collections())
      if (info.name == stored)
        count = info.count;
    if (count < 0)
      throw rpc_failure(resource_not_found, "Resource not found",
                        {{"uri", uri}});
    json keys = json::array();
    for (auto& d : c.env.reader.list(stored, "", 20))
      keys.push_back(d.key);
    json body = {{"name", ref.collection},
                 {"count", count},
                 {"first_keys", keys},
                 {"document_uri_template",
                  collection_uri(ref.collection) + "/documents/{key}"}};
    return {{"contents", json::array({{{"uri", uri},
                                       {"mimeType", "application/json"},
                                       {"text", dump(body)}}})}};
  }
  auto doc = c.env.reader.get(stored, ref.key);
  if (!doc)
    throw rpc_failure(resource_not_found, "Resource not found", {{"uri", uri}});
  return {{"contents", json::array({{{"uri", uri},
                                     {"mimeType", "application/json"},
                                     {"text", std::move(doc->json)}}})}};
}

json resources_subscribe(call_context& c, const json& params, bool on) {
  need_read(c);
  auto [ref, stored] = resolve(c, params);
  if (!on) {
    c.sess->unsubscribe(stored, ref.key);
    return json::object();
  }
  auto max = c.env.config.mcp.max_subscriptions;
  if (!c.sess->subscribe(stored, ref.key, max))
    throw rpc_failure(invalid_params, "too many subscriptions (at most " +
                                        std::to_string(max) +
                                        " per session): unsubscribe first");
  return json::object();
}

} // namespace themis::mcp
