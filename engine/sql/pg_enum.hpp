#pragma once
/// Enum types (CREATE TYPE … AS ENUM). Their definitions live in the
/// catalog; this process-wide registry lets the type functions that see
/// only an OID (input checks, names in errors and format_type) know the
/// labels. Entries are updated when a catalog is loaded, never removed
/// (a dropped type's OID is simply no longer used).

#include <cstdint>
#include <string>
#include <vector>

#include "engine/sql/sql_types.hpp"

namespace themis::sql {

/// The OID of enum type `stored_name`.
uint32_t enum_oid(const std::string& stored_name);
void enum_registry_set(uint32_t oid, const std::string& display_name,
                       const std::vector<std::string>& labels);
bool is_enum_type(uint32_t oid);
/// The type's name (as its namespace sees it), or "" if unknown.
std::string enum_type_name(uint32_t oid);
/// The same as a C string that lives as long as the process (for
/// type_name()); null if unknown.
const char* enum_type_cname(uint32_t oid);
/// The oid of the enum a namespace calls `name` (0: none; the first
/// match when tenants use the same name).
uint32_t enum_oid_by_name(const std::string& name);
/// `v` as a label of enum `oid`, else 22P02.
value enum_in(const value& v, uint32_t oid);

} // namespace themis::sql
