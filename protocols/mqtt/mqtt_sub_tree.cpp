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
  match_level(root_, topic, true, f);
}

void sub_tree::match_level(
  const node& n, std::string_view topic, bool at_root,
  const std::function<void(const std::string&)>& f) const {
  // '$' topics are not matched by a wildcard in the first level (§4.7.2)
  bool wild_ok = !(at_root && !topic.empty() && topic[0] == '$');
  if (wild_ok) {
    auto hash = n.children.find(std::string_view("#"));
    if (hash != n.children.end()) // "a/#" matches "a/…" (and "a", below)
      for (auto& c : hash->second->clients)
        f(c);
  }
  std::string_view rest;
  bool last = false;
  auto level = first_level(topic, rest, last);
  auto visit = [&](const node& child) {
    if (last) {
      for (auto& c : child.clients)
        f(c);
      // "a/#" also matches the parent level "a"
      auto h = child.children.find(std::string_view("#"));
      if (h != child.children.end())
        for (auto& c : h->second->clients)
          f(c);
    } else {
      match_level(child, rest, false, f);
    }
  };
  auto exact = n.children.find(level);
  if (exact != n.children.end())
    visit(*exact->second);
  if (wild_ok && level != "+") {
    auto plus = n.children.find(std::string_view("+"));
    if (plus != n.children.end())
      visit(*plus->second);
  }
}

} // namespace themis::mqtt
