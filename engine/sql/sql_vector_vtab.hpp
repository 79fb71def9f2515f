#pragma once
/// SQL access to the search service's indexes (issue 32, docs/vector.md
/// and docs/search.md "SQL"), registered on every engine connection:
///
///   themis_vsearch(collection, field, query, k, ef, ns, all)
///       → _key, distance, doc   (the HNSW index, nearest first)
///   themis_ftsearch(collection, attribute, query, limit, NULL, ns, all)
///       → _key, score, doc      (the FTS5 index, best BM25 first)
///   themis_vector_distance(a, b, metric)   scalar, brute force
///   themis_explain(sql)  → the lines of SQLite's EXPLAIN QUERY PLAN, where
///       a search function's scan names its index
///
/// The first two are eponymous virtual tables (table-valued functions):
/// PostgreSQL's themis_vector_search / themis_fulltext in FROM translate to
/// them (translate_vector.cpp), which also appends the session's namespace
/// and whether it may name other namespaces: users never write those two
/// arguments, so a tenant reaches only its own collections' indexes.
/// Hits are waited for like AQL's (the index has applied the statement's
/// snapshot) and their documents read from the statement's own snapshot.

struct sqlite3;

namespace themis::sql {

void register_vector_sql(sqlite3* db);

} // namespace themis::sql
