#include "engine/vector/vector_math.hpp"

#include <cctype>
#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace themis::vector {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

double dot(std::span<const float> a, std::span<const float> b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += static_cast<double>(a[i]) * b[i];
  return s;
}

} // namespace

std::optional<metric> parse_metric(std::string_view name) {
  if (iequals(name, "cosine"))
    return metric::cosine;
  if (iequals(name, "l2") || iequals(name, "euclidean"))
    return metric::l2;
  if (iequals(name, "ip") || iequals(name, "inner_product") ||
      iequals(name, "dot"))
    return metric::inner_product;
  return std::nullopt;
}

std::string_view metric_name(metric m) {
  switch (m) {
    case metric::cosine:
      return "cosine";
    case metric::l2:
      return "l2";
    case metric::inner_product:
      return "inner_product";
  }
  return "cosine";
}

float distance(metric m, std::span<const float> a, std::span<const float> b) {
  switch (m) {
    case metric::l2: {
      double s = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        double d = static_cast<double>(a[i]) - b[i];
        s += d * d;
      }
      return static_cast<float>(std::sqrt(s));
    }
    case metric::inner_product:
      return static_cast<float>(-dot(a, b));
    case metric::cosine: {
      double na = dot(a, a), nb = dot(b, b);
      if (na == 0 || nb == 0)
        return 1.0f;
      return static_cast<float>(1.0 - dot(a, b) / std::sqrt(na * nb));
    }
  }
  return 0;
}

float score_of(metric m, float d) {
  switch (m) {
    case metric::cosine:
      return 1.0f - d;
    case metric::l2:
      return 1.0f / (1.0f + d);
    case metric::inner_product:
      return -d;
  }
  return 0;
}

void normalize(std::span<float> v) {
  double n = 0;
  for (float x : v)
    n += static_cast<double>(x) * x;
  if (n == 0)
    return;
  double inv = 1.0 / std::sqrt(n);
  for (float& x : v)
    x = static_cast<float>(x * inv);
}

std::string parse_vector(const nlohmann::json& j, size_t expected_dim,
                         std::vector<float>& out) {
  out.clear();
  if (!j.is_array())
    return "the vector must be an array of numbers";
  if (j.empty())
    return "the vector is empty";
  if (j.size() > max_dimension)
    return "the vector has " + std::to_string(j.size()) +
           " elements; the limit is " + std::to_string(max_dimension);
  if (expected_dim != 0 && j.size() != expected_dim)
    return "the vector has dimension " + std::to_string(j.size()) +
           "; the index expects " + std::to_string(expected_dim);
  out.reserve(j.size());
  constexpr double fmax = std::numeric_limits<float>::max();
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    if (!e.is_number())
      return "vector element " + std::to_string(i) + " is not a number";
    double d = e.get<double>();
    if (!std::isfinite(d) || d > fmax || d < -fmax)
      return "vector element " + std::to_string(i) +
             " is not a finite float32 number";
    out.push_back(static_cast<float>(d));
  }
  return {};
}

} // namespace themis::vector
