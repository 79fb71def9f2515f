#include "engine/graphql/values.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace themis::graphql {

namespace {

using json = nlohmann::json;

std::string quoted(const std::string& s) {
  return json(s).dump();
}

bool int32_of(const json& v, std::int64_t& out) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT32_MAX))
        return false;
      out = static_cast<std::int64_t>(u);
    } else {
      out = v.get<std::int64_t>();
    }
  } else if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 3e9)
      return false;
    out = static_cast<std::int64_t>(d);
  } else {
    return false;
  }
  return out >= INT32_MIN && out <= INT32_MAX;
}

/// A literal converted without a type (custom scalars such as JSON).
json literal_to_json(const value& v) {
  switch (v.kind) {
    case value_kind::int_: {
      std::int64_t i = 0;
      auto [p, ec] =
        std::from_chars(v.text.data(), v.text.data() + v.text.size(), i);
      if (ec == std::errc() && p == v.text.data() + v.text.size())
        return i;
      return std::strtod(v.text.c_str(), nullptr);
    }
    case value_kind::float_:
      return std::strtod(v.text.c_str(), nullptr);
    case value_kind::string:
    case value_kind::enum_:
      return v.text;
    case value_kind::boolean:
      return v.boolean;
    case value_kind::null:
    case value_kind::variable:
      return nullptr;
    case value_kind::list: {
      json a = json::array();
      for (const auto& i : v.items)
        a.push_back(literal_to_json(i));
      return a;
    }
    case value_kind::object: {
      json o = json::object();
      for (const auto& i : v.items)
        o[i.name] = literal_to_json(i);
      return o;
    }
  }
  return nullptr;
}

std::optional<json> expected(const type_ref& t, const value& v,
                             std::string& why, const std::string& detail = {}) {
  why = "Expected value of type \"" + t.str() + "\", found " +
        print_ast_value(v) + (detail.empty() ? "." : "; " + detail);
  return std::nullopt;
}

std::optional<json> coerce_scalar_literal(const type_def& td, const value& v,
                                          const type_ref& t, std::string& why) {
  const std::string& n = td.name;
  if (n == "Int") {
    if (v.kind != value_kind::int_)
      return expected(t, v, why,
                      "Int cannot represent non-integer value: " +
                        print_ast_value(v));
    std::int64_t i = 0;
    auto [p, ec] =
      std::from_chars(v.text.data(), v.text.data() + v.text.size(), i);
    if (ec != std::errc() || i < INT32_MIN || i > INT32_MAX)
      return expected(t, v, why,
                      "Int cannot represent non 32-bit signed integer value: " +
                        v.text);
    return json(i);
  }
  if (n == "Float") {
    if (v.kind != value_kind::int_ && v.kind != value_kind::float_)
      return expected(t, v, why,
                      "Float cannot represent non numeric value: " +
                        print_ast_value(v));
    double d = std::strtod(v.text.c_str(), nullptr);
    if (!std::isfinite(d))
      return expected(t, v, why, "Float cannot represent value: " + v.text);
    return json(d);
  }
  if (n == "String") {
    if (v.kind != value_kind::string)
      return expected(t, v, why,
                      "String cannot represent a non string value: " +
                        print_ast_value(v));
    return json(v.text);
  }
  if (n == "Boolean") {
    if (v.kind != value_kind::boolean)
      return expected(t, v, why,
                      "Boolean cannot represent a non boolean value: " +
                        print_ast_value(v));
    return json(v.boolean);
  }
  if (n == "ID") {
    if (v.kind != value_kind::string && v.kind != value_kind::int_)
      return expected(t, v, why,
                      "ID cannot represent a non-string and non-integer "
                      "value: " +
                        print_ast_value(v));
    return json(v.text);
  }
  json raw = literal_to_json(v);
  if (td.parse_value) {
    auto r = td.parse_value(raw);
    if (!r)
      return expected(t, v, why);
    return r;
  }
  return raw;
}

} // namespace

std::string print_ast_value(const value& v) {
  switch (v.kind) {
    case value_kind::variable:
      return "$" + v.text;
    case value_kind::int_:
    case value_kind::float_:
    case value_kind::enum_:
      return v.text;
    case value_kind::string:
      return quoted(v.text);
    case value_kind::boolean:
      return v.boolean ? "true" : "false";
    case value_kind::null:
      return "null";
    case value_kind::list: {
      std::string s = "[";
      for (std::size_t i = 0; i < v.items.size(); ++i)
        s += (i ? ", " : "") + print_ast_value(v.items[i]);
      return s + "]";
    }
    case value_kind::object: {
      std::string s = "{";
      for (std::size_t i = 0; i < v.items.size(); ++i)
        s += (i ? ", " : "") + v.items[i].name + ": " +
             print_ast_value(v.items[i]);
      return s + "}";
    }
  }
  return "null";
}

std::optional<json> coerce_literal(const schema& s, const value& v,
                                   const type_ref& t, const json* variables,
                                   std::string& why) {
  if (v.kind == value_kind::variable) {
    if (!variables)
      return json(nullptr); // checked by VariablesInAllowedPosition
    auto it = variables->find(v.text);
    if (it == variables->end()) {
      if (t.is_non_null())
        return expected(t, v, why);
      return json(nullptr);
    }
    if (it->is_null() && t.is_non_null())
      return expected(t, v, why);
    return *it;
  }
  if (t.is_non_null()) {
    if (v.kind == value_kind::null)
      return expected(t, v, why);
    return coerce_literal(s, v, *t.of, variables, why);
  }
  if (v.kind == value_kind::null)
    return json(nullptr);
  if (t.is_list()) {
    json out = json::array();
    if (v.kind == value_kind::list) {
      for (const auto& item : v.items) {
        auto c = coerce_literal(s, item, *t.of, variables, why);
        if (!c)
          return std::nullopt;
        out.push_back(std::move(*c));
      }
      return out;
    }
    auto c = coerce_literal(s, v, *t.of, variables, why);
    if (!c)
      return std::nullopt;
    out.push_back(std::move(*c));
    return out;
  }
  const type_def* td = s.find(t.name);
  if (!td)
    return expected(t, v, why);
  switch (td->kind) {
    case type_kind::scalar:
      return coerce_scalar_literal(*td, v, t, why);
    case type_kind::enum_:
      if (v.kind != value_kind::enum_)
        return expected(
          t, v, why,
          "Enum \"" + td->name +
            "\" cannot represent non-enum value: " + print_ast_value(v) + ".");
      if (!td->enum_value(v.text))
        return expected(t, v, why,
                        "Value \"" + v.text + "\" does not exist in \"" +
                          td->name + "\" enum.");
      return json(v.text);
    case type_kind::input_object: {
      if (v.kind != value_kind::object)
        return expected(t, v, why);
      json out = json::object();
      for (const auto& f : v.items) {
        if (!td->input_field(f.name)) {
          why = "Field \"" + f.name + "\" is not defined by type \"" +
                td->name + "\".";
          return std::nullopt;
        }
      }
      for (const auto& fd : td->input_fields) {
        const value* fv = nullptr;
        for (const auto& f : v.items)
          if (f.name == fd.name)
            fv = &f;
        bool absent = !fv || (fv->kind == value_kind::variable && variables &&
                              !variables->contains(fv->text));
        if (absent) {
          if (fd.default_value)
            out[fd.name] = *fd.default_value;
          else if (fd.type.is_non_null() && !fv) {
            why = "Field \"" + td->name + "." + fd.name +
                  "\" of required type \"" + fd.type.str() +
                  "\" was not provided.";
            return std::nullopt;
          }
          continue;
        }
        auto c = coerce_literal(s, *fv, fd.type, variables, why);
        if (!c)
          return std::nullopt;
        out[fd.name] = std::move(*c);
      }
      return out;
    }
    default:
      return expected(t, v, why);
  }
}

std::optional<json> coerce_json_input(const schema& s, const json& v,
                                      const type_ref& t, std::string& why) {
  if (t.is_non_null()) {
    if (v.is_null()) {
      why = "Expected non-nullable type \"" + t.str() + "\" not to be null.";
      return std::nullopt;
    }
    return coerce_json_input(s, v, *t.of, why);
  }
  if (v.is_null())
    return json(nullptr);
  if (t.is_list()) {
    json out = json::array();
    if (v.is_array()) {
      for (const auto& item : v) {
        auto c = coerce_json_input(s, item, *t.of, why);
        if (!c)
          return std::nullopt;
        out.push_back(std::move(*c));
      }
      return out;
    }
    auto c = coerce_json_input(s, v, *t.of, why);
    if (!c)
      return std::nullopt;
    out.push_back(std::move(*c));
    return out;
  }
  const type_def* td = s.find(t.name);
  if (!td) {
    why = "Unknown type \"" + t.name + "\".";
    return std::nullopt;
  }
  const std::string& n = td->name;
  auto bad = [&](const std::string& m) -> std::optional<json> {
    why = m + v.dump();
    return std::nullopt;
  };
  if (td->kind == type_kind::scalar) {
    if (n == "Int") {
      std::int64_t i = 0;
      if (!int32_of(v, i))
        return bad(v.is_number() ? "Int cannot represent non 32-bit signed "
                                   "integer value: "
                                 : "Int cannot represent non-integer value: ");
      return json(i);
    }
    if (n == "Float") {
      if (!v.is_number())
        return bad("Float cannot represent non numeric value: ");
      return json(v.get<double>());
    }
    if (n == "String") {
      if (!v.is_string())
        return bad("String cannot represent a non string value: ");
      return v;
    }
    if (n == "Boolean") {
      if (!v.is_boolean())
        return bad("Boolean cannot represent a non boolean value: ");
      return v;
    }
    if (n == "ID") {
      if (v.is_string())
        return v;
      if (v.is_number_integer())
        return json(v.dump());
      return bad("ID cannot represent value: ");
    }
    if (td->parse_value) {
      auto r = td->parse_value(v);
      if (!r)
        return bad("Expected type \"" + n + "\", found ");
      return r;
    }
    return v;
  }
  if (td->kind == type_kind::enum_) {
    if (!v.is_string() || !td->enum_value(v.get<std::string>()))
      return bad("Value does not exist in \"" + n + "\" enum: ");
    return v;
  }
  if (td->kind == type_kind::input_object) {
    if (!v.is_object()) {
      why = "Expected type \"" + n + "\" to be an object.";
      return std::nullopt;
    }
    for (const auto& [k, _] : v.items()) {
      if (!td->input_field(k)) {
        why = "Field \"" + k + "\" is not defined by type \"" + n + "\".";
        return std::nullopt;
      }
    }
    json out = json::object();
    for (const auto& fd : td->input_fields) {
      auto it = v.find(fd.name);
      if (it == v.end()) {
        if (fd.default_value)
          out[fd.name] = *fd.default_value;
        else if (fd.type.is_non_null()) {
          why = "Field \"" + fd.name + "\" of required type \"" +
                fd.type.str() + "\" was not provided.";
          return std::nullopt;
        }
        continue;
      }
      auto c = coerce_json_input(s, *it, fd.type, why);
      if (!c) {
        why = "At \"" + fd.name + "\": " + why;
        return std::nullopt;
      }
      out[fd.name] = std::move(*c);
    }
    return out;
  }
  why = "\"" + n + "\" is not an input type.";
  return std::nullopt;
}

std::optional<json> serialize_leaf(const type_def& td, const json& v,
                                   std::string& why) {
  const std::string& n = td.name;
  auto bad = [&](const std::string& m) -> std::optional<json> {
    why = m + v.dump();
    return std::nullopt;
  };
  if (td.kind == type_kind::enum_) {
    if (v.is_string() && td.enum_value(v.get<std::string>()))
      return v;
    return bad("Enum \"" + n + "\" cannot represent value: ");
  }
  if (n == "Int") {
    std::int64_t i = 0;
    if (v.is_boolean())
      return json(v.get<bool>() ? 1 : 0);
    if (!int32_of(v, i))
      return bad(v.is_number() ? "Int cannot represent non 32-bit signed "
                                 "integer value: "
                               : "Int cannot represent non-integer value: ");
    return json(i);
  }
  if (n == "Float") {
    if (v.is_boolean())
      return json(v.get<bool>() ? 1.0 : 0.0);
    if (!v.is_number())
      return bad("Float cannot represent non numeric value: ");
    return json(v.get<double>());
  }
  if (n == "String") {
    if (v.is_string())
      return v;
    if (v.is_number() || v.is_boolean())
      return json(v.dump());
    return bad("String cannot represent value: ");
  }
  if (n == "Boolean") {
    if (v.is_boolean())
      return v;
    if (v.is_number())
      return json(v.get<double>() != 0);
    return bad("Boolean cannot represent a non boolean value: ");
  }
  if (n == "ID") {
    if (v.is_string())
      return v;
    if (v.is_number_integer())
      return json(v.dump());
    return bad("ID cannot represent value: ");
  }
  if (td.serialize) {
    auto r = td.serialize(v);
    if (!r)
      return bad("\"" + n + "\" cannot represent value: ");
    return r;
  }
  return v;
}

std::string print_literal(const schema& s, const json& v, const type_ref& t) {
  if (t.is_non_null())
    return print_literal(s, v, *t.of);
  if (v.is_null())
    return "null";
  if (t.is_list()) {
    if (!v.is_array())
      return print_literal(s, v, *t.of);
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
      out += (i ? ", " : "") + print_literal(s, v[i], *t.of);
    return out + "]";
  }
  const type_def* td = s.find(t.name);
  if (td && td->kind == type_kind::enum_ && v.is_string())
    return v.get<std::string>();
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, fv] : v.items()) {
      const input_value_def* fd = td ? td->input_field(k) : nullptr;
      out += (first ? "" : ", ") + k + ": " +
             (fd ? print_literal(s, fv, fd->type)
                 : print_literal(s, fv, type_ref::named_type("")));
      first = false;
    }
    return out + "}";
  }
  if (v.is_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
      out += (i ? ", " : "") + print_literal(s, v[i], type_ref::named_type(""));
    return out + "]";
  }
  return v.dump();
}

} // namespace themis::graphql
