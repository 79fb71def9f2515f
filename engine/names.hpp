#pragma once
/// Rules for collection names and document keys, and key generation.

#include <string>
#include <string_view>

namespace themis::engine {

/// 1–64 characters of [A-Za-z0-9_-], not starting with '-'.
bool valid_collection_name(std::string_view name);

/// What the store accepts: a user-facing name, or a tenant's
/// "tenant.name" (themis/principal.hpp). Front-ends check user input with
/// valid_collection_name, so only the tenant mapping makes dotted names.
bool valid_stored_collection_name(std::string_view name);

/// ThemisDB's dotted table names ("relational.default.users", as its SDKs
/// build them from model, namespace and collection) as one collection:
/// the segments joined by "__" ("relational__default__users"), a name SQL
/// and AQL use unquoted and that cannot meet a tenant prefix (which is a
/// '.'). A name without dots is itself. "" if a segment is not a valid
/// collection name, holds "__" or ends in '_' (so the mapping is one to
/// one and `themisdb_table_of` inverts it), or the result is too long.
std::string collection_of_themisdb_table(std::string_view table);
/// The inverse: "relational__default__users" → "relational.default.users".
std::string themisdb_table_of(std::string_view collection);

/// 1–254 characters of [A-Za-z0-9_-:.@()+,=;$!*'%]; no '/'.
bool valid_key(std::string_view key);

/// A fresh, unique, roughly time-ordered key (hex time + counter + random).
std::string generate_key();

} // namespace themis::engine
