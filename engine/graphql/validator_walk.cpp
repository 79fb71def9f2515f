/// Type-aware rules applied while walking selection sets: FieldsOnCorrect
/// Type, LeafFieldSelections, KnownArgumentNames, UniqueArgumentNames,
/// ProvidedRequiredArguments, ValuesOfCorrectType, UniqueInputFieldNames,
/// KnownDirectives, UniqueDirectivesPerLocation, KnownTypeNames,
/// FragmentsOnCompositeTypes, PossibleFragmentSpreads, KnownFragmentNames;
/// and the variable usages/spreads the document rules need.

#include <algorithm>
#include <set>

#include "engine/graphql/introspection.hpp"
#include "engine/graphql/suggest.hpp"
#include "engine/graphql/validation_context.hpp"
#include "engine/graphql/values.hpp"

namespace themis::graphql {

namespace {

std::string q(const std::string& s) {
  return "\"" + s + "\"";
}

class walker {
public:
  explicit walker(validation_context& c) : c_(c) {}

  void operation(const operation_definition& op) {
    c_.current = &c_.uses[&op];
    const char* loc = op.op == operation_type::query      ? "QUERY"
                      : op.op == operation_type::mutation ? "MUTATION"
                                                          : "SUBSCRIPTION";
    directives(op.directives, loc);
    for (const auto& v : op.variables) {
      const type_def* t = c_.s.find(v.type.base_name());
      if (!t)
        c_.report(unknown_type(v.type.base_name()), {v.type.loc});
      else if (!t->is_input())
        c_.report("Variable \"$" + v.name + "\" cannot be non-input type " +
                    q(v.type.str()) + ".",
                  {v.type.loc});
      else if (v.default_value)
        value_check(*v.default_value, v.type);
      directives(v.directives, "VARIABLE_DEFINITION");
    }
    const type_def* root = c_.s.root_type(op.op);
    if (!root) {
      c_.report(std::string("Schema is not configured to execute ") +
                  to_string(op.op) + " operation.",
                {op.loc});
      return;
    }
    selections(op.selections, root);
  }

  void fragment(const fragment_definition& f) {
    c_.current = &c_.uses[&f];
    directives(f.directives, "FRAGMENT_DEFINITION");
    const type_def* t = c_.s.find(f.type_condition);
    if (!t) {
      c_.report(unknown_type(f.type_condition), {f.type_condition_loc});
    } else if (!t->is_composite()) {
      c_.report("Fragment " + q(f.name) +
                  " cannot condition on non composite type " +
                  q(f.type_condition) + ".",
                {f.type_condition_loc});
      t = nullptr;
    }
    selections(f.selections, t);
  }

private:
  static std::vector<std::string>
  arg_names(const std::vector<input_value_def>& args) {
    std::vector<std::string> n;
    for (const auto& a : args)
      n.push_back(a.name);
    return n;
  }

  std::string unknown_type(const std::string& name) const {
    std::vector<std::string> names;
    for (const type_def* t : c_.s.types())
      names.push_back(t->name);
    return "Unknown type " + q(name) + "." +
           did_you_mean(suggestion_list(name, names));
  }

  /// FieldsOnCorrectType's hint (graphql-js): on an abstract type, the
  /// possible types and interfaces that have the field, most used first;
  /// else fields with a similar name.
  std::string field_hint(const type_def& parent, const std::string& name) {
    if (parent.is_abstract()) {
      std::vector<std::pair<const type_def*, int>> found;
      auto bump = [&](const type_def* t) {
        for (auto& [x, n] : found)
          if (x == t) {
            ++n;
            return;
          }
        found.emplace_back(t, 1);
      };
      for (const type_def* p : c_.s.possible_types(parent)) {
        if (!p->field(name))
          continue;
        bump(p);
        for (const auto& i : p->interfaces)
          if (const type_def* it = c_.s.find(i); it && it->field(name))
            bump(it);
      }
      auto implements = [](const type_def* a, const type_def* b) {
        for (const auto& i : b->interfaces)
          if (i == a->name)
            return true;
        return false;
      };
      std::stable_sort(found.begin(), found.end(),
                       [&](const auto& a, const auto& b) {
                         if (a.second != b.second)
                           return a.second > b.second;
                         if (a.first->kind == type_kind::interface &&
                             implements(a.first, b.first))
                           return true;
                         if (b.first->kind == type_kind::interface &&
                             implements(b.first, a.first))
                           return false;
                         return natural_less(a.first->name, b.first->name);
                       });
      std::vector<std::string> names;
      for (const auto& f : found)
        names.push_back(f.first->name);
      if (!names.empty())
        return did_you_mean(names, "to use an inline fragment on");
      return {};
    }
    if (parent.kind != type_kind::object && parent.kind != type_kind::interface)
      return {};
    std::vector<std::string> names;
    for (const auto& f : parent.fields)
      names.push_back(f.name);
    return did_you_mean(suggestion_list(name, names));
  }

  /// `parent` null: the parent type is unknown (already reported); only
  /// type-independent checks run below it.
  void selections(const selection_set& ss, const type_def* parent) {
    for (const auto& sel : ss.items) {
      if (c_.full())
        return;
      switch (sel.kind) {
        case selection_kind::field:
          field(sel, parent);
          break;
        case selection_kind::fragment_spread:
          spread(sel, parent);
          break;
        case selection_kind::inline_fragment:
          inline_fragment(sel, parent);
          break;
      }
    }
  }

  void field(const selection& f, const type_def* parent) {
    directives(f.directives, "FIELD");
    const field_def* def = parent ? find_field(c_.s, *parent, f.name) : nullptr;
    if (parent && !def)
      c_.report("Cannot query field " + q(f.name) + " on type " +
                  q(parent->name) + "." + field_hint(*parent, f.name),
                {f.loc});
    arguments(f.args, def ? &def->args : nullptr, [&](const std::string& a) {
      return "Unknown argument " + q(a) + " on field " +
             q(parent->name + "." + f.name) + "." +
             did_you_mean(suggestion_list(a, arg_names(def->args)));
    });
    if (def) {
      for (const auto& a : def->args) {
        bool given = false;
        for (const auto& x : f.args)
          given |= x.name == a.name;
        if (!given && a.type.is_non_null() && !a.default_value)
          c_.report("Field " + q(f.name) + " argument " + q(a.name) +
                      " of type " + q(a.type.str()) +
                      " is required, but it was not provided.",
                    {f.loc});
      }
    }
    const type_def* ft = def ? c_.s.find(def->type.base_name()) : nullptr;
    if (ft && ft->is_leaf() && !f.selections.empty())
      c_.report("Field " + q(f.name) +
                  " must not have a selection since "
                  "type " +
                  q(def->type.str()) + " has no subfields.",
                {f.selections.loc});
    if (ft && ft->is_composite() && f.selections.empty())
      c_.report("Field " + q(f.name) + " of type " + q(def->type.str()) +
                  " must have a selection of subfields. Did you mean " +
                  q(f.name + " { ... }") + "?",
                {f.loc});
    if (!f.selections.empty())
      selections(f.selections, ft && ft->is_composite() ? ft : nullptr);
  }

  void spread(const selection& s, const type_def* parent) {
    directives(s.directives, "FRAGMENT_SPREAD");
    c_.current->spreads.push_back({s.name, s.loc});
    auto it = c_.fragments.find(s.name);
    if (it == c_.fragments.end()) {
      c_.report("Unknown fragment " + q(s.name) + ".", {s.name_loc});
      return;
    }
    const type_def* ft = c_.s.find(it->second->type_condition);
    if (parent && ft && ft->is_composite() && !c_.s.types_overlap(*parent, *ft))
      c_.report(
        "Fragment " + q(s.name) + " cannot be spread here as objects of type " +
          q(parent->name) + " can never be of type " + q(ft->name) + ".",
        {s.loc});
  }

  void inline_fragment(const selection& s, const type_def* parent) {
    directives(s.directives, "INLINE_FRAGMENT");
    const type_def* t = parent;
    if (!s.type_condition.empty()) {
      t = c_.s.find(s.type_condition);
      if (!t) {
        c_.report(unknown_type(s.type_condition), {s.type_condition_loc});
      } else if (!t->is_composite()) {
        c_.report("Fragment cannot condition on non composite type " +
                    q(s.type_condition) + ".",
                  {s.type_condition_loc});
        t = nullptr;
      } else if (parent && !c_.s.types_overlap(*parent, *t)) {
        c_.report("Fragment cannot be spread here as objects of type " +
                    q(parent->name) + " can never be of type " + q(t->name) +
                    ".",
                  {s.loc});
      }
    }
    selections(s.selections, t);
  }

  template <class Unknown>
  void arguments(const std::vector<argument>& args,
                 const std::vector<input_value_def>* defs, Unknown unknown) {
    std::set<std::string> seen, reported;
    for (const auto& a : args) {
      if (!seen.insert(a.name).second && reported.insert(a.name).second) {
        std::vector<location> locs;
        for (const auto& b : args)
          if (b.name == a.name)
            locs.push_back(b.loc);
        c_.report("There can be only one argument named " + q(a.name) + ".",
                  locs);
      }
      const input_value_def* d = nullptr;
      if (defs)
        for (const auto& x : *defs)
          if (x.name == a.name)
            d = &x;
      if (defs && !d) {
        c_.report(unknown(a.name), {a.loc});
        value_check(a.val, std::nullopt);
        continue;
      }
      if (d)
        value_check(a.val, d->type, d->default_value.has_value());
      else
        value_check(a.val, std::nullopt);
    }
  }

  void directives(const std::vector<directive>& dirs, const char* where) {
    std::set<std::string> seen;
    for (const auto& d : dirs) {
      const directive_def* def = c_.s.find_directive(d.name);
      if (!def) {
        c_.report("Unknown directive \"@" + d.name + "\".", {d.loc});
        arguments(d.args, nullptr, [](const std::string&) { return ""; });
        continue;
      }
      if (!def->allowed_at(where))
        c_.report("Directive \"@" + d.name + "\" may not be used on " + where +
                    ".",
                  {d.loc});
      if (!def->repeatable && !seen.insert(d.name).second) {
        std::vector<location> locs;
        for (const auto& e : dirs)
          if (e.name == d.name)
            locs.push_back(e.loc);
        c_.report("The directive \"@" + d.name +
                    "\" can only be used once at this location.",
                  {locs[0], d.loc});
      }
      arguments(d.args, &def->args, [&](const std::string& a) {
        return "Unknown argument " + q(a) + " on directive \"@" + d.name +
               "\"." + did_you_mean(suggestion_list(a, arg_names(def->args)));
      });
      for (const auto& a : def->args) {
        bool given = false;
        for (const auto& x : d.args)
          given |= x.name == a.name;
        if (!given && a.type.is_non_null() && !a.default_value)
          c_.report("Directive \"@" + d.name + "\" argument " + q(a.name) +
                      " of type " + q(a.type.str()) +
                      " is required, but it was not provided.",
                    {d.loc});
      }
    }
  }

  /// ValuesOfCorrectType + UniqueInputFieldNames + variable usages.
  void value_check(const value& v, std::optional<type_ref> t,
                   bool has_default = false) {
    unique_fields(v);
    usages(v, t ? &*t : nullptr, has_default);
    check_value_literal(c_, v, t ? &*t : nullptr);
  }

  void unique_fields(const value& v) {
    if (v.kind == value_kind::object) {
      std::set<std::string> seen;
      for (const auto& f : v.items)
        if (!seen.insert(f.name).second) {
          location first;
          for (const auto& g : v.items)
            if (g.name == f.name) {
              first = g.name_loc;
              break;
            }
          c_.report("There can be only one input field named " + q(f.name) +
                      ".",
                    {first, f.name_loc});
        }
    }
    for (const auto& i : v.items)
      unique_fields(i);
  }

  void usages(const value& v, const type_ref* t, bool has_default) {
    if (v.kind == value_kind::variable) {
      if (c_.current)
        c_.current->variables.push_back(
          {v.text, t ? *t : type_ref(), has_default && t, v.loc});
      return;
    }
    const type_ref* inner = t;
    if (inner && inner->is_non_null())
      inner = inner->of.get();
    if (v.kind == value_kind::list) {
      const type_ref* item =
        inner && inner->is_list() ? inner->of.get() : nullptr;
      for (const auto& i : v.items)
        usages(i, item ? item : nullptr, false);
      return;
    }
    if (v.kind == value_kind::object) {
      const type_def* td =
        inner && !inner->is_list() ? c_.s.find(inner->name) : nullptr;
      for (const auto& f : v.items) {
        const input_value_def* fd = td ? td->input_field(f.name) : nullptr;
        usages(f, fd ? &fd->type : nullptr,
               fd && fd->default_value.has_value());
      }
    }
  }

  validation_context& c_;
};

} // namespace

void walk_definitions(validation_context& c) {
  walker w(c);
  for (const auto& op : c.doc.operations)
    w.operation(op);
  for (const auto& f : c.doc.fragments)
    w.fragment(f);
  c.current = nullptr;
}

} // namespace themis::graphql
