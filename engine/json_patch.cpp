#include "engine/json_patch.hpp"

#include <algorithm>
#include <utility>

#include "themis/input_limits.hpp"

namespace themis::engine {

namespace {

using json = nlohmann::json;
using tokens = std::vector<std::string>;

/// Container depth ([] is 1, a scalar 0) and value count of `v`, walked
/// with an explicit stack so no input can exhaust the call stack.
struct shape {
  size_t depth = 0, nodes = 0;
};

shape shape_of(const json& v) {
  shape out;
  std::vector<std::pair<const json*, size_t>> stack{{&v, 0}};
  while (!stack.empty()) {
    auto [n, d] = stack.back();
    stack.pop_back();
    ++out.nodes;
    if (!n->is_structured())
      continue;
    out.depth = std::max(out.depth, d + 1);
    for (auto& child : *n)
      stack.emplace_back(&child, d + 1);
  }
  return out;
}

/// An array index token: "0" or digits without a leading zero.
std::optional<size_t> array_index(const std::string& t) {
  if (t.empty() || t.size() > 18 || (t.size() > 1 && t[0] == '0'))
    return std::nullopt;
  size_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<size_t>(c - '0');
  }
  return v;
}

/// One patch run: the working copy, the limits, and the failure if any.
class patcher {
public:
  patcher(json doc, const json_patch_limits& l) : doc_(std::move(doc)) {
    max_depth_ = l.max_depth ? l.max_depth : max_json_depth();
    nodes_ = initial_ = shape_of(doc_).nodes;
    max_nodes_ = nodes_ + l.max_growth;
  }

  json_patch_result run(const json& patch, size_t max_ops) {
    if (!patch.is_array())
      return fail(json_patch_status::malformed,
                  "a JSON Patch is an array of operations");
    if (patch.size() > max_ops) {
      at_ = max_ops;
      return fail(json_patch_status::too_large,
                  "more than " + std::to_string(max_ops) + " operations");
    }
    for (at_ = 0; at_ < patch.size(); ++at_)
      if (!step(patch[at_]))
        return result_;
    return result_;
  }

  json& doc() { return doc_; }

private:
  json_patch_result fail(json_patch_status s, std::string message) {
    result_.status = s;
    result_.op_index = at_;
    result_.message = "operation " + std::to_string(at_) +
                      (op_.empty() ? "" : " (" + op_ + ")") + ": " + message;
    return result_;
  }

  /// A string member `name` of the operation parsed as a pointer.
  bool pointer_member(const json& o, const char* name, tokens& out) {
    auto it = o.find(name);
    if (it == o.end() || !it->is_string()) {
      fail(json_patch_status::malformed,
           std::string("\"") + name + "\" must be a string");
      return false;
    }
    auto p = parse_json_pointer(it->get_ref<const std::string&>());
    if (!p) {
      fail(json_patch_status::bad_pointer,
           std::string("\"") + name +
             "\" is not a JSON Pointer: " + it->get<std::string>());
      return false;
    }
    out = std::move(*p);
    return true;
  }

  /// The value a pointer names, or null (then failed, naming `what`).
  json* resolve(const tokens& t, const char* what) {
    json* cur = &doc_;
    for (auto& tok : t) {
      json* next = nullptr;
      if (cur->is_object()) {
        auto it = cur->find(tok);
        if (it != cur->end())
          next = &*it;
      } else if (cur->is_array()) {
        auto i = array_index(tok);
        if (i && *i < cur->size())
          next = &(*cur)[*i];
      }
      if (!next) {
        fail(json_patch_status::unresolved,
             std::string(what) + " names no value at \"" + tok + "\"");
        return nullptr;
      }
      cur = next;
    }
    return cur;
  }

  /// Adds `value` at `t` (RFC 6902 4.1): a member set, or an array insert.
  bool add(const tokens& t, json value) {
    auto s = shape_of(value);
    if (t.size() + s.depth > max_depth_)
      return fail(json_patch_status::too_large,
                  "the document would nest deeper than " +
                    std::to_string(max_depth_) + " levels"),
             false;
    if (nodes_ + s.nodes > max_nodes_)
      return fail(json_patch_status::too_large,
                  "the document would grow by more than " +
                    std::to_string(max_nodes_ - initial_) + " values"),
             false;
    if (t.empty()) {
      nodes_ = s.nodes;
      doc_ = std::move(value);
      return true;
    }
    tokens parent_t(t.begin(), t.end() - 1);
    json* parent = resolve(parent_t, "path's parent");
    if (!parent)
      return false;
    auto& last = t.back();
    if (parent->is_object()) {
      if (auto it = parent->find(last); it != parent->end())
        nodes_ -= shape_of(*it).nodes;
      (*parent)[last] = std::move(value);
    } else if (parent->is_array()) {
      size_t i = parent->size();
      if (last != "-") {
        auto idx = array_index(last);
        if (!idx || *idx > parent->size())
          return fail(json_patch_status::unresolved,
                      "array index out of range: " + last),
                 false;
        i = *idx;
      }
      parent->insert(parent->begin() + static_cast<ptrdiff_t>(i),
                     std::move(value));
    } else {
      return fail(json_patch_status::unresolved,
                  "path's parent is not an object or array"),
             false;
    }
    nodes_ += s.nodes;
    return true;
  }

  /// Removes the value at `t`, returning it (null pointer: failed).
  std::optional<json> remove(const tokens& t) {
    if (t.empty()) {
      fail(json_patch_status::unresolved, "cannot remove the whole document");
      return std::nullopt;
    }
    tokens parent_t(t.begin(), t.end() - 1);
    json* parent = resolve(parent_t, "path's parent");
    if (!parent)
      return std::nullopt;
    json* target = resolve(t, "path");
    if (!target)
      return std::nullopt;
    json out = std::move(*target);
    if (parent->is_object())
      parent->erase(t.back());
    else
      parent->erase(*array_index(t.back()));
    nodes_ -= shape_of(out).nodes;
    return out;
  }

  bool step(const json& o) {
    op_.clear();
    if (!o.is_object())
      return fail(json_patch_status::malformed, "not an object"), false;
    auto op_it = o.find("op");
    if (op_it == o.end() || !op_it->is_string())
      return fail(json_patch_status::malformed, "\"op\" must be a string"),
             false;
    op_ = op_it->get<std::string>();
    tokens path, from;
    if (!pointer_member(o, "path", path))
      return false;
    auto value = o.find("value");
    bool needs_value = op_ == "add" || op_ == "replace" || op_ == "test";
    if (needs_value && value == o.end())
      return fail(json_patch_status::malformed, "\"value\" is missing"), false;
    if ((op_ == "move" || op_ == "copy") && !pointer_member(o, "from", from))
      return false;
    if (op_ == "add")
      return add(path, *value);
    if (op_ == "remove")
      return remove(path).has_value();
    if (op_ == "replace") {
      if (!resolve(path, "path"))
        return false;
      if (path.empty()) // the whole document: no parent to insert into
        return add(path, *value);
      return remove(path) && add(path, *value);
    }
    if (op_ == "test") {
      json* target = resolve(path, "path");
      if (!target)
        return false;
      if (*target != *value)
        return fail(json_patch_status::test_failed,
                    "the value at the path is not the expected one"),
               false;
      return true;
    }
    if (op_ == "copy") {
      json* source = resolve(from, "from");
      return source && add(path, *source);
    }
    if (op_ == "move") {
      if (from.size() < path.size() &&
          std::equal(from.begin(), from.end(), path.begin()))
        return fail(json_patch_status::unresolved,
                    "cannot move a value into one of its own children"),
               false;
      if (from == path)
        return resolve(from, "from") != nullptr;
      auto v = remove(from);
      return v && add(path, std::move(*v));
    }
    return fail(json_patch_status::malformed, "unknown operation"), false;
  }

  json doc_;
  size_t max_depth_ = 0, max_nodes_ = 0, nodes_ = 0, initial_ = 0, at_ = 0;
  std::string op_;
  json_patch_result result_;
};

} // namespace

std::optional<std::vector<std::string>> parse_json_pointer(std::string_view p) {
  std::vector<std::string> out;
  if (p.empty())
    return out;
  if (p[0] != '/')
    return std::nullopt;
  std::string cur;
  for (size_t i = 1; i <= p.size(); ++i) {
    if (i == p.size() || p[i] == '/') {
      out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    if (p[i] != '~') {
      cur.push_back(p[i]);
      continue;
    }
    if (i + 1 >= p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))
      return std::nullopt;
    cur.push_back(p[++i] == '0' ? '~' : '/');
  }
  return out;
}

json_patch_result apply_json_patch(json& doc, const json& patch,
                                   const json_patch_limits& limits) {
  patcher p(doc, limits);
  auto r = p.run(patch, limits.max_ops);
  if (r.ok())
    doc = std::move(p.doc());
  return r;
}

int http_status_of(json_patch_status s) {
  switch (s) {
    case json_patch_status::ok:
      return 200;
    case json_patch_status::malformed:
    case json_patch_status::bad_pointer:
      return 400;
    case json_patch_status::test_failed:
      return 409;
    default:
      return 422;
  }
}

} // namespace themis::engine
