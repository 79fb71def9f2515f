/// themis_vector_distance(a, b [, metric]): SQL's vector_distance,
/// l2_distance, cosine_distance, inner_product and pgvector's <-> <=> <#>
/// (translate_vector.cpp), computed on the two vectors (brute force).

#include <sqlite3.h>

#include <string>
#include <vector>

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_vector_value.hpp"
#include "engine/vector/vector_math.hpp"

namespace themis::sql {

namespace {

std::string text_of(sqlite3_value* v) {
  auto p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return std::string(p ? p : "", static_cast<size_t>(sqlite3_value_bytes(v)));
}

/// themis_vector_distance(a, b, metric): NULL if a or b is NULL.
void fn_vector_distance(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL ||
      sqlite3_value_type(argv[1]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  std::vector<float> a, b;
  if (auto why = parse_sql_vector(text_of(argv[0]), 0, a); !why.empty())
    return result_error(ctx, "22023", "invalid vector: " + why);
  if (auto why = parse_sql_vector(text_of(argv[1]), 0, b); !why.empty())
    return result_error(ctx, "22023", "invalid vector: " + why);
  if (a.size() != b.size())
    return result_error(ctx, "22023",
                        "different vector dimensions " +
                          std::to_string(a.size()) + " and " +
                          std::to_string(b.size()));
  auto m = vector::metric::cosine;
  if (argc > 2 && sqlite3_value_type(argv[2]) != SQLITE_NULL) {
    auto parsed = vector::parse_metric(text_of(argv[2]));
    if (!parsed)
      return result_error(ctx, "22023",
                          "unknown metric \"" + text_of(argv[2]) +
                            "\": use cosine, l2 or inner_product");
    m = *parsed;
  }
  sqlite3_result_double(ctx, vector::distance(m, a, b));
}

} // namespace

void register_vector_distance(sqlite3* db) {
  for (int n : {2, 3})
    sqlite3_create_function_v2(db, "themis_vector_distance", n,
                               SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                               fn_vector_distance, nullptr, nullptr, nullptr);
}

} // namespace themis::sql
