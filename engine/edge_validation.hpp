#pragma once
/// Edge collections (issue 32, docs/graph.md): a collection of type
/// "edge" holds only documents whose `_from` and `_to` are document
/// handles "collection/key" (ArangoDB's error 1233, "edge attribute
/// missing or invalid", otherwise).
///
/// The type is stored in `collection_types` (only non-document types have
/// a row), in the same database file as the collections, so it survives
/// restart and backup/restore. The check itself is a trigger on the
/// `documents` table, in plain SQL: every path that writes a document —
/// REST, ThemisDB's entities, AQL, SQL over the PostgreSQL front-end, MQTT
/// ingest — goes through an INSERT or UPDATE of that table, so none can
/// bypass it, and the store writer maps the trigger's error back to a
/// refusal of the one write (edge_refusal).

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace themis::engine {

class sqlite_db;

/// The collection types a client may name.
enum class collection_type { document, edge };

/// "document" | "edge".
const char* to_string(collection_type t);

/// Parses a type as clients send it: "document" / "edge", or ArangoDB's
/// numbers 2 (document) and 3 (edge). False for anything else.
bool parse_collection_type(const nlohmann::json& v, collection_type& out);

/// Why `handle` is not a document handle "collection/key" (a valid
/// collection name, one '/', a valid key); empty when it is one.
std::string handle_problem(std::string_view handle);

/// Why `doc` may not be stored in an edge collection: `_from` or `_to`
/// missing, not a string, or not a document handle. Empty when it may.
/// The message starts with edge_error_text.
std::string edge_document_problem(const nlohmann::json& doc);

/// ArangoDB's wording of error 1233; every refusal's message starts so.
inline constexpr std::string_view edge_error_text =
  "edge attribute missing or invalid";

/// Creates `collection_types` and the triggers that enforce it (edge
/// documents checked on INSERT and UPDATE of `documents`, a dropped
/// collection's type forgotten). Idempotent; run by the store writer at
/// start, after apply_schema.
void install_edge_schema(sqlite_db& db);

/// Records `name` as a collection of type `t` (inside the caller's
/// transaction); a document collection has no row.
void set_collection_type(sqlite_db& db, const std::string& name,
                         collection_type t);

/// If `sqlite_message` holds the trigger's refusal, the message to answer
/// with (without the SQLSTATE prefix the SQL front-end reads); else empty.
std::string edge_refusal(std::string_view sqlite_message);

} // namespace themis::engine
