#pragma once
/// An index of topic filters by level, so routing a PUBLISH visits only
/// the filters that can match its topic instead of every subscription
/// (the structure mosquitto and EMQX use). Values are client ids; one
/// client may hold several filters. A filter may have 32,768 levels (a
/// 64 KiB filter of '/'), so nothing here recurses per level: matching
/// keeps its own worklist and the nodes are freed from one.

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace themis::mqtt {

class sub_tree {
public:
  sub_tree() = default;
  sub_tree(sub_tree&& other) noexcept;
  sub_tree& operator=(sub_tree&& other) noexcept;
  ~sub_tree() { clear(); }

  void add(std::string_view filter, const std::string& client);
  void remove(std::string_view filter, const std::string& client);
  /// Calls `f(client)` for every (filter, client) whose filter matches
  /// `topic` (a client with two matching filters is reported twice).
  void match(std::string_view topic,
             const std::function<void(const std::string&)>& f) const;
  size_t size() const { return size_; }
  /// Removes every filter.
  void clear() noexcept;

private:
  struct node {
    std::map<std::string, std::unique_ptr<node>, std::less<>> children;
    std::set<std::string> clients; ///< filters ending at this node
    bool empty() const { return children.empty() && clients.empty(); }
  };
  node root_;
  size_t size_ = 0;
};

} // namespace themis::mqtt
