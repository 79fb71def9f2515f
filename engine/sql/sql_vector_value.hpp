#pragma once
/// Pure helpers of the SQL vector and full-text functions (issue 32,
/// docs/vector.md "SQL"): reading a query vector from the text a SQL value
/// has inside the engine, and mapping a collection name a session writes
/// to the stored (namespace-qualified) name. No SQLite, no search service:
/// unit-tested with hostile input (tests/unit/sql/sql_vector_value_test.cpp).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace themis::sql {

/// Reads a vector written as pgvector's literal / a JSON array
/// ('[1, 2.5, -3]', also what float4[] and jsonb values are inside the
/// engine) or PostgreSQL's array text ('{1,2.5,-3}'). `expected_dim` 0
/// accepts any dimension from 1 to vector::max_dimension. Returns "" or the
/// reason (for a 22023): not an array, empty, nested, too long, wrong
/// dimension, an element that is not a finite float32 number. Bounded: the
/// text may be at most max_vector_text bytes (checked before parsing).
std::string parse_sql_vector(std::string_view text, size_t expected_dim,
                             std::vector<float>& out);

/// 4096 elements of up to ~40 characters each.
inline constexpr size_t max_vector_text = 256 * 1024;

/// The stored collection a session means by `name`: `ns` + name, or for a
/// session that may name every namespace (`all_namespaces`, a global
/// admin without a namespace) a stored name as given. "" when the name is
/// empty, too long, or dotted for a session that may not name other
/// namespaces (so another tenant's collection is never reachable).
std::string stored_collection_name(const std::string& name,
                                   const std::string& ns, bool all_namespaces);

} // namespace themis::sql
