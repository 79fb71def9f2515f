#pragma once
/// The AQL parser's class and the keyword helpers it shares between
/// parser.cpp (tokens, scopes, clauses) and parser_expr.cpp (expressions).
/// Private to engine/aql: use parse() from parser.hpp.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/ast.hpp"
#include "engine/aql/lexer.hpp"

namespace themis::aql::detail {

inline std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

inline constexpr std::string_view keywords[] = {
  "FOR",    "IN",       "FILTER", "LET",    "SORT",      "LIMIT",  "COLLECT",
  "RETURN", "DISTINCT", "INSERT", "UPDATE", "REPLACE",   "REMOVE", "UPSERT",
  "WITH",   "INTO",     "ASC",    "DESC",   "AND",       "OR",     "NOT",
  "LIKE",   "TRUE",     "FALSE",  "NULL",   "AGGREGATE", "OPTIONS"};

inline bool is_keyword(const std::string& upper_text) {
  return std::find(std::begin(keywords), std::end(keywords), upper_text) !=
         std::end(keywords);
}

class parser {
public:
  explicit parser(std::string_view text);

  parsed_query run();

private:
  // -- tokens ---------------------------------------------------------------

  const token& peek(size_t ahead = 0) const;
  const token& next();
  bool is_kw(const token& t, std::string_view kw) const;
  bool accept_kw(std::string_view kw);
  bool is_op(const token& t, std::string_view op) const;
  bool accept_op(std::string_view op);
  [[noreturn]] void fail(const token& t, const std::string& msg,
                         error_kind k = error_kind::parse);
  std::string describe(const token& t) const;
  void expect_op(std::string_view op);
  void expect_kw(std::string_view kw);

  // -- scopes ---------------------------------------------------------------

  int declare(const token& at, const std::string& name);
  int lookup(const std::string& name) const;
  std::string var_name();

  // -- clauses --------------------------------------------------------------

  bool starts_query(const token& t) const;
  std::shared_ptr<query> parse_query(bool top);
  clause parse_clause();
  void parse_collect(clause& c);
  void parse_modification(clause& c, const std::string& kw);
  void note_collection_bind(const std::string& n);
  /// After `FOR v[, e[, p]] IN`: does a graph traversal follow (a depth,
  /// OUTBOUND/INBOUND/ANY)? Defined with the rest in parser_graph.cpp.
  bool starts_graph() const;
  void parse_graph_for(clause& c, const token& vt,
                       const std::vector<const token*>& more);
  expr_ptr graph_depth();

  // -- expressions ----------------------------------------------------------

  expr_ptr make(expr_kind k, const token& at);
  expr_ptr binary(op_code op, const token& at, expr_ptr a, expr_ptr b);
  /// Sets the height from the children; too tall trees are refused (left-
  /// nested chains like 1+1+…+1 never pass through parse_expr's guard).
  expr_ptr grown(expr_ptr e, const token& at);
  static constexpr int max_height = 1000;

  /// Bounds recursion: evaluation recurses as deep as the tree, on worker
  /// threads whose stacks are finite.
  struct depth_guard {
    parser& p;
    explicit depth_guard(parser& pr, const token& at) : p(pr) {
      if (++p.depth_ > max_depth)
        p.fail(at, "expression nested too deeply (limit " +
                     std::to_string(max_depth) + ")");
    }
    ~depth_guard() { --p.depth_; }
  };
  static constexpr int max_depth = 200;

  expr_ptr parse_expr();
  expr_ptr parse_or();
  expr_ptr parse_and();
  expr_ptr parse_eq();
  expr_ptr parse_rel();
  expr_ptr parse_range();
  expr_ptr parse_add();
  expr_ptr parse_mul();
  expr_ptr parse_unary();
  expr_ptr parse_postfix(expr_ptr base);
  expr_ptr parse_primary();

  /// Inside brackets IN is an operator again.
  struct allow_in {
    bool& flag;
    bool saved;
    explicit allow_in(bool& f) : flag(f), saved(f) { flag = false; }
    ~allow_in() { flag = saved; }
  };

  /// A decimal literal; out of double range is a parse error (std::stod
  /// would throw a foreign exception).
  double literal_double(const token& t, const std::string& s);

  expr_ptr parenthesised(const token& at);
  expr_ptr array_literal(const token& at);
  expr_ptr object_literal(const token& at);
  expr_ptr identifier(const token& t);

  std::vector<token> toks_;
  size_t pos_ = 0;
  /// The variables of one query level in declaration order (COLLECT
  /// INTO captures them in order), indexed by name so a query of 100,000
  /// LETs does not compare every name with every other (issue 17).
  struct scope {
    std::vector<std::pair<std::string, int>> vars;
    std::unordered_map<std::string, int> latest; ///< name → newest slot
    void emplace_back(const std::string& name, int slot) {
      vars.emplace_back(name, slot);
      latest[name] = slot;
    }
    void clear() {
      vars.clear();
      latest.clear();
    }
    auto begin() const { return vars.begin(); }
    auto end() const { return vars.end(); }
  };
  std::vector<scope> scopes_;

  int next_slot_ = 0;
  bool no_in_ = false; ///< parsing `doc` of `INSERT doc IN coll`
  int depth_ = 0;
  size_t clauses_ = 0; ///< in the whole query, subqueries included
  parsed_query out_;
};

} // namespace themis::aql::detail
