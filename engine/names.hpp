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

/// 1–254 characters of [A-Za-z0-9_-:.@()+,=;$!*'%]; no '/'.
bool valid_key(std::string_view key);

/// A fresh, unique, roughly time-ordered key (hex time + counter + random).
std::string generate_key();

} // namespace themis::engine
