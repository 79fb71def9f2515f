/// PL/pgSQL functions (issue 36): the DO-block interpreter with the
/// function's parameters bound as variables (by name and as `$n`) and
/// RETURN expr kept as the result.

#include <pg_query.h>

#include "engine/sql/plpgsql_internal.hpp"

namespace themis::sql::plpgsql {

namespace detail {

void interpreter::bind_params(
  const std::vector<std::string>& names, const std::vector<std::string>& types,
  const std::vector<std::optional<std::string>>& values) {
  function_mode_ = true;
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = by_name_.find(lower(names[i]));
    if (it == by_name_.end())
      throw sql_error("XX000", "function parameter \"" + names[i] +
                                 "\" is not among the datums");
    auto& v = vars_[static_cast<size_t>(it->second)];
    v.type = i < types.size() ? types[i] : "text";
    v.value = i < values.size() ? values[i] : std::nullopt;
    v.scalar = true;
    param_varnos_.push_back(it->second);
  }
}

std::string interpreter::dollar_params(const std::string& q) {
  if (q.find('$') == std::string::npos)
    return q;
  std::string out;
  for (size_t i = 0; i < q.size(); ++i) {
    char c = q[i];
    if (c == '\'' || c == '"') { // quoted: as written
      size_t j = i + 1;
      while (j < q.size() && q[j] != c)
        ++j;
      out.append(q, i, j - i + 1);
      i = j;
      continue;
    }
    if (c == '$' && i + 1 < q.size() &&
        std::isdigit(static_cast<unsigned char>(q[i + 1])) &&
        (i == 0 || !std::isalnum(static_cast<unsigned char>(q[i - 1])))) {
      size_t j = i + 1;
      while (j < q.size() && std::isdigit(static_cast<unsigned char>(q[j])))
        ++j;
      auto k = std::stoul(q.substr(i + 1, j - i - 1));
      if (k == 0 || k > param_varnos_.size())
        throw sql_error("42P02", "there is no parameter $" + std::to_string(k));
      auto& v = vars_[static_cast<size_t>(param_varnos_[k - 1])];
      out += literal(v.value, v.type);
      i = j - 1;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

} // namespace detail

std::optional<std::string> call_function(const function_call& c, host& h) {
  auto r = pg_query_parse_plpgsql(c.source.c_str());
  struct guard {
    PgQueryPlpgsqlParseResult& r;
    ~guard() { pg_query_free_plpgsql_parse_result(r); }
  } g{r};
  if (r.error)
    throw sql_error("42601", r.error->message ? r.error->message
                                              : "syntax error in function");
  detail::json funcs;
  try {
    funcs = detail::json::parse(r.plpgsql_funcs ? r.plpgsql_funcs : "[]");
  } catch (const std::exception&) {
    throw sql_error("XX000", "function: the parser's output is not JSON");
  }
  if (!funcs.is_array() || funcs.size() != 1 ||
      !funcs[0].contains("PLpgSQL_function"))
    throw sql_error("42601", "function " + c.name + ": no body");
  auto& fn = funcs[0]["PLpgSQL_function"];
  detail::interpreter in(h, fn);
  in.bind_params(c.arg_names, c.arg_types, c.args);
  try {
    in.run(detail::field(fn, "action"));
  } catch (const detail::json::exception& e) {
    throw sql_error("XX000", std::string("function ") + c.name +
                               ": unexpected parse tree: " + e.what());
  }
  if (!in.returned() && !c.returns_void)
    throw sql_error("2F005", "control reached end of function without RETURN");
  return in.return_value();
}

} // namespace themis::sql::plpgsql
