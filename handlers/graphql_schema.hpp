#pragma once
/// The GraphQL schema of one namespace, derived from the live catalog
/// (docs/graphql.md, "Schema mapping"): per collection an object type, a
/// by-key field and a Relay connection list on Query, insert / update /
/// replace / delete mutations; plus `collections`, `aql`, `job`, `jobs`,
/// `submitJob`, `cancelJob` and the subscriptions `changes` and
/// `jobProgress`. Built once per tenant and schema epoch (any DDL or
/// collection change moves the epoch) and shared, immutable, by requests.

#include <cstdint>
#include <memory>
#include <string>

#include "handlers/graphql_catalog.hpp"
#include "engine/graphql/schema.hpp"

namespace themis {
struct handler_env;
}

namespace themis::gql {

struct schema_bundle {
  graphql::schema schema;
  catalog cat;
  std::string tenant;
  std::string db_path;
  uint64_t epoch = 0;

  /// The collection behind an object type / a root field, or null.
  const collection_type* by_type(const std::string& type_name) const;
  const collection_type* by_collection(const std::string& name) const;
};

/// Builds the schema for `cat` (pure apart from the resolvers it wires,
/// which run only inside an operation_run).
std::shared_ptr<schema_bundle> build_schema(catalog cat, std::string tenant,
                                            std::string db_path);

/// The cached schema of `tenant`'s namespace, rebuilt when the schema
/// epoch moved. Thread-safe; at most 256 namespaces are kept.
std::shared_ptr<const schema_bundle> schema_for(handler_env& env,
                                                const std::string& tenant);

} // namespace themis::gql
