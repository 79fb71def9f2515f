#include "engine/aql/functions.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions_impl.hpp"

namespace themis::aql {

namespace fn {

const json& arg(const args_t& args, size_t i) {
  static const json null_value;
  return i < args.size() ? args[i] : null_value;
}

bool arg_bool(const args_t& args, size_t i, bool def) {
  return i < args.size() ? truthy(args[i]) : def;
}

int64_t to_int64(const json& v) {
  if (v.is_number_integer() && !v.is_number_unsigned())
    return v.get<int64_t>();
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    return u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(u);
  }
  double d = to_number(v);
  if (std::isnan(d))
    return 0;
  // 2^63 is exactly representable; anything at or beyond it clamps
  constexpr double limit = 9223372036854775808.0;
  if (d >= limit)
    return std::numeric_limits<int64_t>::max();
  if (d < -limit)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

bool json_less::operator()(const json* a, const json* b) const {
  return compare(*a, *b) < 0;
}

size_t find_in(const json& arr, const json& v) {
  for (size_t i = 0; i < arr.size(); ++i) {
    if (equals(arr[i], v))
      return i;
  }
  return SIZE_MAX;
}

} // namespace fn

namespace {

/// All families merged into one table sorted by name; built on first use
/// (thread-safe static init) so lookups are a binary search.
const std::vector<fn::entry>& table() {
  static const std::vector<fn::entry> t = [] {
    std::vector<fn::entry> all;
    for (auto family : {fn::string_functions(), fn::array_functions(),
                        fn::math_functions(), fn::document_functions(),
                        fn::misc_functions(), fn::date_functions(),
                        fn::vector_functions()}) {
      all.insert(all.end(), family.begin(), family.end());
    }
    std::sort(
      all.begin(), all.end(),
      [](const fn::entry& a, const fn::entry& b) { return a.name < b.name; });
    return all;
  }();
  return t;
}

const fn::entry* lookup(std::string_view upper_name) {
  const auto& t = table();
  auto it = std::lower_bound(
    t.begin(), t.end(), upper_name,
    [](const fn::entry& e, std::string_view n) { return e.name < n; });
  if (it == t.end() || it->name != upper_name)
    return nullptr;
  return &*it;
}

} // namespace

const function_arity* find_function(std::string_view upper_name) {
  const fn::entry* e = lookup(upper_name);
  return e ? &e->arity : nullptr;
}

json call_function(std::string_view upper_name, std::vector<json>& args) {
  const fn::entry* e = lookup(upper_name);
  if (!e) {
    throw aql_error(error_kind::unknown_function,
                    "unknown function '" + std::string(upper_name) + "'");
  }
  // The planner already checks this; repeating it keeps a direct caller
  // from reaching an implementation with an argument count it never sees.
  if (args.size() < e->arity.min || args.size() > e->arity.max) {
    throw aql_error(error_kind::semantic,
                    "invalid number of arguments for function '" +
                      std::string(upper_name) + "()'");
  }
  try {
    return e->impl(args);
  } catch (const json::exception&) {
    // A type slip inside an implementation is still a type mismatch for
    // the query: ArangoDB answers those with null plus a warning.
    return nullptr;
  }
}

} // namespace themis::aql
