#pragma once
/// Per-collection JSON Schemas (issue 22; what MongoDB's $jsonSchema
/// validator and ArangoDB's collection schemas give users): a rule, a
/// level, and an optional message, stored in `collection_schemas` beside
/// the collections, so they survive restart and backup.
///
/// Enforced like edge collections (engine/edge_validation.hpp): triggers
/// on the `documents` table call themis_schema_check(), so every path
/// that writes a document — REST, entities, AQL, SQL over the PostgreSQL
/// front-end, MQTT ingest, gRPC, GraphQL — is checked by the same code in
/// the same transaction, and none can bypass it. A refusal aborts the one
/// statement with SQLSTATE 23514 (check_violation); the store writer maps
/// it back to a refusal of the write (schema_refusal), the MQTT front-end
/// to reason 0x99, the ArangoDB paths to error 1620.
///
/// Levels (MongoDB's validationLevel, ArangoDB's level):
///   strict    every insert and update is checked;
///   moderate  inserts, and updates of documents that are valid now (a
///             document stored before the rule may still be updated);
///   new       inserts only;
///   off       stored but not enforced ("none" is accepted for it).
/// System attributes (_key, _rev, _id, _from, _to) are not validated.
/// Setting a rule does not check the documents already stored.

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/json_schema.hpp"

struct sqlite3;

namespace themis::engine {

class sqlite_db;

/// A collection's schema as clients send and read it.
struct collection_schema {
  nlohmann::json rule; ///< the JSON Schema
  std::string level;   ///< strict | moderate | new | off
  std::string message; ///< shown instead of the default text; may be ""
};

/// The bounds of a user's rule (engine/json_schema.hpp).
schema_limits collection_schema_limits();

/// Parses a PUT body {"rule": {...}, "level": "...", "message": "..."}:
/// "" and `out` set, or what is wrong with it (the rule compiled, so a
/// refused keyword is named with its JSON Pointer).
std::string parse_collection_schema(const nlohmann::json& body,
                                    collection_schema& out);

nlohmann::json to_json(const collection_schema& s);

/// Creates `collection_schemas`, its triggers on `documents`, and the
/// trigger that forgets a dropped collection's schema. Idempotent; run by
/// the store writer at start.
void install_collection_schemas(sqlite_db& db);

/// Registers themis_schema_check() on `db` (the store writer's connection:
/// every connection that writes documents needs it, or its writes fail).
void register_schema_function(sqlite3* db);

/// Stores (or, with nullopt, removes) `name`'s schema inside the caller's
/// transaction; `s` comes from parse_collection_schema (which compiled and
/// bounded its rule). Returns what is wrong, or "".
std::string set_collection_schema(sqlite_db& db, const std::string& name,
                                  const std::optional<collection_schema>& s);

/// `name`'s schema, if it has one.
std::optional<collection_schema>
load_collection_schema(sqlite_db& db, const std::string& name);

/// Every refusal's message starts so, unless the schema has a message.
inline constexpr std::string_view schema_error_text =
  "document does not match the collection schema";

/// If `sqlite_message` holds the check's refusal, the message to answer
/// with (without the SQLSTATE prefix the SQL front-end reads); else empty.
std::string schema_refusal(std::string_view sqlite_message);

/// True if an op_result's message is a schema refusal (schema_refusal's
/// output): for front-ends with a code of their own for it.
bool is_schema_refusal(std::string_view message);

} // namespace themis::engine
