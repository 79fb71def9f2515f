#pragma once
/// Expression evaluation over an environment of slots. Attribute paths are
/// evaluated by reference (`eval_ref`), so `u.name` on a large document
/// does not copy the document.

#include <string>
#include <unordered_map>
#include <vector>

#include "engine/aql/ast.hpp"

namespace themis::aql {

using env = std::vector<json>;

/// What expressions need from the running query.
class eval_host {
public:
  virtual ~eval_host() = default;
  virtual json run_subquery(const query& q, env& e) = 0;
  /// Every document of a collection (a collection used as a value).
  virtual json load_collection(const std::string& name) = 0;
  /// The collection name behind `@@name`.
  virtual const std::string& collection_bind(const std::string& name) = 0;
  virtual const json& bind_value(const std::string& name) = 0;
};

class evaluator {
public:
  explicit evaluator(eval_host& host) : host_(host) {}

  json eval(const expr& e, env& en);
  /// A pointer to the value, pointing into `en` where possible, else to
  /// `tmp` (valid until `tmp` changes).
  const json* eval_ref(const expr& e, env& en, json& tmp);

private:
  json binary(const expr& e, env& en);
  json unary(const expr& e, env& en);
  json call(const expr& e, env& en);
  json object(const expr& e, env& en);
  json expand(const expr& e, env& en);

  eval_host& host_;
};

/// The collection name a `collection` expression refers to.
const std::string& collection_name(const expr& e, eval_host& host);

/// Throws aql_error(runtime) at the expression's position.
[[noreturn]] void runtime_error_at(const expr& e, const std::string& msg);

} // namespace themis::aql
