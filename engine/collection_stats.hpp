#pragma once
/// A collection's properties and statistics (issue 22, GET
/// /api/v1/collections/{c}/properties and /statistics), read on a
/// connection the caller owns (a short-lived read-only one: no writer
/// round trip). Index sizes come from SQLite's dbstat table, so the cost
/// of /statistics grows with the size of the collection's indexes.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace themis::engine {

class sqlite_db;

/// {"type", "created_ms", "edge", "indexes": n}; nullopt if there is no
/// such (stored) collection.
std::optional<nlohmann::json> collection_properties(sqlite_db& db,
                                                    const std::string& stored);

/// {"count", "documents_bytes", "last_sequence", "indexes": [{"name",
/// "type", "entries", "bytes", "pages"}]}; nullopt if there is no such
/// collection. `last_sequence` is the newest change-log event of the
/// collection still in the log (0: none; retention may have removed it).
std::optional<nlohmann::json> collection_statistics(sqlite_db& db,
                                                    const std::string& stored);

} // namespace themis::engine
