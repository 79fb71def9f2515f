#include "engine/graphql/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

namespace themis::graphql {

namespace {

constexpr std::size_t max_compared = 256;

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

/// graphql-js's LexicalDistance.measure: optimal string alignment distance
/// with an early exit once every cell of a row passes the threshold.
std::optional<std::size_t> distance(std::string_view input,
                                    const std::string& input_lower,
                                    std::string_view option,
                                    std::size_t threshold) {
  if (input == option)
    return 0;
  std::string opt_lower = lower(option);
  if (opt_lower == input_lower)
    return 1;
  std::string_view a = opt_lower, b = input_lower;
  if (a.size() < b.size())
    std::swap(a, b);
  if (a.size() - b.size() > threshold)
    return std::nullopt;
  std::vector<std::size_t> rows[3];
  for (auto& r : rows)
    r.assign(b.size() + 1, 0);
  for (std::size_t j = 0; j <= b.size(); ++j)
    rows[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    auto& up = rows[(i - 1) % 3];
    auto& cur = rows[i % 3];
    std::size_t smallest = cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t cell =
        std::min({up[j] + 1, cur[j - 1] + 1, up[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cell = std::min(cell, rows[(i - 2) % 3][j - 2] + 1);
      smallest = std::min(smallest, cell);
      cur[j] = cell;
    }
    if (smallest > threshold)
      return std::nullopt;
  }
  std::size_t d = rows[a.size() % 3][b.size()];
  if (d <= threshold)
    return d;
  return std::nullopt;
}

} // namespace

bool natural_less(const std::string& x, const std::string& y) {
  std::size_t i = 0, j = 0;
  while (i < x.size() && j < y.size()) {
    bool dx = std::isdigit(static_cast<unsigned char>(x[i])) != 0;
    bool dy = std::isdigit(static_cast<unsigned char>(y[j])) != 0;
    if (dx && dy) {
      std::size_t i2 = i, j2 = j;
      while (i2 < x.size() && std::isdigit(static_cast<unsigned char>(x[i2])))
        ++i2;
      while (j2 < y.size() && std::isdigit(static_cast<unsigned char>(y[j2])))
        ++j2;
      // compare as numbers without overflow: strip leading zeros, then
      // length, then text
      std::string_view nx(x.data() + i, i2 - i), ny(y.data() + j, j2 - j);
      nx.remove_prefix(std::min(nx.find_first_not_of('0'), nx.size()));
      ny.remove_prefix(std::min(ny.find_first_not_of('0'), ny.size()));
      if (nx.size() != ny.size())
        return nx.size() < ny.size();
      if (nx != ny)
        return nx < ny;
      i = i2;
      j = j2;
      continue;
    }
    if (x[i] != y[j])
      return static_cast<unsigned char>(x[i]) <
             static_cast<unsigned char>(y[j]);
    ++i;
    ++j;
  }
  return x.size() - i < y.size() - j;
}

std::vector<std::string>
suggestion_list(std::string_view input,
                const std::vector<std::string>& options) {
  std::vector<std::pair<std::size_t, std::string>> found;
  if (input.size() > max_compared)
    return {};
  std::string input_lower = lower(input);
  std::size_t threshold = input.size() * 4 / 10 + 1;
  std::map<std::string, bool> seen;
  for (const auto& o : options) {
    if (o.size() > max_compared || !seen.emplace(o, true).second)
      continue;
    if (auto d = distance(input, input_lower, o, threshold))
      found.emplace_back(*d, o);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) {
                     if (a.first != b.first)
                       return a.first < b.first;
                     return natural_less(a.second, b.second);
                   });
  std::vector<std::string> out;
  for (auto& f : found)
    out.push_back(std::move(f.second));
  return out;
}

std::string did_you_mean(const std::vector<std::string>& suggestions,
                         std::string_view sub_message) {
  if (suggestions.empty())
    return {};
  std::string m = " Did you mean ";
  if (!sub_message.empty())
    m += std::string(sub_message) + " ";
  auto quoted = [](const std::string& s) { return "\"" + s + "\""; };
  if (suggestions.size() == 1)
    return m + quoted(suggestions[0]) + "?";
  if (suggestions.size() == 2)
    return m + quoted(suggestions[0]) + " or " + quoted(suggestions[1]) + "?";
  std::size_t n = std::min<std::size_t>(suggestions.size(), 5);
  for (std::size_t i = 0; i + 1 < n; ++i)
    m += quoted(suggestions[i]) + ", ";
  return m + "or " + quoted(suggestions[n - 1]) + "?";
}

} // namespace themis::graphql
