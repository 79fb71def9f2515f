#pragma once
/// JSON Schema (draft 7 keywords, valijson) compiled once and run many
/// times: the request validator's route schemas (handlers/
/// request_validation) and the per-collection schemas users upload
/// (engine/collection_schema). The second are written by any
/// authenticated user, so `untrusted` compilation bounds them first:
/// size and nesting before any recursion, no `$ref` (a reference cycle
/// would recurse forever, as MongoDB's $jsonSchema leaves it out too), and
/// the keywords valijson runs on std::regex or in quadratic time —
/// `pattern`, `format`, `uniqueItems` — replaced by our own (RE2, linear
/// scanners, sorting), so no document can make the writer recurse per
/// character or spin.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace themis::engine {

/// Bounds of an untrusted schema.
struct schema_limits {
  size_t max_bytes = 64 * 1024; ///< of the schema's JSON text
  size_t max_depth = 32;        ///< nesting of the schema's JSON
  size_t max_pattern_bytes = 1024;
};

class json_schema {
public:
  struct impl;
  ~json_schema();
  json_schema(const json_schema&) = delete;
  json_schema& operator=(const json_schema&) = delete;

  /// A trusted schema (the server's own): throws std::invalid_argument
  /// with valijson's reason when it is not one.
  static std::shared_ptr<const json_schema>
  compile_trusted(const nlohmann::json& source);

  /// A user's schema: nullptr with `error` set (what is wrong, with the
  /// JSON Pointer of the offending keyword) when it breaks the limits,
  /// uses an unsupported keyword, or does not compile.
  static std::shared_ptr<const json_schema>
  compile_untrusted(const nlohmann::json& source, const schema_limits& limits,
                    std::string& error);

  /// Violations of `value`, at most `max`: {"in", "pointer", "detail"}
  /// entries (`in` as given: "body", "query", "document"), leaves first
  /// (valijson's "failed to validate against schema …" parents only when
  /// nothing more specific is known). Empty: valid.
  nlohmann::json violations(const nlohmann::json& value, const char* in,
                            size_t max) const;

  const nlohmann::json& source() const;

private:
  explicit json_schema(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// valijson's context (["<root>", "[a]", "[0]"]) as a JSON Pointer
/// fragment ("#/a/0"), each token escaped (RFC 6901).
std::string pointer_of(const std::vector<std::string>& context);

} // namespace themis::engine
