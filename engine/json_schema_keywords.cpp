#include "engine/json_schema_keywords.hpp"

#include <algorithm>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <type_traits>

#include <nlohmann/json.hpp>
#include <re2/re2.h>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/internal/adapter.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>

namespace themis::engine {

namespace {

using json = nlohmann::json;
using valijson::ValidationResults;
using valijson::adapters::Adapter;

constexpr const char* kw_pattern = "x-themis-pattern";
constexpr const char* kw_format = "x-themis-format";
constexpr const char* kw_unique = "x-themis-unique-items";
constexpr const char* kw_names = "x-themis-property-names";

// -- the schema walk ---------------------------------------------------------

/// Keywords whose value is one subschema, a list of them, or a map of them.
bool one_schema(const std::string& k) {
  return k == "additionalProperties" || k == "additionalItems" ||
         k == "contains" || k == "not" || k == "if" || k == "then" ||
         k == "else" || k == "items";
}
bool schema_list(const std::string& k) {
  return k == "allOf" || k == "anyOf" || k == "oneOf" || k == "items";
}
bool schema_map(const std::string& k) {
  return k == "properties" || k == "definitions" || k == "$defs" ||
         k == "dependencies";
}

std::string escape_token(const std::string& t) {
  std::string out;
  for (char c : t)
    out += c == '~' ? std::string("~0") : c == '/' ? "~1" : std::string(1, c);
  return out;
}

std::string walk(json& s, const std::string& at, const schema_limits& lim) {
  if (s.is_boolean())
    return {};
  if (!s.is_object())
    return at + ": a schema must be an object or a boolean";
  json renamed = json::object();
  for (auto it = s.begin(); it != s.end(); ++it) {
    auto& k = it.key();
    auto& v = it.value();
    auto here = at + "/" + escape_token(k);
    if (k == "$ref")
      return here + ": $ref is not supported in a collection schema";
    if (k == "patternProperties")
      return here + ": patternProperties is not supported in a collection "
                    "schema (use propertyNames with a pattern)";
    if (k == "pattern") {
      if (!v.is_string())
        return here + ": must be a string";
      auto& p = v.get_ref<const std::string&>();
      if (p.size() > lim.max_pattern_bytes)
        return here + ": longer than " + std::to_string(lim.max_pattern_bytes) +
               " bytes";
      RE2::Options o;
      o.set_log_errors(false);
      RE2 re(p, o);
      if (!re.ok())
        return here + ": not supported (RE2 syntax: no look-around or "
                      "back-references): " + re.error();
      renamed[kw_pattern] = v;
      continue;
    }
    if (k == "format" && v.is_string()) {
      renamed[kw_format] = v;
      continue;
    }
    if (k == "uniqueItems") {
      if (!v.is_boolean())
        return here + ": must be a boolean";
      if (v.get<bool>())
        renamed[kw_unique] = true;
      continue;
    }
    if (k == "propertyNames") {
      // valijson 1.0 accepts propertyNames but never fails it: ours
      // validates each name against the subschema, compiled on its own
      json copy = v;
      if (auto e = walk(copy, here, lim); !e.empty())
        return e;
      renamed[kw_names] = std::move(v);
      continue;
    }
    if (schema_list(k) && v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i)
        if (auto e = walk(v[i], here + "/" + std::to_string(i), lim);
            !e.empty())
          return e;
    } else if (one_schema(k)) {
      if (auto e = walk(v, here, lim); !e.empty())
        return e;
    } else if (schema_map(k)) {
      if (!v.is_object())
        return here + ": must be an object";
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (k == "dependencies" && m.value().is_array())
          continue; // property dependencies: a list of names
        if (auto e = walk(m.value(), here + "/" + escape_token(m.key()), lim);
            !e.empty())
          return e;
      }
    }
    renamed[k] = std::move(v);
  }
  s = std::move(renamed);
  return {};
}

// -- the constraints ---------------------------------------------------------

/// Base of our keywords: valijson clones constraints into its own memory.
template <class Derived>
class safe_constraint : public valijson::constraints::PolyConstraint {
  Constraint* cloneInto(void* p) const override {
    return new (p) Derived(static_cast<const Derived&>(*this));
  }
  size_t sizeOf() const override { return sizeof(Derived); }
};

class pattern_constraint final : public safe_constraint<pattern_constraint> {
public:
  explicit pattern_constraint(const std::string& p) :
    source_(p), re_(std::make_shared<RE2>(p, quiet())) {}

  bool validate(const Adapter& target, const std::vector<std::string>& context,
                ValidationResults* results) const override {
    if (!target.isString())
      return true;
    if (RE2::PartialMatch(target.getString(), *re_))
      return true;
    if (results)
      results->pushError(context, "Failed to match regex specified by "
                                  "'pattern' constraint: " + source_);
    return false;
  }

private:
  static RE2::Options quiet() {
    RE2::Options o;
    o.set_log_errors(false);
    return o;
  }
  std::string source_;
  std::shared_ptr<const RE2> re_;
};

class format_constraint final : public safe_constraint<format_constraint> {
public:
  explicit format_constraint(std::string f) : format_(std::move(f)) {}
  bool validate(const Adapter& target, const std::vector<std::string>& context,
                ValidationResults* results) const override {
    if (!target.isString() || format_holds(format_, target.getString()))
      return true;
    if (results)
      results->pushError(context, "String should be a valid " + format_);
    return false;
  }

private:
  std::string format_;
};

/// A canonical text of a value: equal JSON values (1 and 1.0 included,
/// members in any order) give equal texts.
void canonical(const Adapter& a, std::string& out) {
  if (a.isNull()) {
    out += 'n';
  } else if (a.isBool()) {
    out += a.getBool() ? "t" : "f";
  } else if (a.isNumber()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "d%.17g;", a.getNumber());
    out += buf;
  } else if (a.isString()) {
    auto s = a.getString();
    out += 's' + std::to_string(s.size()) + ':' + s;
  } else if (a.isArray()) {
    out += '[';
    a.applyToArray([&](const Adapter& e) {
      canonical(e, out);
      return true;
    });
    out += ']';
  } else if (a.isObject()) {
    std::vector<std::string> members;
    a.applyToObject([&](const std::string& k, const Adapter& v) {
      std::string m = std::to_string(k.size()) + ':' + k;
      canonical(v, m);
      members.push_back(std::move(m));
      return true;
    });
    std::sort(members.begin(), members.end());
    out += '{';
    for (auto& m : members)
      out += std::to_string(m.size()) + ':' + m;
    out += '}';
  }
}

class unique_constraint final : public safe_constraint<unique_constraint> {
public:
  bool validate(const Adapter& target, const std::vector<std::string>& context,
                ValidationResults* results) const override {
    if (!target.isArray())
      return true;
    std::vector<std::string> items;
    target.applyToArray([&](const Adapter& e) {
      items.emplace_back();
      canonical(e, items.back());
      return true;
    });
    std::sort(items.begin(), items.end());
    if (std::adjacent_find(items.begin(), items.end()) == items.end())
      return true;
    if (results)
      results->pushError(context, "Elements of array must be unique");
    return false;
  }
};

/// The subschema as JSON again (valijson hands builders an adapter);
/// bounded by the schema's depth limit, checked before.
json to_json(const Adapter& a) {
  if (a.isObject()) {
    json o = json::object();
    a.applyToObject([&](const std::string& k, const Adapter& v) {
      o[k] = to_json(v);
      return true;
    });
    return o;
  }
  if (a.isArray()) {
    json arr = json::array();
    a.applyToArray([&](const Adapter& v) {
      arr.push_back(to_json(v));
      return true;
    });
    return arr;
  }
  if (a.isBool())
    return a.getBool();
  if (a.isInteger())
    return a.getInteger();
  if (a.isNumber())
    return a.getNumber();
  if (a.isString())
    return a.getString();
  return nullptr;
}

class names_constraint final : public safe_constraint<names_constraint> {
public:
  explicit names_constraint(const Adapter& sub) {
    std::string err;
    schema_ = json_schema::compile_untrusted(to_json(sub), schema_limits{}, err);
    if (!schema_)
      throw std::invalid_argument("propertyNames: " + err);
  }
  bool validate(const Adapter& target, const std::vector<std::string>& context,
                ValidationResults* results) const override {
    if (!target.isObject())
      return true;
    bool ok = true;
    target.applyToObject([&](const std::string& name, const Adapter&) {
      auto v = schema_->violations(json(name), "name", 1);
      if (v.empty())
        return true;
      ok = false;
      if (results)
        results->pushError(context, "Property name '" + name.substr(0, 64) +
                                      "' is not allowed: " +
                                      v[0]["detail"].get<std::string>());
      return results != nullptr; // go on only to list them all
    });
    return ok;
  }

private:
  std::shared_ptr<const json_schema> schema_;
};

template <class C, bool with_string>
class builder final : public valijson::ConstraintBuilder {
  valijson::constraints::Constraint* make(const Adapter& v) const override {
    if constexpr (std::is_same_v<C, names_constraint>)
      return new C(v);
    else if constexpr (with_string)
      return new C(v.getString());
    else
      return new C();
  }
};

} // namespace

std::string make_schema_safe(json& schema, const schema_limits& limits) {
  return walk(schema, "#", limits);
}

void add_safe_keywords(valijson::SchemaParser& parser) {
  parser.addConstraintBuilder(kw_pattern,
                              new builder<pattern_constraint, true>());
  parser.addConstraintBuilder(kw_format, new builder<format_constraint, true>());
  parser.addConstraintBuilder(kw_unique, new builder<unique_constraint, false>());
  parser.addConstraintBuilder(kw_names, new builder<names_constraint, false>());
}

} // namespace themis::engine
