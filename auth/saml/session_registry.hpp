#pragma once
/// Which themisd token families a SAML session (the IdP's NameID and
/// SessionIndex) started, so that the IdP's LogoutRequest can revoke
/// them. An entry lives as long as its tokens (afterwards there is
/// nothing to revoke); bounded: when full, the entry closest to expiry
/// goes first. Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace themis::auth::saml {

class session_registry {
public:
  explicit session_registry(size_t max_entries) : max_(max_entries) {}

  void add(const std::string& name_id, const std::string& session_index,
           const std::string& family, int64_t until_s, int64_t now_s);
  /// Removes and returns the families of `name_id`'s session
  /// `session_index` (every session of `name_id` when it is empty).
  std::vector<std::string> take(const std::string& name_id,
                                const std::string& session_index,
                                int64_t now_s);
  /// Forgets `family` (the user logged out through themisd).
  void forget(const std::string& family);
  size_t size() const;

private:
  struct entry {
    std::string name_id, session_index, family;
    int64_t until_s = 0;
  };
  void sweep(int64_t now_s); ///< with mtx_ held

  mutable std::mutex mtx_;
  std::multimap<int64_t, entry> by_expiry_;
  size_t max_;
};

} // namespace themis::auth::saml
