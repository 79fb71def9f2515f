#include "engine/sql/sql_vector_value.hpp"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/vector/vector_math.hpp"

namespace themis::sql {

namespace {

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

/// PostgreSQL's array text of numbers: '{1, 2.5, -3e2}' (no nesting, no
/// quotes, no NULL: a vector has none).
std::string parse_pg_array(std::string_view body, size_t expected_dim,
                           std::vector<float>& out) {
  out.clear();
  body = trim(body.substr(1, body.size() - 2));
  if (body.empty())
    return "the vector is empty";
  size_t at = 0;
  while (at <= body.size()) {
    auto comma = body.find(',', at);
    auto item = trim(body.substr(at, comma == std::string_view::npos
                                       ? std::string_view::npos
                                       : comma - at));
    if (out.size() >= vector::max_dimension)
      return "the vector has more than " +
             std::to_string(vector::max_dimension) + " elements";
    std::string s(item);
    // decimal numbers only (strtod would also read hex, "inf", "nan")
    if (s.empty() ||
        s.find_first_not_of("0123456789+-.eE") != std::string::npos)
      return "element " + std::to_string(out.size() + 1) + " is not a number";
    char* end = nullptr;
    errno = 0;
    double d = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(d) ||
        std::fabs(d) > std::numeric_limits<float>::max())
      return "element " + std::to_string(out.size() + 1) +
             " is not a finite float32 number";
    out.push_back(static_cast<float>(d));
    if (comma == std::string_view::npos)
      break;
    at = comma + 1;
  }
  if (expected_dim && out.size() != expected_dim)
    return "the vector has dimension " + std::to_string(out.size()) +
           "; expected " + std::to_string(expected_dim);
  return {};
}

} // namespace

std::string parse_sql_vector(std::string_view text, size_t expected_dim,
                             std::vector<float>& out) {
  out.clear();
  if (text.size() > max_vector_text)
    return "the vector text is longer than " + std::to_string(max_vector_text) +
           " bytes";
  auto t = trim(text);
  if (t.size() >= 2 && t.front() == '{' && t.back() == '}')
    return parse_pg_array(t, expected_dim, out);
  if (t.empty() || t.front() != '[')
    return "a vector is written '[1, 2, 3]' (or '{1,2,3}')";
  // a flat array of numbers: nesting is refused before the parser could
  // recurse (hostile depth)
  if (t.find('[', 1) != std::string_view::npos ||
      t.find('{') != std::string_view::npos)
    return "a vector is a flat array of numbers";
  auto j = nlohmann::json::parse(t, nullptr, false);
  if (j.is_discarded())
    return "a vector is written '[1, 2, 3]' (or '{1,2,3}')";
  return vector::parse_vector(j, expected_dim, out);
}

std::string stored_collection_name(const std::string& name,
                                   const std::string& ns, bool all_namespaces) {
  if (name.empty() || name.size() > 512)
    return {};
  if (name.find('.') != std::string::npos)
    return ns.empty() && all_namespaces ? name : std::string();
  return ns + name;
}

} // namespace themis::sql
