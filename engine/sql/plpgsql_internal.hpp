#pragma once
/// The DO-block interpreter's state (issue 36; plpgsql.cpp: expressions
/// and statements, plpgsql_control.cpp: loops, EXCEPTION blocks, RAISE).
/// Internal to engine/sql.

#include <map>
#include <nlohmann/json.hpp>

#include "engine/sql/plpgsql.hpp"

namespace themis::sql::plpgsql::detail {

using json = nlohmann::json;

std::string lower(std::string s);
std::string trim(const std::string& s);
/// The node's single key's value ({"PLpgSQL_expr": {...}} → {...}).
const json& inner(const json& n);
std::string query_of(const json& expr_node);
/// n[key], or null (iterates as empty) when absent: the tree is walked by
/// reference, never copied, and a node without an expected field is not
/// undefined behaviour.
const json& field(const json& n, const char* key);

struct variable {
  std::string name, type;
  std::optional<std::string> value;
  std::string default_query;
  bool is_const = false, not_null = false, scalar = true;
  /// a `record`: the row it holds (FOR r IN query, SELECT … INTO r)
  bool record = false, assigned = false;
  std::vector<std::string> fields, field_types;
  std::vector<std::optional<std::string>> field_values;
};

/// EXIT / CONTINUE / RETURN unwinding.
struct loop_exit {
  bool is_exit;
  std::string label;
};
struct do_return {};

class interpreter {
public:
  interpreter(host& h, const json& fn);
  void run(const json& action);
  // -- functions (plpgsql_function.cpp; issue 36) ----------------------------
  /// The first datums are the function's parameters: their types and the
  /// call's values; `$n` names them too.
  void bind_params(const std::vector<std::string>& names,
                   const std::vector<std::string>& types,
                   const std::vector<std::optional<std::string>>& values);
  bool returned() const { return did_return_; }
  const std::optional<std::string>& return_value() const { return returned_; }

private:
  // -- expressions (plpgsql.cpp) ---------------------------------------------
  std::string subst(const std::string& q);
  result run_sql(const std::string& q);
  std::optional<std::string> eval(const std::string& expr);
  bool truth(const std::string& expr);
  int64_t integer(const std::string& expr, const char* what);
  variable& var(int varno);
  void assign(variable& v, std::optional<std::string> value);
  void set_found(bool f) { var(by_name_["found"]).value = f ? "t" : "f"; }
  /// INTO targets: a row's fields or one variable.
  std::vector<int> targets(const json& target);
  void store_into(const json& target, const result& r, bool strict,
                  const std::string& q);
  /// Row `i` of `r` into the targets (a record takes the whole row).
  void assign_row(const std::vector<int>& t, const result& r, size_t i);
  /// A record's field as a literal (`r.f` in a statement).
  std::string field_literal(const std::string& rec, const std::string& f);
  // -- statements (plpgsql.cpp) ----------------------------------------------
  void exec_list(const json& list);
  void exec(const json& node);
  // -- control (plpgsql_control.cpp) -----------------------------------------
  /// One iteration; false when EXIT left the loop.
  bool loop_body(const json& b, const std::string& label);
  void fori(const json& b);
  void fors(const json& b);
  void block(const json& b);
  std::optional<std::string> var_value(const std::string& n);
  void set_var(const std::string& n, std::optional<std::string> v);
  static bool catches(const json& conds, const std::string& state);
  void raise(const json& b);

  host& h_;
  std::vector<variable> vars_;
  std::map<std::string, int> by_name_;
  json datums_;
  int depth_ = 0;
  int64_t row_count_ = 0;         ///< GET DIAGNOSTICS … = ROW_COUNT
  std::vector<sql_error> active_; ///< errors whose handlers are running
  // functions (issue 36): RETURN expr is kept, not refused
  bool function_mode_ = false;
  bool did_return_ = false;
  std::optional<std::string> returned_;
  std::vector<int> param_varnos_;
  /// `$n` outside quotes replaced by parameter n's literal.
  std::string dollar_params(const std::string& q);
};

} // namespace themis::sql::plpgsql::detail
