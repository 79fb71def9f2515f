#pragma once
/// PostgreSQL arrays (issue 36). Inside SQLite and in documents an array is
/// a JSON array (nested for several dimensions, elements in their stored
/// form: numbers, true/false, strings, null), so REST and AQL see a JSON
/// array; on the wire it is PostgreSQL's array_out / array_in text and
/// array_send / array_recv binary. Lower bounds are always 1 (a literal
/// with other bounds is refused, 0A000); at most 6 dimensions (MAXDIM).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sql/sql_types.hpp"

namespace themis::sql {

/// PostgreSQL's MAXDIM.
constexpr int max_array_dims = 6;

/// Every array type (and int2vector, oidvector), for pg_type.
const std::vector<uint32_t>& array_types();
/// The array type of element type `elem`; 0 if it has none here.
uint32_t array_type_of(uint32_t elem);
/// The element type of array type `arr` (int2vector: int2, oidvector:
/// oid); 0 if `arr` is not an array type.
uint32_t element_type_of(uint32_t arr);
inline bool is_array_type(uint32_t o) {
  return element_type_of(o) != 0;
}
/// format_type's name ("integer[]") and pg_type.typname ("_int4").
const char* array_type_name(uint32_t arr);
const char* array_short_name(uint32_t arr);
/// "_int4" / "int4[]"-less spellings: the array type named by a
/// pg_type.typname beginning with '_'; 0 if none.
uint32_t array_type_by_short_name(std::string_view name);

/// An array value as its JSON tree with every element in its stored form
/// for `elem`: from the canonical JSON, any JSON array, or PostgreSQL's
/// text input (quoting, NULL, dimension decoration). Throws 22P02
/// `malformed array literal` with PostgreSQL's detail, 54000 past 6
/// dimensions, the element type's own input errors.
nlohmann::json array_tree(const value& v, uint32_t elem);
/// The canonical stored form (minified JSON text) of a tree.
std::string array_json(const nlohmann::json& tree);
/// coerce() for array types: the canonical JSON text.
value array_coerce(const value& v, uint32_t arr);
/// array_out: `{1,2}`, `{"a b",NULL,"\"q\""}`, `{{1,2},{3,4}}`.
std::string array_to_text(const value& v, uint32_t arr);
/// array_send / array_recv (ndim, has-null flag, element OID, dims with
/// lower bounds, then elements in the element type's binary format).
std::string array_to_binary(const value& v, uint32_t arr);
value array_from_binary(std::string_view bytes, uint32_t arr);

/// One element: stored value ↔ JSON.
nlohmann::json element_json(const value& stored, uint32_t elem);
value element_value(const nlohmann::json& j);

/// The dimensions of a (rectangular) tree; empty for an empty array.
std::vector<int64_t> array_dims(const nlohmann::json& tree);

namespace array_detail { // pg_array.cpp, pg_array_in.cpp
[[noreturn]] void too_many_dims(size_t n);
bool space(char c);
/// PostgreSQL's array text input → the tree (elements converted).
nlohmann::json parse_array_literal(std::string_view text, uint32_t elem);
} // namespace array_detail

} // namespace themis::sql
