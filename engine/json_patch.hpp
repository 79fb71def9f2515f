#pragma once
/// JSON Patch (RFC 6902) over JSON Pointers (RFC 6901), as a pure function
/// (issue 22, documents PATCH with application/json-patch+json). The patch
/// is applied to a copy: a failing operation leaves the document as it
/// was (all operations or none). Depth and size are checked before any
/// walk: the document never grows past limits.max_json_depth levels nor
/// past `max_growth` values more than it had, so a patch that copies a document
/// into itself over and over ends in an error, not in exhausted memory or
/// stack.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace themis::engine {

struct json_patch_limits {
  size_t max_ops = 1000; ///< operations in one patch
  /// Values the patched document may hold beyond the original's: copies
  /// are the only amplification (the patch's own values are bounded by
  /// the body size), and a large document stays patchable.
  size_t max_growth = 1u << 17;
  size_t max_depth = 0; ///< 0: limits.max_json_depth
};

enum class json_patch_status {
  ok,
  malformed,   ///< not an array of operation objects (HTTP 400)
  bad_pointer, ///< a pointer that is not RFC 6901 syntax (HTTP 400)
  unresolved,  ///< a pointer naming nothing, or no parent (HTTP 422)
  test_failed, ///< a `test` operation did not hold (HTTP 409)
  too_large,   ///< over max_ops, max_growth or the depth limit (HTTP 422)
};

struct json_patch_result {
  json_patch_status status = json_patch_status::ok;
  size_t op_index = 0; ///< the failing operation (when status != ok)
  std::string message; ///< names the operation and the pointer
  bool ok() const { return status == json_patch_status::ok; }
};

/// The reference tokens of an RFC 6901 pointer ("" → none; "/a~1b/~0" →
/// {"a/b", "~"}); nullopt if it is not a pointer (no leading '/', or a '~'
/// not followed by 0 or 1).
std::optional<std::vector<std::string>> parse_json_pointer(std::string_view p);

/// Applies `patch` (an RFC 6902 array) to `doc`. On success `doc` is the
/// patched value; on any failure it is unchanged.
json_patch_result apply_json_patch(nlohmann::json& doc,
                                   const nlohmann::json& patch,
                                   const json_patch_limits& limits = {});

/// The HTTP status for a failure: 400, 409 or 422.
int http_status_of(json_patch_status s);

} // namespace themis::engine
