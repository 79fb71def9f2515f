#include "engine/search/doc_filter.hpp"

#include "engine/search/index_def.hpp"

namespace themis::search {

namespace {

using json = nlohmann::json;

/// -1, 0, 1 for comparable values (numbers with numbers, strings with
/// strings); 2 when they cannot be ordered.
int order(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    auto& x = a.get_ref<const std::string&>();
    auto& y = b.get_ref<const std::string&>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return 2;
}

bool equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number())
    return a.get<double>() == b.get<double>();
  return a == b;
}

} // namespace

std::string parse_filter(const json& j, std::vector<condition>& out) {
  out.clear();
  if (j.is_null())
    return {};
  if (j.is_object()) {
    if (j.size() > max_filter_conditions)
      return "the filter has more than " +
             std::to_string(max_filter_conditions) + " conditions";
    for (auto& [k, v] : j.items()) {
      if (!valid_attribute(k) && k != "_key")
        return "filter field '" + k + "' is not a valid attribute path";
      out.push_back({k, condition::op::eq, v, nullptr, nullptr});
    }
    return {};
  }
  if (!j.is_array())
    return "'filter' must be an object {field: value} or an array of "
           "conditions";
  if (j.size() > max_filter_conditions)
    return "the filter has more than " + std::to_string(max_filter_conditions) +
           " conditions";
  for (auto& c : j) {
    if (!c.is_object() || !c.contains("field") || !c["field"].is_string())
      return "each filter condition needs a string 'field'";
    condition d;
    d.field = c["field"].get<std::string>();
    if (!valid_attribute(d.field) && d.field != "_key")
      return "filter field '" + d.field + "' is not a valid attribute path";
    std::string op = c.value("op", std::string("EQ"));
    for (auto& ch : op)
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    using o = condition::op;
    if (op == "EQ" || op == "EQUALS" || op == "==")
      d.kind = o::eq;
    else if (op == "NE" || op == "NOT_EQUALS" || op == "!=")
      d.kind = o::ne;
    else if (op == "GT" || op == "GREATER_THAN" || op == ">")
      d.kind = o::gt;
    else if (op == "GTE" || op == "GREATER_EQUAL" || op == ">=")
      d.kind = o::gte;
    else if (op == "LT" || op == "LESS_THAN" || op == "<")
      d.kind = o::lt;
    else if (op == "LTE" || op == "LESS_EQUAL" || op == "<=")
      d.kind = o::lte;
    else if (op == "IN")
      d.kind = o::in;
    else if (op == "RANGE")
      d.kind = o::range;
    else if (op == "CONTAINS")
      d.kind = o::contains;
    else
      return "unknown filter op '" + op + "'";
    if (d.kind == o::in) {
      auto it = c.find("values");
      if (it == c.end())
        it = c.find("value");
      if (it == c.end() || !it->is_array() || it->size() > 1000)
        return "IN needs 'values': an array of at most 1000 values";
      d.value = *it;
    } else if (d.kind == o::range) {
      d.lo = c.value("min", json());
      d.hi = c.value("max", json());
      if (d.lo.is_null() && d.hi.is_null())
        return "RANGE needs 'min' and/or 'max'";
    } else {
      if (!c.contains("value"))
        return "filter op " + op + " needs a 'value'";
      d.value = c["value"];
      if (d.kind == o::contains && !d.value.is_string())
        return "CONTAINS needs a string 'value'";
    }
    out.push_back(std::move(d));
  }
  return {};
}

bool matches(const json& doc, const std::vector<condition>& conds) {
  static const json null_value;
  using o = condition::op;
  for (auto& c : conds) {
    const json* v = attribute_of(doc, c.field);
    const json& x = v ? *v : null_value;
    bool ok = false;
    switch (c.kind) {
      case o::eq:
        ok = equal(x, c.value);
        break;
      case o::ne:
        ok = !equal(x, c.value);
        break;
      case o::gt:
        ok = order(x, c.value) == 1;
        break;
      case o::gte: {
        int r = order(x, c.value);
        ok = r == 1 || r == 0;
        break;
      }
      case o::lt:
        ok = order(x, c.value) == -1;
        break;
      case o::lte: {
        int r = order(x, c.value);
        ok = r == -1 || r == 0;
        break;
      }
      case o::in:
        for (auto& e : c.value)
          if (equal(x, e))
            ok = true;
        break;
      case o::range: {
        int a = c.lo.is_null() ? 1 : order(x, c.lo);
        int b = c.hi.is_null() ? -1 : order(x, c.hi);
        ok = (a == 1 || a == 0) && (b == -1 || b == 0);
        break;
      }
      case o::contains:
        ok = x.is_string() &&
             x.get_ref<const std::string&>().find(
               c.value.get_ref<const std::string&>()) != std::string::npos;
        break;
    }
    if (!ok)
      return false;
  }
  return true;
}

} // namespace themis::search
