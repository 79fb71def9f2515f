#pragma once
/// Helpers shared by the text codecs (pg_types.cpp) and the binary codecs
/// (pg_binary.cpp). Not for use outside engine/sql.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/sql/sql_types.hpp"

namespace themis::sql::detail {

/// Raw bytes → bytea hex text ("\x00ff"), the form bytea is stored in.
std::string to_hex(std::string_view raw);
/// One hex digit's value, -1 if `c` is none.
int hexval(char c);
/// bytea text input (hex "\x…" or escape format) → raw bytes; 22P02.
std::string bytea_raw(std::string_view text);
/// Any uuid spelling → lower-case 8-4-4-4-12; 22P02.
std::string uuid_canon(std::string_view text);
/// A stored value's text (integers, shortest doubles, blobs as bytea hex).
std::string text_of(const value& v);
/// Any stored value of a float type (`oid` names it in errors) as a double.
double float_of(const value& v, uint32_t oid);

} // namespace themis::sql::detail
