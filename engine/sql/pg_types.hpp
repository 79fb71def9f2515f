#pragma once
/// PostgreSQL types as the SQL layer knows them: OIDs, names, how each is
/// stored in a document (JSON) and in SQLite, and the text and binary wire
/// formats of values of each type.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/sql/sql_types.hpp"

namespace themis::sql {

namespace oid {
constexpr uint32_t boolean = 16, bytea = 17, name = 19, int8 = 20, int2 = 21,
                   int4 = 23, text = 25, oid_t = 26, json = 114, float4 = 700,
                   float8 = 701, unknown = 705, bpchar = 1042, varchar = 1043,
                   date = 1082, time = 1083, timestamp = 1114,
                   timestamptz = 1184, numeric = 1700, uuid = 2950,
                   jsonb = 3802, int4_array = 1007, text_array = 1009,
                   name_array = 1003, oid_array = 1028, char_t = 18,
                   regproc = 24, regclass = 2205, regtype = 2206,
                   int2vector = 22;
/// Array types (pg_array.cpp): each element type's array OID.
constexpr uint32_t bool_array = 1000, bytea_array = 1001, char_array = 1002,
                   int2_array = 1005, regproc_array = 1008, bpchar_array = 1014,
                   varchar_array = 1015, int8_array = 1016, float4_array = 1021,
                   float8_array = 1022, timestamp_array = 1115,
                   date_array = 1182, time_array = 1183,
                   timestamptz_array = 1185, numeric_array = 1231,
                   json_array = 199, jsonb_array = 3807, uuid_array = 2951,
                   regclass_array = 2210, regtype_array = 2211, oidvector = 30;
} // namespace oid

/// The OID of a type name as written in SQL ("int", "varchar", "timestamp
/// with time zone", "serial" → int4 …); 0 if unknown.
uint32_t type_by_name(std::string_view name);
/// The canonical PostgreSQL name (for catalogs and messages).
const char* type_name(uint32_t oid);
/// Bytes of a fixed-size type, -1 for variable length.
int16_t type_len(uint32_t oid);

enum class affinity { integer, real, numeric, text, json, blob };
/// How SQLite holds a column of this type.
affinity affinity_of(uint32_t oid);
/// The SQLite CAST target of an affinity ("INTEGER", "REAL" …).
const char* cast_name(affinity a);

/// Converts `v` (text from a client, or any SQLite value) to the stored
/// form of `oid`; throws sql_error 22P02/22003/22007 on bad input.
value coerce(const value& v, uint32_t oid);

/// A double as stored: SQLite has no NaN (it binds as NULL) and JSON no
/// infinities, so those are held as the text "NaN", "Infinity",
/// "-Infinity" (column_expr reads them back).
value float_value(double d);

/// Text wire format of a stored value of type `oid`.
std::string to_text(const value& v, uint32_t oid);
/// Binary wire format (pg_binary.cpp); throws sql_error 42883 for a type
/// without one.
std::string to_binary(const value& v, uint32_t oid);
/// A parameter in binary wire format → the stored form its text would
/// have (bytea: hex text). Malformed bytes or a type without a binary form
/// throw sql_error 22P03 (22021 invalid UTF-8, 22008 dates out of range).
value from_binary(std::string_view bytes, uint32_t oid);

} // namespace themis::sql
