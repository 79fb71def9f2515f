#include "engine/aql/value.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace themis::aql {

namespace {

/// Rank of a value in ArangoDB's type order; discarded/binary values (which
/// never come out of a query, but can be built in C++) rank as null so the
/// order stays total.
int type_rank(const json& v) {
  switch (v.type()) {
    case json::value_t::boolean:
      return 1;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return 2;
    case json::value_t::string:
      return 3;
    case json::value_t::array:
      return 4;
    case json::value_t::object:
      return 5;
    default:
      return 0;
  }
}

/// Exact comparison of two JSON numbers of any representation. long double
/// holds every int64, uint64 and double exactly on x86-64 and AArch64, so
/// mixed int/float comparisons do not round 2^53+1 onto 2^53.
int compare_numbers(const json& a, const json& b) {
  auto ta = a.type();
  auto tb = b.type();
  if (ta == json::value_t::number_unsigned &&
      tb == json::value_t::number_unsigned) {
    auto x = a.get<uint64_t>();
    auto y = b.get<uint64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (ta == json::value_t::number_integer &&
      tb == json::value_t::number_integer) {
    auto x = a.get<int64_t>();
    auto y = b.get<int64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  auto as_ld = [](const json& v) -> long double {
    switch (v.type()) {
      case json::value_t::number_unsigned:
        return static_cast<long double>(v.get<uint64_t>());
      case json::value_t::number_integer:
        return static_cast<long double>(v.get<int64_t>());
      default:
        return static_cast<long double>(v.get<double>());
    }
  };
  long double x = as_ld(a);
  long double y = as_ld(b);
  // NaN cannot come from JSON text; order it below every number so that
  // sorting stays a strict weak order.
  bool nx = std::isnan(x);
  bool ny = std::isnan(y);
  if (nx || ny)
    return nx && ny ? 0 : (nx ? -1 : 1);
  return x < y ? -1 : (x > y ? 1 : 0);
}

int compare_strings(const json& a, const json& b) {
  const auto& x = a.get_ref<const std::string&>();
  const auto& y = b.get_ref<const std::string&>();
  int c = x.compare(y); // char_traits<char>::compare is memcmp: bytewise
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int compare_arrays(const json& a, const json& b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    int c = compare(a[i], b[i]);
    if (c != 0)
      return c;
  }
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

/// ArangoDB walks the sorted union of both key sets and treats a missing
/// key as null, so {} == {"a": null}. nlohmann's object is a std::map, so
/// both key sequences are already sorted and can be merged in one pass.
int compare_objects(const json& a, const json& b) {
  static const json null_value;
  auto ia = a.begin();
  auto ea = a.end();
  auto ib = b.begin();
  auto eb = b.end();
  while (ia != ea || ib != eb) {
    int key_order;
    if (ia == ea)
      key_order = 1;
    else if (ib == eb)
      key_order = -1;
    else
      key_order = ia.key().compare(ib.key());
    int c;
    if (key_order == 0) {
      c = compare(ia.value(), ib.value());
      ++ia;
      ++ib;
    } else if (key_order < 0) {
      c = compare(ia.value(), null_value);
      ++ia;
    } else {
      c = compare(null_value, ib.value());
      ++ib;
    }
    if (c != 0)
      return c;
  }
  return 0;
}

} // namespace

int compare(const json& a, const json& b) {
  int ra = type_rank(a);
  int rb = type_rank(b);
  if (ra != rb)
    return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1: {
      bool x = a.get<bool>();
      bool y = b.get<bool>();
      return x == y ? 0 : (x ? 1 : -1);
    }
    case 2:
      return compare_numbers(a, b);
    case 3:
      return compare_strings(a, b);
    case 4:
      return compare_arrays(a, b);
    default:
      return compare_objects(a, b);
  }
}

bool equals(const json& a, const json& b) {
  return type_rank(a) == type_rank(b) && compare(a, b) == 0;
}

bool truthy(const json& v) {
  switch (v.type()) {
    case json::value_t::boolean:
      return v.get<bool>();
    case json::value_t::number_integer:
      return v.get<int64_t>() != 0;
    case json::value_t::number_unsigned:
      return v.get<uint64_t>() != 0;
    case json::value_t::number_float: {
      double d = v.get<double>();
      return d != 0 && !std::isnan(d);
    }
    case json::value_t::string:
      return !v.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return true;
    default:
      return false;
  }
}

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
         c == '\v';
}

/// Strict decimal syntax: strtod alone would also take "inf", "nan" and hex
/// floats, none of which ArangoDB treats as numeric strings.
bool parse_decimal(std::string_view s, double& out) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && is_space(s[b]))
    ++b;
  while (e > b && is_space(s[e - 1]))
    --e;
  if (b == e) {
    out = 0;
    return true;
  }
  size_t i = b;
  if (s[i] == '+' || s[i] == '-')
    ++i;
  size_t digits = 0;
  while (i < e && s[i] >= '0' && s[i] <= '9') {
    ++i;
    ++digits;
  }
  if (i < e && s[i] == '.') {
    ++i;
    while (i < e && s[i] >= '0' && s[i] <= '9') {
      ++i;
      ++digits;
    }
  }
  if (digits == 0)
    return false;
  if (i < e && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < e && (s[i] == '+' || s[i] == '-'))
      ++i;
    size_t exp_digits = 0;
    while (i < e && s[i] >= '0' && s[i] <= '9') {
      ++i;
      ++exp_digits;
    }
    if (exp_digits == 0)
      return false;
  }
  if (i != e)
    return false;
  std::string tmp(s.substr(b, e - b));
  double d = std::strtod(tmp.c_str(), nullptr);
  if (!std::isfinite(d))
    return false;
  out = d;
  return true;
}

} // namespace

double to_number(const json& v) {
  switch (v.type()) {
    case json::value_t::boolean:
      return v.get<bool>() ? 1.0 : 0.0;
    case json::value_t::number_integer:
      return static_cast<double>(v.get<int64_t>());
    case json::value_t::number_unsigned:
      return static_cast<double>(v.get<uint64_t>());
    case json::value_t::number_float: {
      double d = v.get<double>();
      return std::isfinite(d) ? d : 0.0;
    }
    case json::value_t::string: {
      double d = 0;
      return parse_decimal(v.get_ref<const std::string&>(), d) ? d : 0.0;
    }
    case json::value_t::array:
      return v.size() == 1 ? to_number(v[0]) : 0.0;
    default:
      return 0.0;
  }
}

std::string to_string(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (!std::isfinite(d))
        return "null";
      if (d == 0) // also -0.0, which JSON-wise is just 0
        return "0";
      // nlohmann prints the shortest round-trip form but marks integral
      // doubles with ".0", which AQL never shows.
      std::string s = json(d).dump();
      if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0)
        s.resize(s.size() - 2);
      return s;
    }
    case json::value_t::array:
    case json::value_t::object:
      // replace: invalid UTF-8 in a stored string must not throw here
      return v.dump(-1, ' ', false, json::error_handler_t::replace);
    default:
      return "";
  }
}

json number(double d) {
  if (!std::isfinite(d))
    return nullptr;
  constexpr double limit = 9007199254740992.0; // 2^53
  if (std::fabs(d) < limit && std::trunc(d) == d)
    return static_cast<int64_t>(d);
  return d;
}

const char* type_name(const json& v) {
  switch (type_rank(v)) {
    case 1:
      return "bool";
    case 2:
      return "number";
    case 3:
      return "string";
    case 4:
      return "array";
    case 5:
      return "object";
    default:
      return "null";
  }
}

} // namespace themis::aql
