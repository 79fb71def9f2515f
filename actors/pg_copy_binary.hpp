#pragma once
/// COPY's binary format (issue 36; psycopg 3's `COPY … (FORMAT BINARY)`,
/// asyncpg's copy_records_to_table): the PGCOPY signature, a flags word
/// and a header extension, then tuples of (int16 field count, int32
/// length or -1, the field's binary wire form), ended by an int16 -1.

#include <string>
#include <string_view>
#include <vector>

#include "engine/sql/sql_types.hpp"

namespace themis::pgcopy {

/// The 19-byte file header (signature, flags 0, no extension).
std::string binary_header();
/// One tuple of a row whose columns have the types `oids`.
std::string binary_tuple(const std::vector<sql::value>& row,
                         const std::vector<uint32_t>& oids);
/// The trailer: a field count of -1.
std::string binary_trailer();

/// Decodes the complete tuples of `buf` from `pos` into `rows` (values of
/// the parameter types `oids`), advancing `pos`; the header is checked
/// first unless `header_done`. `final`: the data ended (CopyDone), so a
/// partial tuple or header is an error (22P04) instead of waiting for
/// more. Sets `ended` at the trailer (what follows is ignored).
void parse_binary(std::string_view buf, size_t& pos, bool final,
                  bool& header_done, bool& ended,
                  const std::vector<uint32_t>& oids,
                  std::vector<std::vector<sql::value>>& rows);

} // namespace themis::pgcopy
