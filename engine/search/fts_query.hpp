#pragma once
/// The full-text query language of /search/fulltext and FULLTEXT(),
/// translated into an FTS5 MATCH expression that FTS5 always accepts:
/// users never write FTS5 syntax directly, so its parser errors (which
/// SQLite reports as generic errors) cannot reach them as 500s.
///
///   words          machine learning      (implicit AND)
///   phrases        "deep learning"
///   prefixes       optim*
///   boolean        a AND b, a OR b, a NOT b   (upper-case operators)
///   grouping       (a OR b) AND c
///
/// Every word becomes an FTS5 string ("word", quotes doubled), so column
/// filters, NEAR and other FTS5 operators are plain words here.

#include <string>
#include <string_view>

namespace themis::search {

inline constexpr size_t max_query_bytes = 4096;
inline constexpr size_t max_query_terms = 64;
inline constexpr size_t max_query_depth = 16;

struct fts_translation {
  std::string match; ///< the FTS5 expression ("" on error)
  std::string error; ///< why the query is invalid (for a 400)
};

fts_translation translate_fts_query(std::string_view query);

} // namespace themis::search
