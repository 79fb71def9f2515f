/// Numeric functions and array aggregates. Scalar math converts its input
/// with TO_NUMBER rules (ArangoDB's toDouble) and turns NaN/Inf into null;
/// aggregates skip null elements and give null on any other non-number.

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions_impl.hpp"

namespace themis::aql::fn {

namespace {

/// Largest array RANGE() materialises; beyond this a query is far more
/// likely a mistake than a need, and the memory would be gone first.
constexpr uint64_t max_range_size = 10'000'000;

template <double (*op)(double)>
json rounding(args_t& a) {
  // integers are already whole; going through double would lose the low
  // bits of anything above 2^53
  if (a[0].is_number_integer())
    return a[0];
  return number(op(to_number(a[0])));
}

double round_half_up(double d) {
  return std::floor(d + 0.5);
}
double floor_fn(double d) {
  return std::floor(d);
}
double ceil_fn(double d) {
  return std::ceil(d);
}

json abs_fn(args_t& a) {
  if (a[0].is_number_unsigned())
    return a[0];
  if (a[0].is_number_integer()) {
    int64_t v = a[0].get<int64_t>();
    if (v >= 0)
      return v;
    // -INT64_MIN does not fit in int64_t but does in uint64_t
    return static_cast<uint64_t>(-(v + 1)) + 1;
  }
  return number(std::fabs(to_number(a[0])));
}

json sqrt_fn(args_t& a) {
  return number(std::sqrt(to_number(a[0])));
}

json pow_fn(args_t& a) {
  return number(std::pow(to_number(a[0]), to_number(a[1])));
}

json rand_fn(args_t&) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  return number(dist(rng));
}

template <int sign>
json extreme(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  const json* best = nullptr;
  for (const auto& v : a[0]) {
    if (v.is_null())
      continue;
    if (!best || compare(v, *best) * sign > 0)
      best = &v;
  }
  return best ? *best : json();
}

/// The numbers of an array with nulls skipped; false if anything else is in
/// it (ArangoDB then answers null).
bool collect_numbers(const json& arr, std::vector<double>& out) {
  for (const auto& v : arr) {
    if (v.is_null())
      continue;
    if (!v.is_number())
      return false;
    out.push_back(v.get<double>());
  }
  return true;
}

json sum(args_t& a) {
  if (!a[0].is_array())
    return nullptr;
  // integers add exactly while they fit, so SUM of big ids stays exact
  int64_t isum = 0;
  bool exact = true;
  for (const auto& v : a[0]) {
    if (v.is_null())
      continue;
    if (!v.is_number())
      return nullptr;
    if (exact && v.is_number_integer() &&
        (!v.is_number_unsigned() ||
         v.get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max()))) {
      exact = !__builtin_add_overflow(isum, v.get<int64_t>(), &isum);
    } else {
      exact = false;
    }
  }
  if (exact)
    return isum;
  double dsum = 0;
  for (const auto& v : a[0]) {
    if (v.is_number())
      dsum += v.get<double>();
  }
  return number(dsum);
}

json average(args_t& a) {
  std::vector<double> nums;
  if (!a[0].is_array() || !collect_numbers(a[0], nums) || nums.empty())
    return nullptr;
  double s = 0;
  for (double d : nums)
    s += d;
  return number(s / static_cast<double>(nums.size()));
}

json median(args_t& a) {
  std::vector<double> nums;
  if (!a[0].is_array() || !collect_numbers(a[0], nums) || nums.empty())
    return nullptr;
  std::sort(nums.begin(), nums.end());
  size_t mid = nums.size() / 2;
  if (nums.size() % 2 == 0)
    return number((nums[mid - 1] + nums[mid]) / 2);
  return number(nums[mid]);
}

[[noreturn]] void range_too_large() {
  throw aql_error(error_kind::limit, "RANGE() would produce more than " +
                                       std::to_string(max_range_size) +
                                       " values");
}

json range(args_t& a) {
  const json& step_v = arg(a, 2);
  if (step_v.is_null()) {
    // no step: an integer range, ascending or descending (ArangoDB's Range)
    int64_t from = to_int64(a[0]);
    int64_t to = to_int64(a[1]);
    uint64_t span = from <= to ? uint64_t(to) - uint64_t(from)
                               : uint64_t(from) - uint64_t(to);
    if (span >= max_range_size)
      range_too_large();
    json out = json::array();
    int64_t dir = from <= to ? 1 : -1;
    for (uint64_t i = 0; i <= span; ++i)
      out.push_back(from + dir * static_cast<int64_t>(i));
    return out;
  }
  double from = to_number(a[0]);
  double to = to_number(a[1]);
  double step = to_number(step_v);
  if (step == 0 || (from < to && step < 0) || (from > to && step > 0))
    return nullptr;
  double count = std::floor((to - from) / step);
  if (!(count < double(max_range_size)))
    range_too_large();
  json out = json::array();
  // ArangoDB accumulates the step, so RANGE(0, 1, 0.1) has its float drift.
  // The count bound stops a step too small to change `from` from looping.
  auto limit = static_cast<uint64_t>(count) + 2;
  for (uint64_t i = 0; i < limit && (step < 0 ? from >= to : from <= to);
       ++i, from += step)
    out.push_back(number(from));
  return out;
}

constexpr entry entries[] = {
  {"ROUND", {1, 1}, rounding<round_half_up>},
  {"FLOOR", {1, 1}, rounding<floor_fn>},
  {"CEIL", {1, 1}, rounding<ceil_fn>},
  {"ABS", {1, 1}, abs_fn},
  {"SQRT", {1, 1}, sqrt_fn},
  {"POW", {2, 2}, pow_fn},
  {"RAND", {0, 0}, rand_fn},
  {"MIN", {1, 1}, extreme<-1>},
  {"MAX", {1, 1}, extreme<1>},
  {"SUM", {1, 1}, sum},
  {"AVERAGE", {1, 1}, average},
  {"AVG", {1, 1}, average},
  {"MEDIAN", {1, 1}, median},
  {"RANGE", {2, 3}, range},
};

} // namespace

std::span<const entry> math_functions() {
  return entries;
}

} // namespace themis::aql::fn
