#pragma once
/// Catalog functions whose answer is derived from the live catalog at
/// translation time (issue 36): pg_get_serial_sequence, …; each returns a
/// SQLite expression over its (already translated) arguments.

#include <optional>
#include <string>
#include <utility>

#include "engine/sql/sql_catalog.hpp"

namespace themis::sql {

/// pg_get_serial_sequence(table, column): 'public.<t>_<c>_seq' for a
/// serial column, else NULL. `table` may be a name, schema.name or the
/// table's oid as text (attrelid::regclass::text).
std::pair<std::string, uint32_t> serial_sequence_sql(const catalog& cat,
                                                     const std::string& table,
                                                     const std::string& column);

/// The oid of a relation that is not a table: a pg_catalog relation
/// (pg_class 1259 …, as pg_dump and Alembic write 'pg_class'::regclass),
/// an index or a serial's sequence; nullopt if none.
std::optional<uint32_t> relation_oid(const catalog& cat,
                                     const std::string& name);

} // namespace themis::sql
