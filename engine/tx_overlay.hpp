#pragma once
/// An open HTTP transaction's staged writes as queries inside it see them
/// (read-your-writes): per stored collection, per key, the document as it
/// will be committed, or nothing for a staged delete. Plain data, read by
/// the AQL executor while the transaction's owner waits for the query.

#include <map>
#include <optional>
#include <string>

namespace themis::engine {

struct tx_overlay {
  /// stored collection → key → document JSON (with _key and _rev), or
  /// nullopt for a key the transaction deletes
  std::map<std::string, std::map<std::string, std::optional<std::string>>> docs;

  /// The staged state of one key: nullptr if the transaction has not
  /// touched it.
  const std::optional<std::string>* find(const std::string& collection,
                                         const std::string& key) const {
    auto c = docs.find(collection);
    if (c == docs.end())
      return nullptr;
    auto k = c->second.find(key);
    return k == c->second.end() ? nullptr : &k->second;
  }
  const std::map<std::string, std::optional<std::string>>*
  collection(const std::string& name) const {
    auto c = docs.find(name);
    return c == docs.end() ? nullptr : &c->second;
  }
};

} // namespace themis::engine
