#pragma once
/// The running query's graph: edges of the named edge collections read
/// through the edge indexes on `_from`/`_to` (store_schema.cpp:
/// documents_edge_from / documents_edge_to), vertices by handle. Every
/// collection goes through query_run::stored(), so a tenant reads only its
/// own edges and vertices. Private to engine/aql.

#include <string>
#include <unordered_map>
#include <vector>

#include "engine/aql/traversal.hpp"

struct sqlite3_stmt;

namespace themis::aql {

class query_run;

class graph_source_sql : public graph_source {
public:
  /// `edge_collections`: names in the query's namespace; each must exist
  /// (else aql_error collection_not_found).
  graph_source_sql(query_run& run,
                   const std::vector<std::string>& edge_collections);
  ~graph_source_sql() override;

  void edges(const std::string& vertex, edge_direction dir,
             std::vector<edge_ptr>& out) override;
  json vertex(const std::string& handle) override;
  void tick() override;

private:
  void lookup(size_t coll, const char* column, const std::string& vertex,
              std::vector<edge_ptr>& out);

  query_run& run_;
  std::vector<std::string> names_;  ///< as the query names them
  std::vector<std::string> stored_; ///< the engine's names
  sqlite3_stmt* by_from_ = nullptr;
  sqlite3_stmt* by_to_ = nullptr;
  /// Edges by (direction, vertex), kept while small: a traversal without
  /// global uniqueness expands the same vertex many times.
  std::unordered_map<std::string, std::vector<edge_ptr>> cache_;
  size_t cached_edges_ = 0;
};

} // namespace themis::aql
