#include "engine/aql/parser_impl.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "engine/aql/functions.hpp"

// The AQL parser's expression grammar: parse_expr and everything below it.
// Tokens, scopes and clauses are in parser.cpp.

namespace themis::aql::detail {

// -- expressions ----------------------------------------------------------

expr_ptr parser::make(expr_kind k, const token& at) {
  auto e = std::make_unique<expr>();
  e->kind = k;
  e->line = at.line;
  e->column = at.column;
  return e;
}

expr_ptr parser::binary(op_code op, const token& at, expr_ptr a, expr_ptr b) {
  auto e = make(expr_kind::binary, at);
  e->op = op;
  e->args.push_back(std::move(a));
  e->args.push_back(std::move(b));
  return grown(std::move(e), at);
}

expr_ptr parser::grown(expr_ptr e, const token& at) {
  int h = 0;
  for (auto& a : e->args)
    if (a)
      h = std::max(h, a->height);
  e->height = h + 1;
  if (e->height > max_height)
    fail(at, "expression too deeply nested (limit " +
               std::to_string(max_height) + ")");
  return e;
}

expr_ptr parser::parse_expr() {
  auto& at = peek();
  depth_guard depth(*this, at);
  auto cond = parse_or();
  if (!accept_op("?"))
    return cond;
  auto e = make(expr_kind::ternary, at);
  e->args.push_back(std::move(cond));
  if (accept_op(":")) {
    e->args.push_back(nullptr);
  } else {
    e->args.push_back(parse_expr());
    expect_op(":");
  }
  e->args.push_back(parse_expr());
  return e;
}

expr_ptr parser::parse_or() {
  auto l = parse_and();
  for (;;) {
    auto& at = peek();
    if (!accept_op("||") && !accept_kw("OR"))
      return l;
    l = binary(op_code::or_, at, std::move(l), parse_and());
  }
}

expr_ptr parser::parse_and() {
  auto l = parse_eq();
  for (;;) {
    auto& at = peek();
    if (!accept_op("&&") && !accept_kw("AND"))
      return l;
    l = binary(op_code::and_, at, std::move(l), parse_eq());
  }
}

expr_ptr parser::parse_eq() {
  auto l = parse_rel();
  for (;;) {
    auto& at = peek();
    op_code op;
    if (accept_op("=="))
      op = op_code::eq;
    else if (accept_op("!="))
      op = op_code::ne;
    else if (accept_op("=~"))
      op = op_code::regex;
    else if (accept_op("!~"))
      op = op_code::not_regex;
    else if (accept_kw("LIKE"))
      op = op_code::like;
    else if (is_kw(at, "NOT") && is_kw(peek(1), "LIKE")) {
      next();
      next();
      op = op_code::not_like;
    } else
      return l;
    l = binary(op, at, std::move(l), parse_rel());
  }
}

expr_ptr parser::parse_rel() {
  auto l = parse_range();
  for (;;) {
    auto& at = peek();
    op_code op;
    if (accept_op("<"))
      op = op_code::lt;
    else if (accept_op("<="))
      op = op_code::le;
    else if (accept_op(">"))
      op = op_code::gt;
    else if (accept_op(">="))
      op = op_code::ge;
    else if (!no_in_ && accept_kw("IN"))
      op = op_code::in;
    else if (is_kw(at, "NOT") && is_kw(peek(1), "IN")) {
      next();
      next();
      op = op_code::not_in;
    } else
      return l;
    l = binary(op, at, std::move(l), parse_range());
  }
}

expr_ptr parser::parse_range() {
  auto l = parse_add();
  auto& at = peek();
  if (!accept_op(".."))
    return l;
  return binary(op_code::range, at, std::move(l), parse_add());
}

expr_ptr parser::parse_add() {
  auto l = parse_mul();
  for (;;) {
    auto& at = peek();
    if (accept_op("+"))
      l = binary(op_code::add, at, std::move(l), parse_mul());
    else if (accept_op("-"))
      l = binary(op_code::sub, at, std::move(l), parse_mul());
    else
      return l;
  }
}

expr_ptr parser::parse_mul() {
  auto l = parse_unary();
  for (;;) {
    auto& at = peek();
    if (accept_op("*"))
      l = binary(op_code::mul, at, std::move(l), parse_unary());
    else if (accept_op("/"))
      l = binary(op_code::div, at, std::move(l), parse_unary());
    else if (accept_op("%"))
      l = binary(op_code::mod, at, std::move(l), parse_unary());
    else
      return l;
  }
}

expr_ptr parser::parse_unary() {
  auto& at = peek();
  op_code op;
  if (accept_op("-"))
    op = op_code::neg;
  else if (accept_op("+"))
    op = op_code::plus;
  else if (accept_op("!") || accept_kw("NOT"))
    op = op_code::not_;
  else
    return parse_postfix(parse_primary());
  depth_guard depth(*this, at);
  auto e = make(expr_kind::unary, at);
  e->op = op;
  e->args.push_back(parse_unary());
  return grown(std::move(e), at);
}

expr_ptr parser::parse_postfix(expr_ptr base) {
  for (;;) {
    auto& at = peek();
    if (accept_op(".")) {
      auto& nt = peek();
      auto e = make(expr_kind::attribute, at);
      if (nt.kind == token_kind::ident || nt.kind == token_kind::string)
        e->name = next().text;
      else if (nt.kind == token_kind::bind) {
        // u.@attr: the attribute name comes from a bind parameter
        fail(nt, "bind parameters as attribute names are not supported",
             error_kind::semantic);
      } else
        fail(nt, "attribute name expected after '.' but found " + describe(nt));
      e->args.push_back(std::move(base));
      base = grown(std::move(e), at);
    } else if (accept_op("[*]")) {
      auto e = make(expr_kind::expand, at);
      e->slot = next_slot_++;
      auto current = make(expr_kind::variable, at);
      current->slot = e->slot;
      current->name = "CURRENT";
      auto proj = parse_postfix(std::move(current));
      e->args.push_back(std::move(base));
      if (proj->kind == expr_kind::variable && proj->slot == e->slot)
        e->args.push_back(nullptr);
      else
        e->args.push_back(std::move(proj));
      return grown(std::move(e), at);
    } else if (accept_op("[")) {
      auto e = make(expr_kind::index, at);
      e->args.push_back(std::move(base));
      allow_in guard(no_in_);
      e->args.push_back(parse_expr());
      expect_op("]");
      base = grown(std::move(e), at);
    } else {
      return base;
    }
  }
}

expr_ptr parser::parse_primary() {
  auto& t = peek();
  switch (t.kind) {
    case token_kind::string: {
      auto e = make(expr_kind::literal, t);
      e->value = next().text;
      return e;
    }
    case token_kind::integer: {
      auto e = make(expr_kind::literal, t);
      auto& s = next().text;
      int64_t v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec == std::errc())
        e->value = v;
      else
        e->value = literal_double(t, s);
      return e;
    }
    case token_kind::decimal: {
      auto e = make(expr_kind::literal, t);
      e->value = number(literal_double(t, next().text));
      return e;
    }
    case token_kind::bind: {
      auto e = make(expr_kind::bind, t);
      e->name = next().text;
      if (std::find(out_.bind_names.begin(), out_.bind_names.end(), e->name) ==
          out_.bind_names.end())
        out_.bind_names.push_back(e->name);
      return e;
    }
    case token_kind::bind_coll: {
      auto e = make(expr_kind::collection, t);
      e->value = next().text; // the bind name; resolved before running
      e->name.clear();
      note_collection_bind(e->value.get<std::string>());
      return e;
    }
    case token_kind::op:
      if (accept_op("("))
        return parenthesised(t);
      if (accept_op("["))
        return array_literal(t);
      if (accept_op("{"))
        return object_literal(t);
      fail(t, "unexpected " + describe(t));
    case token_kind::ident:
      return identifier(t);
    case token_kind::end:
      fail(t, "unexpected end of query");
  }
  fail(t, "unexpected " + describe(t));
}

double parser::literal_double(const token& t, const std::string& s) {
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (!std::isfinite(d))
    fail(t, "number literal out of range: " + s.substr(0, 40));
  return d;
}

expr_ptr parser::parenthesised(const token& at) {
  allow_in guard(no_in_);
  if (starts_query(peek())) {
    auto e = make(expr_kind::subquery, at);
    scopes_.emplace_back();
    e->sub = parse_query(false);
    scopes_.pop_back();
    expect_op(")");
    return e;
  }
  auto e = parse_expr();
  expect_op(")");
  return e;
}

expr_ptr parser::array_literal(const token& at) {
  allow_in guard(no_in_);
  auto e = make(expr_kind::array, at);
  if (accept_op("]"))
    return e;
  do {
    if (is_op(peek(), "]"))
      break; // trailing comma
    e->args.push_back(parse_expr());
  } while (accept_op(","));
  expect_op("]");
  return e;
}

expr_ptr parser::object_literal(const token& at) {
  allow_in guard(no_in_);
  auto e = make(expr_kind::object, at);
  if (accept_op("}"))
    return e;
  do {
    if (is_op(peek(), "}"))
      break;
    object_member m;
    auto& kt = peek();
    if (accept_op("[")) {
      m.key_expr = parse_expr();
      expect_op("]");
    } else if (kt.kind == token_kind::ident || kt.kind == token_kind::string) {
      m.key = next().text;
    } else if (kt.kind == token_kind::integer ||
               kt.kind == token_kind::decimal) {
      m.key = next().text;
    } else {
      fail(kt, "attribute name expected but found " + describe(kt));
    }
    if (accept_op(":")) {
      m.value = parse_expr();
    } else if (kt.kind == token_kind::ident && !m.key_expr) {
      // shorthand {name}: the variable's value
      int slot = lookup(m.key);
      if (slot < 0)
        fail(kt, "variable '" + m.key + "' is not defined",
             error_kind::semantic);
      m.value = make(expr_kind::variable, kt);
      m.value->slot = slot;
      m.value->name = m.key;
    } else {
      fail(peek(), "expected ':' but found " + describe(peek()));
    }
    e->members.push_back(std::move(m));
  } while (accept_op(","));
  expect_op("}");
  return e;
}

expr_ptr parser::identifier(const token& t) {
  auto up = upper(t.text);
  if (!t.quoted && (up == "TRUE" || up == "FALSE" || up == "NULL")) {
    next();
    auto e = make(expr_kind::literal, t);
    if (up != "NULL")
      e->value = up == "TRUE";
    return e;
  }
  if (!t.quoted && is_op(peek(1), "(")) {
    next();
    next();
    auto e = make(expr_kind::call, t);
    e->name = up;
    allow_in guard(no_in_);
    if (!accept_op(")")) {
      do {
        if (starts_query(peek())) { // LENGTH(FOR … RETURN …)
          auto sq = make(expr_kind::subquery, peek());
          scopes_.emplace_back();
          sq->sub = parse_query(false);
          scopes_.pop_back();
          e->args.push_back(std::move(sq));
        } else {
          e->args.push_back(parse_expr());
        }
      } while (accept_op(","));
      expect_op(")");
    }
    auto arity = find_function(up);
    if (!arity)
      fail(t, "unknown function " + up + "()", error_kind::unknown_function);
    if (e->args.size() < arity->min || e->args.size() > arity->max)
      fail(t, "wrong number of arguments for " + up + "()",
           error_kind::semantic);
    return e;
  }
  if (!t.quoted && is_keyword(up))
    fail(t, "unexpected keyword " + up);
  next();
  int slot = lookup(t.text);
  if (slot >= 0) {
    auto e = make(expr_kind::variable, t);
    e->slot = slot;
    e->name = t.text;
    return e;
  }
  if (!t.quoted && is_op(peek(), "::"))
    fail(t, "user-defined functions are not supported",
         error_kind::unknown_function);
  auto e = make(expr_kind::collection, t);
  e->name = t.text; // a collection unless a variable of that name exists
  return e;
}

} // namespace themis::aql::detail
