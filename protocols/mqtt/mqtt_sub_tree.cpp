#include "protocols/mqtt/mqtt_sub_tree.hpp"

#include <vector>

namespace themis::mqtt {

namespace {

/// The first level of `s` and what follows its '/' (npos-safe).
std::string_view first_level(std::string_view s, std::string_view& rest,
                             bool& last) {
  auto slash = s.find('/');
  last = slash == std::string_view::npos;
  rest = last ? std::string_view{} : s.substr(slash + 1);
  return s.substr(0, slash);
}

} // namespace

sub_tree::sub_tree(sub_tree&& other) noexcept :
  root_(std::move(other.root_)), size_(other.size_) {
  other.size_ = 0;
}

sub_tree& sub_tree::operator=(sub_tree&& other) noexcept {
  if (this != &other) {
    clear();
    root_ = std::move(other.root_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

void sub_tree::clear() noexcept {
  // each node is freed childless, so no destructor recurses down a chain
  std::vector<std::unique_ptr<node>> pending;
  auto detach = [&pending](node& n) {
    for (auto& [level, child] : n.children)
      pending.push_back(std::move(child));
    n.children.clear();
  };
  detach(root_);
  root_.clients.clear();
  while (!pending.empty()) {
    auto n = std::move(pending.back());
    pending.pop_back();
    detach(*n);
  }
  size_ = 0;
}

void sub_tree::add(std::string_view filter, const std::string& client) {
  node* n = &root_;
  while (true) {
    std::string_view rest;
    bool last = false;
    auto level = first_level(filter, rest, last);
    auto it = n->children.find(level);
    if (it == n->children.end())
      it =
        n->children.emplace(std::string(level), std::make_unique<node>()).first;
    n = it->second.get();
    if (last)
      break;
    filter = rest;
  }
  if (n->clients.insert(client).second)
    ++size_;
}

void sub_tree::remove(std::string_view filter, const std::string& client) {
  // the path down, so empty nodes can be pruned on the way back
  std::vector<std::pair<node*, std::string_view>> path;
  node* n = &root_;
  while (true) {
    std::string_view rest;
    bool last = false;
    auto level = first_level(filter, rest, last);
    auto it = n->children.find(level);
    if (it == n->children.end())
      return;
    path.emplace_back(n, level);
    n = it->second.get();
    if (last)
      break;
    filter = rest;
  }
  if (!n->clients.erase(client))
    return;
  --size_;
  for (auto p = path.rbegin(); p != path.rend(); ++p) {
    auto it = p->first->children.find(p->second);
    if (!it->second->empty())
      break;
    p->first->children.erase(it);
  }
}

void sub_tree::match(std::string_view topic,
                     const std::function<void(const std::string&)>& f) const {
  // Depth-first in the order a recursive walk would take (the exact level
  // before '+'), with an explicit worklist: one entry per level reached.
  struct step {
    const node* n;
    std::string_view topic; ///< the levels still to match
    bool at_root;
  };
  std::vector<step> todo{{&root_, topic, true}};
  while (!todo.empty()) {
    auto [n, rest_topic, at_root] = todo.back();
    todo.pop_back();
    // '$' topics are not matched by a wildcard in the first level (§4.7.2)
    bool wild_ok = !(at_root && !rest_topic.empty() && rest_topic[0] == '$');
    if (wild_ok) {
      auto hash = n->children.find(std::string_view("#"));
      if (hash != n->children.end()) // "a/#" matches "a/…" (and "a", below)
        for (auto& c : hash->second->clients)
          f(c);
    }
    std::string_view rest;
    bool last = false;
    auto level = first_level(rest_topic, rest, last);
    const node* exact = nullptr;
    const node* plus = nullptr;
    if (auto it = n->children.find(level); it != n->children.end())
      exact = it->second.get();
    if (wild_ok && level != "+")
      if (auto it = n->children.find(std::string_view("+"));
          it != n->children.end())
        plus = it->second.get();
    if (last) {
      for (auto* child : {exact, plus}) {
        if (!child)
          continue;
        for (auto& c : child->clients)
          f(c);
        // "a/#" also matches the parent level "a"
        auto h = child->children.find(std::string_view("#"));
        if (h != child->children.end())
          for (auto& c : h->second->clients)
            f(c);
      }
    } else {
      // pushed in reverse: the exact level is walked first
      if (plus)
        todo.push_back({plus, rest, false});
      if (exact)
        todo.push_back({exact, rest, false});
    }
  }
}

} // namespace themis::mqtt
