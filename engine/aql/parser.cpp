#include "engine/aql/parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions.hpp"
#include "engine/aql/lexer.hpp"

namespace themis::aql {

namespace {

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

constexpr std::string_view keywords[] = {
  "FOR",    "IN",       "FILTER", "LET",    "SORT",      "LIMIT",  "COLLECT",
  "RETURN", "DISTINCT", "INSERT", "UPDATE", "REPLACE",   "REMOVE", "UPSERT",
  "WITH",   "INTO",     "ASC",    "DESC",   "AND",       "OR",     "NOT",
  "LIKE",   "TRUE",     "FALSE",  "NULL",   "AGGREGATE", "OPTIONS"};

bool is_keyword(const std::string& upper_text) {
  return std::find(std::begin(keywords), std::end(keywords), upper_text) !=
         std::end(keywords);
}

/// Aggregate functions COLLECT … AGGREGATE accepts.
constexpr std::string_view aggregates[] = {
  "LENGTH", "COUNT",   "MIN",    "MAX",          "SUM",
  "AVG",    "AVERAGE", "UNIQUE", "SORTED_UNIQUE"};

class parser {
public:
  explicit parser(std::string_view text) : toks_(tokenize(text)) {}

  parsed_query run() {
    scopes_.emplace_back();
    auto q = parse_query(true);
    if (peek().kind != token_kind::end)
      fail(peek(), "unexpected '" + peek().text + "' after the query");
    out_.root = std::move(q);
    out_.slots = next_slot_;
    return std::move(out_);
  }

private:
  // -- tokens ---------------------------------------------------------------

  const token& peek(size_t ahead = 0) const {
    auto i = std::min(pos_ + ahead, toks_.size() - 1);
    return toks_[i];
  }
  const token& next() {
    auto& t = toks_[pos_];
    if (pos_ + 1 < toks_.size())
      ++pos_;
    return t;
  }
  bool is_kw(const token& t, std::string_view kw) const {
    return t.kind == token_kind::ident && !t.quoted &&
           t.text.size() == kw.size() && upper(t.text) == kw;
  }
  bool accept_kw(std::string_view kw) {
    if (!is_kw(peek(), kw))
      return false;
    next();
    return true;
  }
  bool is_op(const token& t, std::string_view op) const {
    return t.kind == token_kind::op && t.text == op;
  }
  bool accept_op(std::string_view op) {
    if (!is_op(peek(), op))
      return false;
    next();
    return true;
  }
  [[noreturn]] void fail(const token& t, const std::string& msg,
                         error_kind k = error_kind::parse) {
    throw aql_error(k, msg, t.line, t.column);
  }
  std::string describe(const token& t) const {
    return t.kind == token_kind::end ? "end of query" : "'" + t.text + "'";
  }
  void expect_op(std::string_view op) {
    if (!accept_op(op))
      fail(peek(),
           "expected '" + std::string(op) + "' but found " + describe(peek()));
  }
  void expect_kw(std::string_view kw) {
    if (!accept_kw(kw))
      fail(peek(),
           "expected " + std::string(kw) + " but found " + describe(peek()));
  }

  // -- scopes ---------------------------------------------------------------

  int declare(const token& at, const std::string& name) {
    if (is_keyword(upper(name)))
      fail(at, "cannot use keyword '" + name + "' as a variable name");
    for (auto& [n, s] : scopes_.back())
      if (n == name)
        fail(at, "variable '" + name + "' is assigned multiple times",
             error_kind::semantic);
    int slot = next_slot_++;
    scopes_.back().emplace_back(name, slot);
    return slot;
  }
  int lookup(const std::string& name) const {
    for (auto f = scopes_.rbegin(); f != scopes_.rend(); ++f)
      for (auto v = f->rbegin(); v != f->rend(); ++v)
        if (v->first == name)
          return v->second;
    return -1;
  }
  std::string var_name() {
    auto& t = peek();
    if (t.kind != token_kind::ident)
      fail(t, "variable name expected but found " + describe(t));
    return next().text;
  }

  // -- clauses --------------------------------------------------------------

  bool starts_query(const token& t) const {
    for (auto kw :
         {"FOR", "LET", "RETURN", "COLLECT", "INSERT", "UPDATE", "REPLACE",
          "REMOVE", "UPSERT", "WITH", "FILTER", "SORT", "LIMIT"})
      if (is_kw(t, kw))
        return true;
    return false;
  }

  std::shared_ptr<query> parse_query(bool top) {
    auto q = std::make_shared<query>();
    if (top && is_kw(peek(), "WITH")) { // collection declarations: ignored
      next();
      do
        next();
      while (accept_op(","));
    }
    while (starts_query(peek())) {
      auto c = parse_clause();
      bool ended = c.kind == clause_kind::return_;
      bool modification = c.kind >= clause_kind::insert;
      q->clauses.push_back(std::move(c));
      if (ended)
        break;
      if (modification && !is_kw(peek(), "RETURN") && !is_kw(peek(), "LET"))
        return q;
    }
    if (q->clauses.empty())
      fail(peek(), "query expected but found " + describe(peek()));
    auto last = q->clauses.back().kind;
    if (last != clause_kind::return_ && last < clause_kind::insert)
      fail(peek(), "query must end with RETURN or a data-modification "
                   "operation, found " +
                     describe(peek()));
    return q;
  }

  clause parse_clause() {
    auto& t = peek();
    clause c;
    c.line = t.line;
    c.column = t.column;
    auto kw = upper(next().text);
    if (kw == "FOR") {
      c.kind = clause_kind::for_;
      auto& vt = peek();
      c.var = var_name();
      if (is_op(peek(), ","))
        fail(peek(), "graph traversals (FOR v, e, p IN …) are not supported",
             error_kind::semantic);
      expect_kw("IN");
      c.source = parse_expr();
      c.slot = declare(vt, c.var); // not visible in its own source
      if (accept_kw("OPTIONS"))
        c.options = parse_expr();
    } else if (kw == "FILTER") {
      c.kind = clause_kind::filter;
      c.e = parse_expr();
    } else if (kw == "LET") {
      c.kind = clause_kind::let;
      auto& vt = peek();
      c.var = var_name();
      expect_op("=");
      c.e = parse_expr();
      c.slot = declare(vt, c.var);
    } else if (kw == "SORT") {
      c.kind = clause_kind::sort;
      do {
        sort_key k;
        k.e = parse_expr();
        if (accept_kw("DESC"))
          k.ascending = false;
        else
          accept_kw("ASC");
        c.sort.push_back(std::move(k));
      } while (accept_op(","));
    } else if (kw == "LIMIT") {
      c.kind = clause_kind::limit;
      c.count = parse_expr();
      if (accept_op(",")) {
        c.offset = std::move(c.count);
        c.count = parse_expr();
      }
    } else if (kw == "COLLECT") {
      parse_collect(c);
    } else if (kw == "RETURN") {
      c.kind = clause_kind::return_;
      c.distinct = accept_kw("DISTINCT");
      c.e = parse_expr();
    } else if (kw == "INSERT" || kw == "UPDATE" || kw == "REPLACE" ||
               kw == "REMOVE") {
      parse_modification(c, kw);
    } else {
      fail(t, kw + " is not supported", error_kind::semantic);
    }
    return c;
  }

  void parse_collect(clause& c) {
    c.kind = clause_kind::collect;
    // Declaration tokens, local: a COLLECT in a subquery inside one of
    // these expressions has its own list.
    std::vector<const token*> pending;
    auto collect_list = [&](std::vector<collect_var>& out, bool aggregate) {
      do {
        collect_var v;
        auto& vt = peek();
        v.name = var_name();
        expect_op("=");
        auto& ft = peek();
        v.e = parse_expr();
        if (aggregate) {
          if (v.e->kind != expr_kind::call || v.e->args.size() != 1)
            fail(ft,
                 "AGGREGATE expects an aggregate function of one "
                 "argument, e.g. SUM(x)",
                 error_kind::semantic);
          if (std::find(std::begin(aggregates), std::end(aggregates),
                        v.e->name) == std::end(aggregates))
            fail(ft, "unsupported aggregate function " + v.e->name,
                 error_kind::semantic);
          v.function = v.e->name;
          auto arg = std::move(v.e->args[0]);
          v.e = std::move(arg);
        }
        out.push_back(std::move(v));
        pending.push_back(&vt);
      } while (accept_op(","));
    };

    if (!is_kw(peek(), "AGGREGATE") && !is_kw(peek(), "INTO") &&
        !is_kw(peek(), "WITH"))
      collect_list(c.groups, false);
    if (accept_kw("AGGREGATE"))
      collect_list(c.aggregates, true);
    const token* into_tok = nullptr;
    if (accept_kw("INTO")) {
      into_tok = &peek();
      c.into_var = var_name();
      if (accept_op("="))
        c.into_expr = parse_expr();
    }
    const token* count_tok = nullptr;
    if (accept_kw("WITH")) {
      expect_kw("COUNT");
      expect_kw("INTO");
      count_tok = &peek();
      c.count_var = var_name();
    }
    if (accept_kw("OPTIONS"))
      c.options = parse_expr();
    if (c.groups.empty() && c.aggregates.empty() && c.into_var.empty() &&
        c.count_var.empty())
      fail(peek(), "COLLECT needs a group, AGGREGATE, INTO or WITH COUNT");
    // Everything declared before COLLECT at this level goes out of scope.
    for (auto& [n, s] : scopes_.back())
      c.into_visible.push_back({n, s});
    scopes_.back().clear();
    size_t i = 0;
    for (auto& g : c.groups)
      g.slot = declare(*pending[i++], g.name);
    for (auto& a : c.aggregates)
      a.slot = declare(*pending[i++], a.name);
    if (into_tok)
      c.into_slot = declare(*into_tok, c.into_var);
    if (count_tok)
      c.count_slot = declare(*count_tok, c.count_var);
  }

  void parse_modification(clause& c, const std::string& kw) {
    c.kind = kw == "INSERT"    ? clause_kind::insert
             : kw == "UPDATE"  ? clause_kind::update
             : kw == "REPLACE" ? clause_kind::replace
                               : clause_kind::remove;
    // `doc IN coll`: IN ends the expression here, it is not the operator
    no_in_ = true;
    c.e = parse_expr();
    if ((c.kind == clause_kind::update || c.kind == clause_kind::replace) &&
        accept_kw("WITH"))
      c.with = parse_expr();
    no_in_ = false;
    if (!accept_kw("IN") && !accept_kw("INTO"))
      fail(peek(), "expected IN or INTO but found " + describe(peek()));
    auto& ct = peek();
    if (ct.kind == token_kind::bind_coll) {
      c.collection_bind = next().text;
      note_collection_bind(c.collection_bind);
    } else if (ct.kind == token_kind::ident) {
      c.collection = next().text;
    } else {
      fail(ct, "collection name expected but found " + describe(ct));
    }
    if (accept_kw("OPTIONS"))
      c.options = parse_expr();
    out_.modifies = true;
    // NEW and OLD are visible after the operation
    scopes_.back().emplace_back("NEW", c.new_slot = next_slot_++);
    scopes_.back().emplace_back("OLD", c.old_slot = next_slot_++);
  }

  void note_collection_bind(const std::string& n) {
    if (std::find(out_.collection_binds.begin(), out_.collection_binds.end(),
                  n) == out_.collection_binds.end())
      out_.collection_binds.push_back(n);
  }

  // -- expressions ----------------------------------------------------------

  expr_ptr make(expr_kind k, const token& at) {
    auto e = std::make_unique<expr>();
    e->kind = k;
    e->line = at.line;
    e->column = at.column;
    return e;
  }
  expr_ptr binary(op_code op, const token& at, expr_ptr a, expr_ptr b) {
    auto e = make(expr_kind::binary, at);
    e->op = op;
    e->args.push_back(std::move(a));
    e->args.push_back(std::move(b));
    return grown(std::move(e), at);
  }
  /// Sets the height from the children; too tall trees are refused (left-
  /// nested chains like 1+1+…+1 never pass through parse_expr's guard).
  expr_ptr grown(expr_ptr e, const token& at) {
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

  expr_ptr parse_expr() {
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

  expr_ptr parse_or() {
    auto l = parse_and();
    for (;;) {
      auto& at = peek();
      if (!accept_op("||") && !accept_kw("OR"))
        return l;
      l = binary(op_code::or_, at, std::move(l), parse_and());
    }
  }

  expr_ptr parse_and() {
    auto l = parse_eq();
    for (;;) {
      auto& at = peek();
      if (!accept_op("&&") && !accept_kw("AND"))
        return l;
      l = binary(op_code::and_, at, std::move(l), parse_eq());
    }
  }

  expr_ptr parse_eq() {
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

  expr_ptr parse_rel() {
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

  expr_ptr parse_range() {
    auto l = parse_add();
    auto& at = peek();
    if (!accept_op(".."))
      return l;
    return binary(op_code::range, at, std::move(l), parse_add());
  }

  expr_ptr parse_add() {
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

  expr_ptr parse_mul() {
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

  expr_ptr parse_unary() {
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

  expr_ptr parse_postfix(expr_ptr base) {
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
          fail(nt,
               "attribute name expected after '.' but found " + describe(nt));
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

  expr_ptr parse_primary() {
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
        if (std::find(out_.bind_names.begin(), out_.bind_names.end(),
                      e->name) == out_.bind_names.end())
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

  /// Inside brackets IN is an operator again.
  struct allow_in {
    bool& flag;
    bool saved;
    explicit allow_in(bool& f) : flag(f), saved(f) { flag = false; }
    ~allow_in() { flag = saved; }
  };

  /// A decimal literal; out of double range is a parse error (std::stod
  /// would throw a foreign exception).
  double literal_double(const token& t, const std::string& s) {
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (!std::isfinite(d))
      fail(t, "number literal out of range: " + s.substr(0, 40));
    return d;
  }

  expr_ptr parenthesised(const token& at) {
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

  expr_ptr array_literal(const token& at) {
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

  expr_ptr object_literal(const token& at) {
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
      } else if (kt.kind == token_kind::ident ||
                 kt.kind == token_kind::string) {
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

  expr_ptr identifier(const token& t) {
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

  std::vector<token> toks_;
  size_t pos_ = 0;
  std::vector<std::vector<std::pair<std::string, int>>> scopes_;

  int next_slot_ = 0;
  bool no_in_ = false; ///< parsing `doc` of `INSERT doc IN coll`
  int depth_ = 0;
  parsed_query out_;
};

} // namespace

parsed_query parse(std::string_view text) {
  return parser(text).run();
}

} // namespace themis::aql
