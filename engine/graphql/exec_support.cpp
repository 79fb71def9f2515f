#include "engine/graphql/exec_support.hpp"

#include <unordered_map>

#include "engine/graphql/executor.hpp"
#include "engine/graphql/values.hpp"

namespace themis::graphql {

namespace {

using json = nlohmann::json;

bool directive_if(const directive& d, const json& variables, bool& out) {
  for (const auto& a : d.args) {
    if (a.name != "if")
      continue;
    if (a.val.kind == value_kind::boolean) {
      out = a.val.boolean;
      return true;
    }
    if (a.val.kind == value_kind::variable) {
      auto it = variables.find(a.val.text);
      if (it != variables.end() && it->is_boolean()) {
        out = it->get<bool>();
        return true;
      }
    }
  }
  return false;
}

bool fragment_applies(const schema& s, const type_def& object_type,
                      const std::string& condition) {
  if (condition.empty() || condition == object_type.name)
    return true;
  const type_def* ct = s.find(condition);
  return ct && ct->is_abstract() && s.is_possible_type(*ct, object_type);
}

void collect(const schema& s, const document& doc, const type_def& object_type,
             const selection_set& set, const json& variables,
             grouped_fields& out,
             std::unordered_map<std::string, std::size_t>& index,
             std::unordered_set<std::string>& visited) {
  for (const auto& sel : set.items) {
    if (!should_include(sel.directives, variables))
      continue;
    switch (sel.kind) {
      case selection_kind::field: {
        auto [it, fresh] = index.try_emplace(sel.response_key(), out.size());
        if (fresh)
          out.push_back({sel.response_key(), {}});
        out[it->second].second.push_back(&sel);
        break;
      }
      case selection_kind::fragment_spread: {
        if (!visited.insert(sel.name).second)
          break;
        const fragment_definition* f = doc.fragment(sel.name);
        if (!f || !fragment_applies(s, object_type, f->type_condition))
          break;
        collect(s, doc, object_type, f->selections, variables, out, index,
                visited);
        break;
      }
      case selection_kind::inline_fragment:
        if (!fragment_applies(s, object_type, sel.type_condition))
          break;
        collect(s, doc, object_type, sel.selections, variables, out, index,
                visited);
        break;
    }
  }
}

} // namespace

bool should_include(const std::vector<directive>& dirs, const json& variables) {
  for (const auto& d : dirs) {
    bool v = false;
    if (d.name == "skip" && directive_if(d, variables, v) && v)
      return false;
    if (d.name == "include" && directive_if(d, variables, v) && !v)
      return false;
  }
  return true;
}

void collect_fields(const schema& s, const document& doc,
                    const type_def& object_type,
                    const std::vector<const selection_set*>& sets,
                    const json& variables, grouped_fields& out) {
  std::unordered_map<std::string, std::size_t> index;
  std::unordered_set<std::string> visited;
  for (const auto* set : sets)
    collect(s, doc, object_type, *set, variables, out, index, visited);
}

std::optional<json> coerce_arguments(const schema& s,
                                     const std::vector<input_value_def>& defs,
                                     const std::vector<argument>& args,
                                     const json& variables, std::string& why) {
  json out = json::object();
  for (const auto& def : defs) {
    const argument* a = nullptr;
    for (const auto& x : args)
      if (x.name == def.name)
        a = &x;
    bool has_value = a != nullptr;
    if (a && a->val.kind == value_kind::variable)
      has_value = variables.contains(a->val.text);
    if (!has_value) {
      if (def.default_value) {
        out[def.name] = *def.default_value;
      } else if (def.type.is_non_null()) {
        why = "Argument \"" + def.name + "\" of required type \"" +
              def.type.str() + "\" was not provided.";
        return std::nullopt;
      }
      continue;
    }
    if (a->val.kind == value_kind::variable) {
      const json& v = variables[a->val.text];
      if (v.is_null() && def.type.is_non_null()) {
        why = "Argument \"" + def.name + "\" of non-null type \"" +
              def.type.str() + "\" must not be null.";
        return std::nullopt;
      }
      out[def.name] = v;
      continue;
    }
    std::string w;
    auto c = coerce_literal(s, a->val, def.type, &variables, w);
    if (!c) {
      why = "Argument \"" + def.name + "\" has invalid value " +
            print_ast_value(a->val) + ". " + w;
      return std::nullopt;
    }
    out[def.name] = std::move(*c);
  }
  return out;
}

const operation_definition*
select_operation(const document& doc, const std::string& name, error& err) {
  err.code = codes::operation;
  if (name.empty()) {
    if (doc.operations.size() == 1)
      return &doc.operations.front();
    err.message = doc.operations.empty()
                    ? "Must provide an operation."
                    : "Must provide operation name if query contains "
                      "multiple operations.";
    return nullptr;
  }
  for (const auto& op : doc.operations)
    if (op.name == name)
      return &op;
  err.message = "Unknown operation named \"" + name + "\".";
  return nullptr;
}

std::optional<json> coerce_variables(const schema& s,
                                     const operation_definition& op,
                                     const json& input,
                                     std::vector<error>& errors) {
  json out = json::object();
  const json empty = json::object();
  const json& in = input.is_object() ? input : empty;
  bool ok = true;
  for (const auto& vd : op.variables) {
    auto fail = [&](std::string m) {
      errors.push_back({std::move(m), {vd.loc}, nullptr, codes::bad_input});
      ok = false;
    };
    const type_def* base = s.find(vd.type.base_name());
    if (!base || !base->is_input()) {
      fail("Variable \"$" + vd.name + "\" expected value of type \"" +
           vd.type.str() + "\" which cannot be used as an input type.");
      continue;
    }
    auto it = in.find(vd.name);
    if (it == in.end()) {
      if (vd.default_value) {
        std::string why;
        auto c = coerce_literal(s, *vd.default_value, vd.type, &out, why);
        if (c)
          out[vd.name] = std::move(*c);
        else
          fail("Variable \"$" + vd.name +
               "\" has invalid default value: " + why);
      } else if (vd.type.is_non_null()) {
        fail("Variable \"$" + vd.name + "\" of required type \"" +
             vd.type.str() + "\" was not provided.");
      }
      continue;
    }
    if (it->is_null() && vd.type.is_non_null()) {
      fail("Variable \"$" + vd.name + "\" of non-null type \"" + vd.type.str() +
           "\" must not be null.");
      continue;
    }
    std::string why;
    auto c = coerce_json_input(s, *it, vd.type, why);
    if (!c) {
      fail("Variable \"$" + vd.name + "\" got invalid value " + it->dump() +
           "; " + why);
      continue;
    }
    out[vd.name] = std::move(*c);
  }
  if (!ok)
    return std::nullopt;
  return out;
}

std::optional<subscription_root>
subscription_root_field(const schema& s, const document& doc,
                        const execute_options& opts,
                        std::vector<error>& errors) {
  error e;
  const operation_definition* op =
    select_operation(doc, opts.operation_name, e);
  if (!op) {
    errors.push_back(e);
    return std::nullopt;
  }
  const type_def* root = s.subscription_type();
  if (op->op != operation_type::subscription || !root) {
    errors.push_back({"Operation is not a subscription.",
                      {op->loc},
                      nullptr,
                      codes::operation});
    return std::nullopt;
  }
  auto vars = coerce_variables(s, *op, opts.variables, errors);
  if (!vars)
    return std::nullopt;
  grouped_fields fields;
  collect_fields(s, doc, *root, {&op->selections}, *vars, fields);
  if (fields.size() != 1) {
    errors.push_back({"Subscription must select exactly one top level field.",
                      {op->loc},
                      nullptr,
                      codes::operation});
    return std::nullopt;
  }
  const selection* node = fields.front().second.front();
  const field_def* fd = root->field(node->name);
  if (!fd) {
    errors.push_back(
      {"The subscription field \"" + node->name + "\" is not defined.",
       {node->loc},
       nullptr,
       codes::operation});
    return std::nullopt;
  }
  std::string why;
  auto args = coerce_arguments(s, fd->args, node->args, *vars, why);
  if (!args) {
    errors.push_back({why,
                      {node->loc},
                      json::array({fields.front().first}),
                      codes::bad_input});
    return std::nullopt;
  }
  return subscription_root{node->name, fields.front().first, std::move(*args),
                           node};
}

} // namespace themis::graphql
