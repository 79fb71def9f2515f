#include "handlers/graphql_filter.hpp"

#include <map>

namespace themis::gql {

namespace {

using json = nlohmann::json;

/// The comparison operators and their AQL spelling.
const std::map<std::string, std::string>& comparisons() {
  static const std::map<std::string, std::string> m = {
    {"eq", "=="}, {"ne", "!="},  {"gt", ">"},  {"gte", ">="},
    {"lt", "<"},  {"lte", "<="}, {"in", "IN"}, {"nin", "NOT IN"}};
  return m;
}

/// One translation: counts nodes, names bind parameters.
struct translator {
  const std::string& var;
  const filter_limits& lim;
  json binds = json::object();
  size_t nodes = 0;
  std::string error;

  bool fail(std::string why) {
    if (error.empty())
      error = std::move(why);
    return false;
  }

  std::string bind(const json& v) {
    auto name = "gf" + std::to_string(binds.size());
    binds[name] = v;
    return "@" + name;
  }

  bool count() {
    if (++nodes > lim.max_nodes)
      return fail("filter: more than " + std::to_string(lim.max_nodes) +
                  " conditions");
    return true;
  }

  /// An object of field conditions and combinators, ANDed.
  bool object(const json& f, size_t depth, std::string& out) {
    if (depth > lim.max_depth)
      return fail("filter: nested deeper than " +
                  std::to_string(lim.max_depth));
    if (!f.is_object())
      return fail("filter: expected an object of field conditions");
    std::string all;
    for (auto& [k, v] : f.items()) {
      if (!count())
        return false;
      std::string one;
      if (k == "_and" || k == "_or") {
        if (!v.is_array() || v.empty())
          return fail("filter: " + k + " expects a non-empty list of objects");
        std::string parts;
        for (auto& sub : v) {
          std::string s;
          if (!object(sub, depth + 1, s))
            return false;
          if (s.empty())
            s = "true";
          parts += (parts.empty() ? "" : (k == "_and" ? " && " : " || ")) + s;
        }
        one = "(" + parts + ")";
      } else if (k == "_not") {
        std::string s;
        if (!object(v, depth + 1, s))
          return false;
        one = "!(" + (s.empty() ? std::string("true") : s) + ")";
      } else {
        if (!field(k, v, depth + 1, one))
          return false;
      }
      all += (all.empty() ? "" : " && ") + one;
    }
    out = all;
    return true;
  }

  /// `path: value` (equality) or `path: {op: value, …}`.
  bool field(const std::string& path, const json& v, size_t depth,
             std::string& out) {
    auto access = field_path(path, var, lim.max_path);
    if (!access)
      return fail("filter: invalid field path '" + path.substr(0, 64) + "'");
    if (!v.is_object()) {
      out = *access + " == " + bind(v);
      return true;
    }
    if (depth > lim.max_depth)
      return fail("filter: nested deeper than " +
                  std::to_string(lim.max_depth));
    if (v.empty())
      return fail("filter: no operator for '" + path.substr(0, 64) + "'");
    std::string all;
    for (auto& [op, arg] : v.items()) {
      if (!count())
        return false;
      std::string one;
      if (op == "like") {
        if (!arg.is_string())
          return fail("filter: like expects a string pattern");
        one = "LIKE(" + *access + ", " + bind(arg) + ")";
      } else if (op == "exists") {
        if (!arg.is_boolean())
          return fail("filter: exists expects true or false");
        one = *access + (arg.get<bool>() ? " != null" : " == null");
      } else if (auto it = comparisons().find(op); it != comparisons().end()) {
        bool list = op == "in" || op == "nin";
        if (list && (!arg.is_array() || arg.size() > lim.max_in))
          return fail("filter: " + op + " expects a list of at most " +
                      std::to_string(lim.max_in) + " values");
        one = *access + " " + it->second + " " + bind(arg);
      } else {
        return fail("filter: unknown operator '" + op.substr(0, 32) +
                    "' (eq ne gt gte lt lte in nin like exists)");
      }
      all += (all.empty() ? "" : " && ") + one;
    }
    out = v.size() > 1 ? "(" + all + ")" : all;
    return true;
  }
};

} // namespace

std::optional<std::string>
field_path(const std::string& path, const std::string& var, size_t max_bytes) {
  if (path.empty() || path.size() > max_bytes)
    return std::nullopt;
  std::string out = var;
  size_t i = 0;
  while (i <= path.size()) {
    auto dot = path.find('.', i);
    if (dot == std::string::npos)
      dot = path.size();
    auto seg = path.substr(i, dot - i);
    if (seg.empty())
      return std::nullopt;
    for (unsigned char c : seg)
      if (c == '`' || c == '\\' || c < 0x20 || c == 0x7f)
        return std::nullopt;
    out += ".`" + seg + "`";
    i = dot + 1;
  }
  return out;
}

aql_condition filter_to_aql(const json& filter, const std::string& var,
                            const filter_limits& limits) {
  aql_condition r;
  if (filter.is_null())
    return r;
  translator t{var, limits};
  std::string text;
  if (!t.object(filter, 1, text)) {
    r.error = t.error;
    return r;
  }
  r.text = std::move(text);
  r.binds = std::move(t.binds);
  return r;
}

std::string sort_to_aql(const json& sort, const std::string& var, bool reverse,
                        std::string& error, size_t max_keys) {
  auto dir = [&](bool desc) { return (desc != reverse) ? " DESC" : " ASC"; };
  std::string out;
  if (!sort.is_null()) {
    if (!sort.is_array() || sort.size() > max_keys) {
      error = "sort: expected a list of at most " + std::to_string(max_keys) +
              " {field, direction}";
      return {};
    }
    for (auto& s : sort) {
      if (!s.is_object() || !s.contains("field") || !s["field"].is_string()) {
        error = "sort: each entry needs a string field";
        return {};
      }
      auto path = field_path(s["field"].get<std::string>(), var);
      if (!path) {
        error = "sort: invalid field path";
        return {};
      }
      bool desc = false;
      if (auto d = s.find("direction"); d != s.end() && !d->is_null()) {
        if (!d->is_string() || (*d != "ASC" && *d != "DESC")) {
          error = "sort: direction is ASC or DESC";
          return {};
        }
        desc = *d == "DESC";
      }
      out += (out.empty() ? "" : ", ") + *path + dir(desc);
    }
  }
  out += (out.empty() ? "" : ", ") + var + "._key" + dir(false);
  return out;
}

} // namespace themis::gql
