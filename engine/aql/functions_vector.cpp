/// Vector and full-text AQL functions (issue 32):
///   VECTOR_DISTANCE(a, b[, metric])  distance of two vectors (cosine
///                                    default; "l2", "inner_product")
///   COSINE_SIMILARITY(a, b)          1 - cosine distance
///   APPROX_NEAR(collection, attribute, vector, k)
///   FULLTEXT(collection, attribute, query[, limit])
/// The last two are index-backed: they return up to k / limit objects
/// {doc, distance, score} / {doc, score}, best first, read from the
/// query's snapshot (functions_search.cpp).

#include <cmath>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions_impl.hpp"
#include "engine/vector/vector_math.hpp"

namespace themis::aql::fn {

// index-backed, in functions_search.cpp
json approx_near(args_t& args);
json fulltext(args_t& args);

namespace {

std::vector<float> vec_arg(const args_t& args, size_t i, size_t dim,
                           const char* fname) {
  std::vector<float> v;
  auto why = vector::parse_vector(arg(args, i), dim, v);
  if (!why.empty())
    throw aql_error(error_kind::runtime, std::string(fname) + "(): argument " +
                                           std::to_string(i + 1) + ": " + why);
  return v;
}

vector::metric metric_arg(const args_t& args, size_t i, const char* fname) {
  const json& m = arg(args, i);
  if (m.is_null())
    return vector::metric::cosine;
  auto parsed =
    m.is_string() ? vector::parse_metric(m.get<std::string>()) : std::nullopt;
  if (!parsed)
    throw aql_error(error_kind::runtime,
                    std::string(fname) +
                      "(): the metric must be \"cosine\", \"l2\" or "
                      "\"inner_product\"");
  return *parsed;
}

json vector_distance(args_t& args) {
  auto a = vec_arg(args, 0, 0, "VECTOR_DISTANCE");
  auto b = vec_arg(args, 1, a.size(), "VECTOR_DISTANCE");
  return vector::distance(metric_arg(args, 2, "VECTOR_DISTANCE"), a, b);
}

json cosine_similarity(args_t& args) {
  auto a = vec_arg(args, 0, 0, "COSINE_SIMILARITY");
  auto b = vec_arg(args, 1, a.size(), "COSINE_SIMILARITY");
  return 1.0f - vector::distance(vector::metric::cosine, a, b);
}

json l2_distance(args_t& args) {
  auto a = vec_arg(args, 0, 0, "L2_DISTANCE");
  auto b = vec_arg(args, 1, a.size(), "L2_DISTANCE");
  return vector::distance(vector::metric::l2, a, b);
}

constexpr entry table[] = {
  {"APPROX_NEAR", {4, 4}, approx_near},
  {"COSINE_SIMILARITY", {2, 2}, cosine_similarity},
  {"FULLTEXT", {3, 4}, fulltext},
  {"L2_DISTANCE", {2, 2}, l2_distance},
  {"VECTOR_DISTANCE", {2, 3}, vector_distance},
};

} // namespace

std::span<const entry> vector_functions() {
  return table;
}

} // namespace themis::aql::fn
