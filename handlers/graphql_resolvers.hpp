#pragma once
/// Resolvers of the catalog-derived schema (graphql_schema.cpp wires them):
/// documents by key and as Relay connections (graphql_resolvers.cpp), the
/// `aql` escape hatch and `collections`, writes with revision
/// preconditions and the job fields (graphql_mutations.cpp). Each runs
/// inside an operation_run (graphql_run.hpp) and checks the principal's
/// scope for what it touches.

#include <nlohmann/json.hpp>
#include <string>

#include "handlers/graphql_catalog.hpp"
#include "engine/graphql/resolver.hpp"

namespace themis::gql {

/// A stored document (JSON text with _key and _rev) as the object value of
/// its type: `_id`, `_key`, `_rev`, and `doc` or the declared fields.
nlohmann::json node_of(const collection_type& t, const std::string& doc_json);
nlohmann::json node_of(const collection_type& t, nlohmann::json doc);

/// Query.<coll>(key): one document or null (batched: the keys of aliased
/// siblings are read together).
graphql::batch_resolver_fn resolve_document(const collection_type& t);
/// Query.<coll>List(filter, sort, first, after, last, before).
graphql::resolver_fn resolve_list(const collection_type& t);
/// Query.collections, Query.aql(query, bindVars).
graphql::resolver_fn resolve_collections();
graphql::resolver_fn resolve_aql();

/// Mutation.insert<T>(doc), update<T>(key, patch, ifRev),
/// replace<T>(key, doc, ifRev), delete<T>(key, ifRev).
graphql::resolver_fn resolve_insert(const collection_type& t);
graphql::resolver_fn resolve_update(const collection_type& t, bool replace);
graphql::resolver_fn resolve_delete(const collection_type& t);

/// Query.job(id), Query.jobs(status, limit), Mutation.submitJob(query,
/// bindVars, idempotencyKey), Mutation.cancelJob(id), Job.result.
graphql::resolver_fn resolve_job();
graphql::resolver_fn resolve_jobs();
graphql::resolver_fn resolve_submit_job();
graphql::resolver_fn resolve_cancel_job();
graphql::resolver_fn resolve_job_result();

/// A job record of the job API (themisd's /v1/jobs shape) as a Job value.
nlohmann::json job_value(const nlohmann::json& record);

/// Opaque page cursors: an offset into an ordered result ("o:N") or the
/// last key of a key-ordered page ("k:KEY"), base64url.
std::string make_cursor(const std::string& raw);
bool read_cursor(const std::string& cursor, std::string& raw);

} // namespace themis::gql
