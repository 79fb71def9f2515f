#pragma once
/// The definition of a search index (vector or full-text) on one attribute
/// of one collection, as a tenant gives it over REST and as the search
/// service persists it. Pure: parsing and validation only.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/vector/vector_math.hpp"

namespace themis::search {

enum class index_kind { vector, fulltext };

/// Bounds on what one definition may ask for (hostile tenants).
inline constexpr size_t max_m = 64;
inline constexpr size_t max_ef = 10000;
inline constexpr size_t default_max_elements = 1'000'000;
/// max_elements × dimension: the floats one index may hold (4 GiB).
inline constexpr uint64_t max_index_floats = uint64_t{1} << 30;
inline constexpr size_t max_attribute_bytes = 256;

struct index_def {
  uint64_t id = 0;  ///< names the FTS5 table / the index files
  std::string name; ///< unique per collection
  index_kind kind = index_kind::vector;
  std::string collection; ///< the engine's (tenant-qualified) name
  std::string attribute;  ///< "field" or a dotted path "a.b"
  // vector
  size_t dimension = 0;
  vector::metric metric = vector::metric::cosine;
  size_t m = 16;
  size_t ef_construction = 200;
  size_t ef_search = 64;
  size_t max_elements = default_max_elements;
  // full-text
  std::string tokenizer = "unicode61"; ///< unicode61 | porter | trigram
};

/// Reads a definition from a request body. Accepts themisd's shape
/// `{"type":"vector"|"fulltext","field"|"attribute":…,"name",…}` and
/// ThemisDB's `/index/create` shape `{"table","column","type","config":{…}}`
/// (config keys: dimension, metric, M, efConstruction|ef_construction,
/// efSearch|ef_search, max_elements, tokenizer, stemming_enabled,
/// language). `collection` is filled by the caller. Returns "" or the
/// reason for a 400.
std::string parse_index_def(const nlohmann::json& body, index_def& out);

/// The definition as the API shows it (collection as `shown`).
nlohmann::json to_json(const index_def& d, const std::string& shown);

/// Persisted form (every field, the stored collection name).
nlohmann::json to_storage(const index_def& d);
std::optional<index_def> from_storage(const nlohmann::json& j);

/// The attribute's value in a document ("a.b" walks objects); null when
/// any step is missing or not an object.
const nlohmann::json* attribute_of(const nlohmann::json& doc,
                                   const std::string& path);

/// Whether `path` is a usable attribute path (non-empty segments of
/// printable characters, bounded length, no system attribute).
bool valid_attribute(const std::string& path);

} // namespace themis::search
