/// Server limits checked statically after the spec rules passed: depth,
/// aliases, complexity (cost with list multipliers), introspection switch.
/// Fragments are expanded through per-fragment memos, so a fragment spread
/// many times costs one evaluation (no exponential blow-up).

#include <limits>
#include <map>
#include <optional>

#include "engine/graphql/introspection.hpp"
#include "engine/graphql/validation_context.hpp"

namespace themis::graphql {

namespace {

using json = nlohmann::json;
constexpr std::size_t saturated = std::numeric_limits<std::size_t>::max();
/// fields { type { fields { type { fields … } } } }: 3 levels is refused
constexpr std::size_t max_type_list_nesting = 3;

std::size_t add(std::size_t a, std::size_t b) {
  return a > saturated - b ? saturated : a + b;
}
std::size_t mul(std::size_t a, std::size_t b) {
  if (a == 0 || b == 0)
    return 0;
  return a > saturated / b ? saturated : a * b;
}

bool has_list(const type_ref& t) {
  for (const type_ref* x = &t; x; x = x->of.get())
    if (x->is_list())
      return true;
  return false;
}

/// depth / aliases / cost of selection sets, fragments memoised by name.
class measure {
public:
  measure(const schema& s, const document& d, const validate_limits& l,
          const json* vars) :
    s_(s),
    d_(d), l_(l), vars_(vars) {}

  std::size_t depth(const selection_set& ss) {
    std::size_t best = 0;
    for (const auto& sel : ss.items) {
      // __Type.ofType unwraps a [[T!]!]! chain: linear, and introspection
      // tools nest it 7 deep, so it adds no depth (the parser bounds it)
      if (sel.kind == selection_kind::field && sel.name == "ofType")
        best = std::max(best, depth(sel.selections));
      else if (sel.kind == selection_kind::field)
        best = std::max(best, 1 + depth(sel.selections));
      else if (sel.kind == selection_kind::inline_fragment)
        best = std::max(best, depth(sel.selections));
      else if (const auto* f = frag(sel.name, depth_memo_))
        best = std::max(best, depth_memo_[sel.name] = depth(f->selections));
      else
        best = std::max(best, depth_memo_[sel.name]);
    }
    return best;
  }

  /// How deeply __Type's list fields (fields, inputFields, interfaces,
  /// possibleTypes) nest: each level multiplies the answer by the schema's
  /// size, so introspection is bounded by this (graphql-js's
  /// MaxIntrospectionDepthRule) rather than by the cost.
  std::size_t type_lists(const selection_set& ss) {
    std::size_t best = 0;
    for (const auto& sel : ss.items) {
      if (sel.kind == selection_kind::field) {
        bool fan = sel.name == "fields" || sel.name == "inputFields" ||
                   sel.name == "interfaces" || sel.name == "possibleTypes";
        best = std::max(best, (fan ? 1 : 0) + type_lists(sel.selections));
      } else if (sel.kind == selection_kind::inline_fragment) {
        best = std::max(best, type_lists(sel.selections));
      } else if (const auto* f = frag(sel.name, lists_memo_)) {
        best =
          std::max(best, lists_memo_[sel.name] = type_lists(f->selections));
      } else {
        best = std::max(best, lists_memo_[sel.name]);
      }
    }
    return best;
  }

  /// The first __schema / __type field whose type lists nest too deeply.
  std::optional<location> deep_introspection(const selection_set& ss) {
    for (const auto& sel : ss.items) {
      if (sel.kind == selection_kind::field && is_meta_schema_field(sel.name)) {
        if (type_lists(sel.selections) >= max_type_list_nesting)
          return sel.loc;
        continue;
      }
      if (sel.kind == selection_kind::fragment_spread) {
        if (const auto* f = frag(sel.name, meta_memo_))
          if (auto at = deep_introspection(f->selections))
            return at;
        continue;
      }
      if (auto at = deep_introspection(sel.selections))
        return at;
    }
    return std::nullopt;
  }

  std::size_t aliases(const selection_set& ss) {
    std::size_t n = 0;
    for (const auto& sel : ss.items) {
      if (sel.kind == selection_kind::field)
        n = add(n, add(sel.alias.empty() ? 0 : 1, aliases(sel.selections)));
      else if (sel.kind == selection_kind::inline_fragment)
        n = add(n, aliases(sel.selections));
      else if (const auto* f = frag(sel.name, alias_memo_))
        n = add(n, alias_memo_[sel.name] = aliases(f->selections));
      else
        n = add(n, alias_memo_[sel.name]);
    }
    return n;
  }

  /// `paged`: the parent was a connection field whose first/last already
  /// multiplied this selection, so its edges/nodes lists count once.
  std::size_t cost(const selection_set& ss, const type_def* parent,
                   bool paged = false) {
    std::size_t n = 0;
    for (const auto& sel : ss.items) {
      if (sel.kind == selection_kind::inline_fragment) {
        n =
          add(n, cost(sel.selections,
                      sel.type_condition.empty() ? parent
                                                 : s_.find(sel.type_condition),
                      paged));
        continue;
      }
      if (sel.kind == selection_kind::fragment_spread) {
        if (const auto* f = frag(sel.name, cost_memo_))
          cost_memo_[sel.name] =
            cost(f->selections, s_.find(f->type_condition));
        n = add(n, cost_memo_[sel.name]);
        continue;
      }
      const field_def* d = parent ? find_field(s_, *parent, sel.name) : nullptr;
      if (!d)
        continue;
      // introspection is bounded by the schema's size and has its own
      // switch: it costs one per meta field
      if (is_introspection_type(parent->name) ||
          is_meta_schema_field(d->name)) {
        n = add(n, 1);
        continue;
      }
      auto page = page_size(sel);
      bool connection = page && !has_list(d->type);
      std::size_t factor = page ? *page
                           : has_list(d->type)
                             ? (paged ? 1 : l_.default_list_size)
                             : 1;
      std::size_t sub = 0;
      if (!sel.selections.empty())
        sub = cost(sel.selections, s_.find(d->type.base_name()), connection);
      n = add(n, add(d->cost, mul(factor, sub)));
    }
    return n;
  }

private:
  /// The fragment to evaluate, or null when memoised (or being evaluated:
  /// the memo entry is created first, so a cycle reads 0).
  const fragment_definition* frag(const std::string& name,
                                  std::map<std::string, std::size_t>& memo) {
    if (memo.count(name))
      return nullptr;
    memo[name] = 0;
    return d_.fragment(name);
  }

  /// first/last/limit as given (literal or variable): the list size a
  /// list field, or a connection field's pages, multiply their selection by
  std::optional<std::size_t> page_size(const selection& sel) const {
    for (const char* n : {"first", "last", "limit"}) {
      for (const auto& a : sel.args) {
        if (a.name != n)
          continue;
        if (a.val.kind == value_kind::int_) {
          long long v = std::atoll(a.val.text.c_str());
          return v < 0 ? 0 : static_cast<std::size_t>(v);
        }
        if (a.val.kind == value_kind::variable && vars_) {
          auto it = vars_->find(a.val.text);
          if (it != vars_->end() && it->is_number_integer())
            return it->get<long long>() < 0
                     ? 0
                     : static_cast<std::size_t>(it->get<long long>());
        }
      }
    }
    return std::nullopt;
  }

  const schema& s_;
  const document& d_;
  const validate_limits& l_;
  const json* vars_;
  std::map<std::string, std::size_t> depth_memo_, alias_memo_, cost_memo_,
    lists_memo_, meta_memo_;
};

bool uses_introspection(const selection_set& ss) {
  for (const auto& sel : ss.items) {
    if (sel.kind == selection_kind::field && is_meta_schema_field(sel.name))
      return true;
    if (uses_introspection(sel.selections))
      return true;
  }
  return false;
}

location first_meta_field(const selection_set& ss) {
  for (const auto& sel : ss.items) {
    if (sel.kind == selection_kind::field && is_meta_schema_field(sel.name))
      return sel.loc;
    if (uses_introspection(sel.selections))
      return first_meta_field(sel.selections);
  }
  return {};
}

} // namespace

std::size_t operation_complexity(const schema& s, const document& doc,
                                 const operation_definition& op,
                                 const validate_limits& limits,
                                 const json* variables) {
  measure m(s, doc, limits, variables);
  return m.cost(op.selections, s.root_type(op.op));
}

void check_limits(validation_context& c, const json* variables) {
  auto limit = [&](std::string msg, location at) {
    c.errors.push_back({std::move(msg), {at}, nullptr, codes::limit});
  };
  if (!c.limits.introspection) {
    for (const auto& op : c.doc.operations)
      if (uses_introspection(op.selections))
        limit("GraphQL introspection is not allowed.",
              first_meta_field(op.selections));
    for (const auto& f : c.doc.fragments)
      if (uses_introspection(f.selections))
        limit("GraphQL introspection is not allowed.",
              first_meta_field(f.selections));
  }
  for (const auto& op : c.doc.operations) {
    measure m(c.s, c.doc, c.limits, variables);
    std::size_t d = m.depth(op.selections);
    if (d > c.limits.max_depth)
      limit("Query depth " + std::to_string(d) + " exceeds the maximum of " +
              std::to_string(c.limits.max_depth) + ".",
            op.loc);
    // by field name below each __schema / __type, fragments expanded
    // (graphql-js's MaxIntrospectionDepthRule, its message and location)
    if (auto at = m.deep_introspection(op.selections))
      limit("Maximum introspection depth exceeded", *at);
    std::size_t a = m.aliases(op.selections);
    if (a > c.limits.max_aliases)
      limit("Query uses " + std::to_string(a) +
              " aliases, more than the maximum of " +
              std::to_string(c.limits.max_aliases) + ".",
            op.loc);
    std::size_t cost = m.cost(op.selections, c.s.root_type(op.op));
    if (cost > c.limits.max_complexity)
      limit(
        "Query complexity " +
          (cost == saturated ? std::string("overflow") : std::to_string(cost)) +
          " exceeds the maximum of " + std::to_string(c.limits.max_complexity) +
          ".",
        op.loc);
  }
}

} // namespace themis::graphql
