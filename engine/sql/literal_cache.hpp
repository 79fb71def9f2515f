#pragma once
/// Simple-protocol queries that differ only in their integer literals
/// (pgbench sends `UPDATE … SET abalance = abalance + -4211 WHERE aid =
/// 87123;` with new numbers every time) share one translation: the
/// literals become SQLite parameters, so neither libpg_query, the
/// translator nor SQLite's compiler run again, and the compiled SQLite
/// statement is reused. A query's shape is learnt once by translating it
/// twice, with its own literals and with distinct probe values: the shape
/// is cached only if the two translations agree on everything but the
/// literals themselves, each of which appears verbatim where the probe
/// does. Literals whose value decides the translation (ORDER BY 2, a type
/// modifier, an array subscript) fail that check, or are never lifted,
/// and the query is translated every time as before.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/sql/translator.hpp"

namespace themis::sql {

/// A query text with its integer literals taken out.
struct lifted_query {
  std::string key;             ///< the text with each literal as a marker
  std::vector<int64_t> values; ///< the literals, in order
  std::string probe;           ///< the text with distinct probe values
  std::vector<int64_t> probes;
};

/// Splits `sql` (one statement: SELECT, INSERT, UPDATE, DELETE or WITH);
/// false if it has no liftable literal or anything the scanner does not
/// follow (comments in /* */, dollar quotes, E'' strings, parameters,
/// several statements).
bool lift_integer_literals(std::string_view sql, lifted_query& out);

/// The SQLite text of `original` with each literal replaced by `?N` (N:
/// the literal's position, 1-based), if `probe` (the same query with
/// `q.probes`) differs from it only in those literals; nullopt otherwise.
std::optional<std::string> literal_template(const statement& original,
                                            const statement& probe,
                                            const lifted_query& q);

/// One session's learnt shapes.
class literal_cache {
public:
  struct entry {
    bool ok = false;          ///< false: this shape is not cacheable
    statement st;             ///< `sql` is the template
    uint64_t epoch = 0;       ///< the catalog it was translated against
    uint64_t fingerprint = 0; ///< the session settings it was translated with
  };
  /// The entry for `key` if it was learnt under `epoch` and `fingerprint`.
  const entry* find(const std::string& key, uint64_t epoch,
                    uint64_t fingerprint) const;
  void put(const std::string& key, entry e);

  static constexpr size_t capacity = 256;

private:
  std::unordered_map<std::string, entry> entries_;
};

/// A fingerprint of what a translation depends on besides the catalog.
uint64_t session_fingerprint(const session_info& info);

} // namespace themis::sql
