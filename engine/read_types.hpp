#pragma once
/// Results of reads: documents and change-log events.

#include <cstdint>
#include <string>

namespace themis::engine {

struct document {
  std::string key;
  std::string rev;
  std::string json; ///< full document including _key and _rev
};

struct change_event {
  uint64_t sequence = 0;
  std::string type; ///< PUT | DELETE
  std::string collection;
  std::string key;
  std::string value; ///< document JSON for PUT, empty for DELETE
  int64_t timestamp_ms = 0;

  /// A transaction marker (TRANSACTION_COMMIT / TRANSACTION_ROLLBACK), not
  /// a document change: its collection is "" or a tenant prefix "t.".
  bool is_marker() const { return type != "PUT" && type != "DELETE"; }
};

struct collection_info {
  std::string name;
  int64_t count = 0;
  std::string type = "document"; ///< or "edge" (engine/edge_validation.hpp)
};

} // namespace themis::engine
