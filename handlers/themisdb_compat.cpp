#include "handlers/themisdb_compat.hpp"

#include <nlohmann/json.hpp>

#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "engine/reader_pool.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

std::string stored_table(const api_request& req, const std::string& table) {
  auto coll = engine::collection_of_themisdb_table(table);
  if (coll.empty())
    return {};
  return tenant_collection(req.who.tenant, coll);
}

bool parse_entity_key(const api_request& req, const std::string& id,
                      std::string& collection, std::string& pk) {
  auto colon = id.find(':');
  if (colon == std::string::npos)
    return false;
  collection = stored_table(req, id.substr(0, colon));
  pk = id.substr(colon + 1);
  return !collection.empty() && engine::valid_key(pk);
}

std::string user_document(const std::string& stored_json) {
  auto j = nlohmann::json::parse(stored_json, nullptr, false);
  if (!j.is_object())
    return stored_json;
  j.erase("_key");
  j.erase("_rev");
  if (j.size() == 1)
    if (auto b = j.find(blob_attribute); b != j.end() && b->is_string())
      return b->get<std::string>(); // a blob that is not a JSON object
  return dump(j);
}

std::optional<std::string> document_of_blob(const std::string& blob) {
  nlohmann::json j;
  if (engine::parse_untrusted_json(blob, j) ==
      engine::json_parse_status::too_deep)
    return std::nullopt;
  if (j.is_object() && !j.contains(blob_attribute))
    return blob;
  return dump(nlohmann::json{{blob_attribute, blob}});
}

std::shared_ptr<http_tx> request_tx(route_context& ctx, bool& refused) {
  refused = false;
  auto id = ctx.req.header("X-Transaction-Id");
  if (!id || id->empty())
    return nullptr;
  std::shared_ptr<http_tx> tx;
  if (ctx.env.transactions)
    tx = ctx.env.transactions->find(*id, ctx.req.who);
  if (!tx) {
    refused = true;
    ctx.respond(error_response(
      404, "transaction not found, expired or already ended: " + *id));
  }
  return tx;
}

committed_reader reader_of(route_context& ctx) {
  auto* reader = &ctx.env.reader;
  return [reader](const std::string& c, const std::string& k) {
    return reader->get(c, k);
  };
}

bool truthy_param(const api_request& req, const char* name) {
  auto v = query_param(req.query, name);
  if (!v)
    return false;
  std::string s;
  for (char c : *v)
    s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return s == "true" || s == "1" || s == "yes";
}

} // namespace themis
