/// Document-level rules: ExecutableDefinitions, UniqueOperationNames,
/// LoneAnonymousOperation, SingleFieldSubscriptions, UniqueFragmentNames,
/// NoUnusedFragments, NoFragmentCycles, UniqueVariableNames,
/// NoUndefinedVariables, NoUnusedVariables, VariablesInAllowedPosition.

#include <functional>
#include <map>
#include <set>

#include "engine/graphql/exec_support.hpp"
#include "engine/graphql/introspection.hpp"
#include "engine/graphql/validation_context.hpp"

namespace themis::graphql {

namespace {

std::string q(const std::string& s) {
  return "\"" + s + "\"";
}

/// Bounds the recursion of the cycle check (and of everything after it
/// that follows spreads): chains deeper than this are refused.
constexpr std::size_t max_spread_depth = 100;

void executable_definitions(validation_context& c) {
  for (const auto& d : c.doc.non_executable) {
    if (d.kind == "schema" || d.kind == "extend schema")
      c.report("The schema definition is not executable.", {d.loc});
    else
      c.report("The " + q(d.name) + " definition is not executable.", {d.loc});
  }
}

void operations(validation_context& c) {
  std::map<std::string, location> names;
  std::size_t anonymous = 0;
  for (const auto& op : c.doc.operations) {
    if (op.name.empty()) {
      ++anonymous;
      continue;
    }
    auto [it, fresh] = names.try_emplace(op.name, op.name_loc);
    if (!fresh)
      c.report("There can be only one operation named " + q(op.name) + ".",
               {it->second, op.name_loc});
  }
  if (anonymous > 0 && c.doc.operations.size() > 1)
    for (const auto& op : c.doc.operations)
      if (op.name.empty())
        c.report("This anonymous operation must be the only defined "
                 "operation.",
                 {op.loc});
  for (const auto& op : c.doc.operations) {
    if (op.op != operation_type::subscription || !c.s.subscription_type())
      continue;
    // CollectFields without variables: @skip/@include with variables count
    grouped_fields fields;
    collect_fields(c.s, c.doc, *c.s.subscription_type(), {&op.selections},
                   nlohmann::json::object(), fields);
    std::string who = op.name.empty() ? std::string("Anonymous Subscription")
                                      : "Subscription " + q(op.name);
    if (fields.size() > 1) {
      std::vector<location> locs;
      for (std::size_t i = 1; i < fields.size(); ++i)
        locs.push_back(fields[i].second.front()->loc);
      c.report(who + " must select only one top level field.", locs);
    }
    for (const auto& [key, nodes] : fields)
      if (nodes.front()->name.rfind("__", 0) == 0)
        c.report(who + " must not select an introspection top level field.",
                 {nodes.front()->loc});
  }
}

void fragments(validation_context& c) {
  std::map<std::string, location> names;
  for (const auto& f : c.doc.fragments) {
    auto [it, fresh] = names.try_emplace(f.name, f.name_loc);
    if (!fresh)
      c.report("There can be only one fragment named " + q(f.name) + ".",
               {it->second, f.name_loc});
  }
  // used: reachable from some operation
  std::set<std::string> used;
  std::vector<std::string> stack;
  for (const auto& op : c.doc.operations)
    for (const auto& [n, loc] : c.uses[&op].spreads)
      stack.push_back(n);
  while (!stack.empty()) {
    std::string n = std::move(stack.back());
    stack.pop_back();
    if (!used.insert(n).second)
      continue;
    auto it = c.fragments.find(n);
    if (it != c.fragments.end())
      for (const auto& [m, loc] : c.uses[it->second].spreads)
        stack.push_back(m);
  }
  for (const auto& f : c.doc.fragments)
    if (!used.count(f.name))
      c.report("Fragment " + q(f.name) + " is never used.", {f.loc});
  // cycles: depth-first with an explicit path; each fragment is entered once
  std::set<std::string> visited;
  std::vector<std::pair<std::string, location>> path;
  std::map<std::string, std::size_t> on_path;
  std::function<void(const fragment_definition&)> visit =
    [&](const fragment_definition& f) {
      if (!visited.insert(f.name).second || c.full())
        return;
      if (path.size() > max_spread_depth) {
        c.report("Fragment spreads are nested more than " +
                   std::to_string(max_spread_depth) + " deep.",
                 {f.loc});
        return;
      }
      // f is path.back(): the spreads that close a cycle at f follow it
      on_path[f.name] = path.size() - 1;
      for (const auto& [n, loc] : c.uses[&f].spreads) {
        auto cyc = on_path.find(n);
        if (cyc != on_path.end()) {
          std::string via;
          std::vector<location> locs;
          for (std::size_t i = cyc->second + 1; i < path.size(); ++i) {
            via += (via.empty() ? "" : ", ") + q(path[i].first);
            locs.push_back(path[i].second);
          }
          locs.push_back(loc);
          c.report("Cannot spread fragment " + q(n) + " within itself" +
                     (via.empty() ? std::string() : " via " + via) + ".",
                   locs);
          continue;
        }
        auto it = c.fragments.find(n);
        if (it == c.fragments.end())
          continue;
        path.push_back({n, loc});
        visit(*it->second);
        path.pop_back();
      }
      on_path.erase(f.name);
    };
  for (const auto& f : c.doc.fragments) {
    path.clear();
    path.push_back({f.name, f.loc});
    visit(f);
  }
}

/// Variable usages of an operation, through the fragments it spreads.
std::vector<variable_usage> usages_of(validation_context& c,
                                      const operation_definition& op) {
  std::vector<variable_usage> out = c.uses[&op].variables;
  std::set<std::string> seen;
  std::vector<std::string> stack;
  for (const auto& [n, loc] : c.uses[&op].spreads)
    stack.push_back(n);
  while (!stack.empty()) {
    std::string n = std::move(stack.back());
    stack.pop_back();
    auto it = c.fragments.find(n);
    if (it == c.fragments.end() || !seen.insert(n).second)
      continue;
    const auto& u = c.uses[it->second];
    out.insert(out.end(), u.variables.begin(), u.variables.end());
    for (const auto& [m, loc] : u.spreads)
      stack.push_back(m);
  }
  return out;
}

void variables(validation_context& c) {
  for (const auto& op : c.doc.operations) {
    std::map<std::string, const variable_definition*> defs;
    for (const auto& v : op.variables)
      defs.try_emplace(v.name, &v);
    // one error per duplicated name, at every definition of it (graphql-js)
    std::set<std::string> dup_reported;
    for (const auto& v : op.variables) {
      if (defs[v.name] == &v || !dup_reported.insert(v.name).second)
        continue;
      std::vector<location> locs;
      for (const auto& w : op.variables)
        if (w.name == v.name)
          locs.push_back(w.name_loc);
      c.report("There can be only one variable named \"$" + v.name + "\".",
               locs);
    }
    auto uses = usages_of(c, op);
    std::set<std::string> used;
    for (const auto& u : uses) {
      used.insert(u.name);
      auto it = defs.find(u.name);
      if (it == defs.end()) {
        c.report(
          "Variable \"$" + u.name + "\" is not defined" +
            (op.name.empty() ? std::string() : " by operation " + q(op.name)) +
            ".",
          {u.loc, op.loc});
        continue;
      }
      if (u.expected.name.empty() && u.expected.k == type_ref::kind::named)
        continue; // position of unknown type: reported elsewhere
      const variable_definition& vd = *it->second;
      type_ref var_type = vd.type;
      type_ref loc_type = u.expected;
      if (loc_type.is_non_null() && !var_type.is_non_null()) {
        bool var_default =
          vd.default_value && vd.default_value->kind != value_kind::null;
        if (!var_default && !u.location_has_default) {
          c.report("Variable \"$" + u.name + "\" of type " + q(var_type.str()) +
                     " used in position expecting type " + q(loc_type.str()) +
                     ".",
                   {vd.loc, u.loc});
          continue;
        }
        loc_type = *loc_type.of;
      }
      if (!c.s.is_subtype(var_type, loc_type))
        c.report("Variable \"$" + u.name + "\" of type " + q(var_type.str()) +
                   " used in position expecting type " + q(u.expected.str()) +
                   ".",
                 {vd.loc, u.loc});
    }
    for (const auto& v : op.variables)
      if (!used.count(v.name))
        c.report(
          "Variable \"$" + v.name + "\" is never used" +
            (op.name.empty() ? std::string() : " in operation " + q(op.name)) +
            ".",
          {v.loc});
  }
}

} // namespace

void check_document_rules(validation_context& c) {
  executable_definitions(c);
  operations(c);
  fragments(c);
  variables(c);
}

} // namespace themis::graphql
