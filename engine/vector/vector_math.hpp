#pragma once
/// Pure vector helpers shared by the HNSW index, the REST handlers and the
/// AQL functions: metric names, distances and the validation of vectors
/// that arrive as JSON (hostile input: wrong dimension, NaN, non-numbers).

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace themis::vector {

enum class metric { cosine, l2, inner_product };

/// Hard bounds: a tenant may not make the server allocate without limit.
inline constexpr size_t max_dimension = 4096;
inline constexpr size_t max_k = 10000;

/// "cosine" | "l2" | "euclidean" | "ip" | "inner_product" | "dot"
/// (case-insensitive); nullopt for anything else.
std::optional<metric> parse_metric(std::string_view name);
std::string_view metric_name(metric m);

/// Distance as the API reports it (smaller is closer):
/// cosine: 1 - cos(a, b) (in [0, 2]; 1 when either vector is zero);
/// l2: Euclidean distance; inner_product: -dot(a, b).
/// Requires a.size() == b.size().
float distance(metric m, std::span<const float> a, std::span<const float> b);

/// Similarity score as the API reports it (larger is closer):
/// cosine: 1 - distance; l2: 1 / (1 + distance); inner_product: dot.
float score_of(metric m, float distance);

/// Normalises `v` to unit length in place (zero vectors stay zero).
void normalize(std::span<float> v);

/// Reads a JSON array of numbers as float32. `expected_dim` 0 accepts any
/// length from 1 to max_dimension. Returns "" on success, else the reason
/// (for a 400): not an array, empty, too long, wrong dimension, an element
/// that is not a number, NaN/Infinity or outside the float32 range.
std::string parse_vector(const nlohmann::json& j, size_t expected_dim,
                         std::vector<float>& out);

} // namespace themis::vector
