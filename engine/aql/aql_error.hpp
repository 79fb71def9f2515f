#pragma once
/// The one error type of the AQL layer. `kind` picks the HTTP answer the
/// handler gives (400 for parse/semantic errors, 404 for an unknown
/// collection, 410 cancelled …); `line`/`column` point into the query text
/// (1-based, 0 when no position applies).

#include <stdexcept>
#include <string>

namespace themis::aql {

enum class error_kind {
  parse,            ///< syntax error (400)
  semantic,         ///< bad arity, duplicate variable, bad bind parameter (400)
  unknown_function, ///< (400)
  collection_not_found, ///< (404)
  runtime,              ///< evaluation failed (400)
  document_not_found,   ///< a modification's target is missing (404)
  conflict,             ///< a modification lost a race or a unique key (409)
  cancelled,            ///< the caller cancelled (sqlite interrupt)
  timeout,              ///< the query ran past its time limit
  limit,                ///< the result is larger than allowed
  internal,
};

class aql_error : public std::runtime_error {
public:
  aql_error(error_kind kind, const std::string& msg, int line = 0,
            int column = 0) :
    std::runtime_error(msg),
    kind_(kind), line_(line), column_(column) {}
  error_kind kind() const { return kind_; }
  int line() const { return line_; }
  int column() const { return column_; }

private:
  error_kind kind_;
  int line_;
  int column_;
};

} // namespace themis::aql
