/// OverlappingFieldsCanBeMerged (section 5.3.2): FieldsInSetCanMerge and
/// SameResponseShape for every selection set, with the work (fields
/// gathered plus pairs compared) bounded by max_merge_comparisons.

#include <set>

#include "engine/graphql/introspection.hpp"
#include "engine/graphql/validation_context.hpp"
#include "engine/graphql/values.hpp"

namespace themis::graphql {

namespace {

struct entry {
  const type_def* parent = nullptr;
  const selection* node = nullptr;
  const field_def* def = nullptr;
};
using field_map = std::vector<std::pair<std::string, std::vector<entry>>>;

/// Why two fields conflict, with the nodes on each side that show it: the
/// two fields themselves, then their conflicting subfields (graphql-js
/// reports all of them).
struct conflict_info {
  std::string reason;
  std::vector<location> side1, side2;
};

std::string q(const std::string& s) {
  return "\"" + s + "\"";
}

class overlap {
public:
  explicit overlap(validation_context& c) : c_(c) {}

  bool exhausted() const { return exhausted_; }

  void check_set(const selection_set& ss, const type_def* parent) {
    field_map m;
    std::set<std::string> visited;
    gather(ss, parent, m, visited);
    for (const auto& [key, list] : m) {
      for (std::size_t i = 0; i < list.size() && !stop(); ++i)
        for (std::size_t j = i + 1; j < list.size() && !stop(); ++j) {
          auto r = conflict(list[i], list[j], false);
          if (r)
            report(key, *r, list[i], list[j]);
        }
    }
    // nested selection sets of the fields themselves
    for (const auto& sel : ss.items) {
      if (stop())
        return;
      if (sel.kind == selection_kind::field && !sel.selections.empty()) {
        const field_def* d =
          parent ? find_field(c_.s, *parent, sel.name) : nullptr;
        const type_def* t = d ? c_.s.find(d->type.base_name()) : nullptr;
        check_set(sel.selections, t && t->is_composite() ? t : nullptr);
      } else if (sel.kind == selection_kind::inline_fragment) {
        const type_def* t =
          sel.type_condition.empty() ? parent : c_.s.find(sel.type_condition);
        check_set(sel.selections, t);
      }
    }
  }

private:
  bool stop() {
    if (work_ > c_.limits.max_merge_comparisons && !exhausted_) {
      exhausted_ = true;
      c_.errors.push_back({"Field merging check exceeded " +
                             std::to_string(c_.limits.max_merge_comparisons) +
                             " comparisons; simplify the query.",
                           {},
                           nullptr,
                           codes::limit});
    }
    return exhausted_ || c_.full();
  }

  void gather(const selection_set& ss, const type_def* parent, field_map& m,
              std::set<std::string>& visited) {
    for (const auto& sel : ss.items) {
      if (stop())
        return;
      ++work_;
      switch (sel.kind) {
        case selection_kind::field: {
          entry e{parent, &sel,
                  parent ? find_field(c_.s, *parent, sel.name) : nullptr};
          const std::string& key = sel.response_key();
          auto it = m.begin();
          for (; it != m.end(); ++it)
            if (it->first == key)
              break;
          if (it == m.end()) {
            m.push_back({key, {}});
            it = m.end() - 1;
          }
          it->second.push_back(e);
          break;
        }
        case selection_kind::fragment_spread: {
          if (!visited.insert(sel.name).second)
            break;
          auto f = c_.fragments.find(sel.name);
          if (f != c_.fragments.end())
            gather(f->second->selections, c_.s.find(f->second->type_condition),
                   m, visited);
          break;
        }
        case selection_kind::inline_fragment:
          gather(sel.selections,
                 sel.type_condition.empty() ? parent
                                            : c_.s.find(sel.type_condition),
                 m, visited);
          break;
      }
    }
  }

  static bool same_args(const selection& a, const selection& b) {
    if (a.args.size() != b.args.size())
      return false;
    for (const auto& x : a.args) {
      bool found = false;
      for (const auto& y : b.args)
        if (x.name == y.name &&
            print_ast_value(x.val) == print_ast_value(y.val))
          found = true;
      if (!found)
        return false;
    }
    return true;
  }

  bool types_conflict(const type_ref& a, const type_ref& b) const {
    if (a.is_list() || b.is_list())
      return !(a.is_list() && b.is_list()) || types_conflict(*a.of, *b.of);
    if (a.is_non_null() || b.is_non_null())
      return !(a.is_non_null() && b.is_non_null()) ||
             types_conflict(*a.of, *b.of);
    const type_def* ta = c_.s.find(a.name);
    const type_def* tb = c_.s.find(b.name);
    if ((ta && ta->is_leaf()) || (tb && tb->is_leaf()))
      return a.name != b.name;
    return false;
  }

  std::optional<conflict_info> conflict(const entry& a, const entry& b,
                                        bool exclusive) {
    // subfields are compared recursively, through fragments: a fragment
    // cycle (reported by NoFragmentCycles) would recurse forever
    if (nesting_ >= max_nesting)
      return std::nullopt;
    struct guard {
      std::size_t& n;
      explicit guard(std::size_t& x) : n(++x) {}
      ~guard() { --n; }
    } g(nesting_);
    auto found = [&](std::string reason) {
      return conflict_info{std::move(reason), {a.node->loc}, {b.node->loc}};
    };
    ++work_;
    exclusive = exclusive || (a.parent && b.parent && a.parent != b.parent &&
                              a.parent->kind == type_kind::object &&
                              b.parent->kind == type_kind::object);
    if (!exclusive) {
      if (a.node->name != b.node->name)
        return found(q(a.node->name) + " and " + q(b.node->name) +
                     " are different fields");
      if (!same_args(*a.node, *b.node))
        return found("they have differing arguments");
    }
    if (a.def && b.def && types_conflict(a.def->type, b.def->type))
      return found("they return conflicting types " + q(a.def->type.str()) +
                   " and " + q(b.def->type.str()));
    if (a.node->selections.empty() || b.node->selections.empty())
      return std::nullopt;
    const type_def* ta = a.def ? c_.s.find(a.def->type.base_name()) : nullptr;
    const type_def* tb = b.def ? c_.s.find(b.def->type.base_name()) : nullptr;
    field_map ma, mb;
    std::set<std::string> va, vb;
    gather(a.node->selections, ta, ma, va);
    gather(b.node->selections, tb, mb, vb);
    // every conflicting pair of subfields, as graphql-js collects them
    conflict_info all = found({});
    for (const auto& [key, la] : ma) {
      for (const auto& [kb, lb] : mb) {
        if (kb != key)
          continue;
        for (const auto& x : la)
          for (const auto& y : lb) {
            if (stop())
              return std::nullopt;
            if (auto r = conflict(x, y, exclusive)) {
              if (!all.reason.empty())
                all.reason += " and ";
              all.reason +=
                "subfields " + q(key) + " conflict because " + r->reason;
              all.side1.insert(all.side1.end(), r->side1.begin(),
                               r->side1.end());
              all.side2.insert(all.side2.end(), r->side2.begin(),
                               r->side2.end());
            }
          }
      }
    }
    if (all.reason.empty())
      return std::nullopt;
    return all;
  }

  void report(const std::string& key, const conflict_info& r, const entry& a,
              const entry& b) {
    auto k =
      std::make_pair(std::make_pair(a.node->loc.line, a.node->loc.column),
                     std::make_pair(b.node->loc.line, b.node->loc.column));
    if (!reported_.insert(k).second)
      return;
    std::vector<location> locs = r.side1;
    locs.insert(locs.end(), r.side2.begin(), r.side2.end());
    c_.report("Fields " + q(key) + " conflict because " + r.reason +
                ". Use different aliases on the fields to fetch both if this "
                "was intentional.",
              std::move(locs));
  }

  /// Field nesting a valid document can have is bounded by max_depth
  /// (default 15); beyond this, stop comparing (keeps the stack small).
  static constexpr std::size_t max_nesting = 64;

  validation_context& c_;
  std::size_t nesting_ = 0;
  std::size_t work_ = 0;
  bool exhausted_ = false;
  std::set<std::pair<std::pair<std::uint32_t, std::uint32_t>,
                     std::pair<std::uint32_t, std::uint32_t>>>
    reported_;
};

} // namespace

void check_overlapping_fields(validation_context& c) {
  overlap o(c);
  for (const auto& op : c.doc.operations) {
    if (o.exhausted())
      return;
    o.check_set(op.selections, c.s.root_type(op.op));
  }
  for (const auto& f : c.doc.fragments) {
    if (o.exhausted())
      return;
    const type_def* t = c.s.find(f.type_condition);
    o.check_set(f.selections, t && t->is_composite() ? t : nullptr);
  }
}

} // namespace themis::graphql
