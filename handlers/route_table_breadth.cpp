/// The breadth routes of issue 22 (handlers/breadth_handlers.hpp):
/// documents in batches, collection properties, statistics and truncate,
/// AQL validate and explain, the admin configuration. Their /api/v1 twins
/// come from route_versions.cpp like every /v1 route's.

#include <algorithm>

#include "handlers/breadth_handlers.hpp"
#include "handlers/cluster_handlers.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_schemas.hpp"
#include "handlers/route_table.hpp"

namespace themis {

namespace s = schemas;
using json = nlohmann::json;

void register_breadth_routes(route_registry& reg) {
  reg.add("/v1/collections/{c}/documents:batchGet", {"documents"})
    .post(documents_batch_get, "Get documents by key, in order")
    .describe("At most 1000 keys; a missing document is null in "
              "`documents` and listed in `errors`.")
    .scope("data:read")
    .body(s::batch_get_body(), {{"keys", {"k1", "nope"}}})
    .response(s::batch_get_answer())
    .errors({400, 404})
    .rate_group("bulk");
  reg.add("/v1/collections/{c}/properties", {"collections"})
    .get(collection_properties_get, "A collection's properties")
    .scope("data:read")
    .response(s::collection_properties())
    .errors({400, 404, 503});
  reg.add("/v1/collections/{c}/statistics", {"collections"})
    .get(collection_statistics_get,
         "Document count and bytes, index entries and sizes")
    .scope("data:read")
    .response(s::collection_statistics())
    .errors({400, 404, 503});
  reg.add("/v1/collections/{c}/truncate", {"collections"})
    .put(collection_truncate, "Remove every document (indexes stay)")
    .describe("One write; each removed document is a DELETE change event.")
    .scope("data:write")
    .errors({400, 404});
  reg.add("/v1/query/validate", {"query"})
    .post(query_validate, "Parse and check AQL without running it")
    .scope("query")
    .body(s::aql_request(), {{"query", "FOR d IN contract_c RETURN d"}})
    .response(s::query_validation())
    .errors({404})
    .rate_group("query");
  reg.add("/v1/query/explain", {"query"})
    .post(query_explain, "The plan of an AQL query, without running it")
    .scope("query")
    .body(s::aql_request(), {{"query", "FOR d IN contract_c RETURN d"}})
    .errors({404})
    .rate_group("query");
  reg.add("/api/v1/admin/config", {"admin"})
    .get(admin_config, "The effective configuration, secrets redacted")
    .describe("The admin scope of the global namespace, checked by the "
              "handler as on every /api/v1/admin route.")
    .scope("authenticated")
    .errors({403, 404})
    .rate_group("admin");
  // issue 25: etcd membership, replicated configuration, hash ring
  reg.add("/api/v1/cluster/status", {"admin"})
    .get(cluster_status, "Cluster nodes, leader, config revision, etcd and "
                         "Redis state")
    .scope("authenticated")
    .errors({403, 404})
    .rate_group("admin");
  reg.add("/api/v1/cluster/config", {"admin"})
    .get(cluster_config_get, "The replicated configuration sections")
    .scope("authenticated")
    .errors({403, 404})
    .put(cluster_config_put, "Store one section (compare-and-swap on its "
                             "etcd mod revision)")
    .scope("authenticated")
    .body(s::object(), {{"section", "rate_limiting"},
                        {"value", {{"rules", {"/ 100/1s key=ip"}}}},
                        {"revision", 0}})
    .errors({400, 403, 404, 409, 503})
    .rate_group("admin");
  reg.add("/api/v1/cluster/ring", {"admin"})
    .get(cluster_ring, "The node that owns a key on the hash ring")
    .scope("authenticated")
    .errors({403, 404})
    .rate_group("admin");
}

void assign_rate_groups(route_registry& reg) {
  auto has_in = [](const std::vector<std::string>& v, const char* x) {
    return std::find(v.begin(), v.end(), x) != v.end();
  };
  auto ends = [](const std::string& p, const std::string& x) {
    return p.size() >= x.size() &&
           p.compare(p.size() - x.size(), x.size(), x) == 0;
  };
  for (auto& e : reg.routes())
    for (auto& o : e->ops) {
      if (o.rate_group != "default")
        continue; // chosen where it was registered
      auto& p = e->path;
      auto has = [&](const std::vector<std::string>& v, const char* x) {
        return has_in(v, x) || has_in(e->tags, x);
      };
      if (ends(p, "/import") || ends(p, "/export") || ends(p, "/batch") ||
          p == "/v2/documents" || p.find("/_api/import") != std::string::npos)
        o.rate_group = "bulk";
      else if (has(o.tags, "query") ||
               p.find("/_api/cursor") != std::string::npos ||
               p.find("/sql") != std::string::npos)
        o.rate_group = "query";
      else if (has(o.tags, "admin") || has(o.tags, "keys") ||
               has(o.tags, "audit"))
        o.rate_group = "admin";
    }
}

} // namespace themis
