#include "engine/aql/parser.hpp"

#include <algorithm>

#include "engine/aql/parser_impl.hpp"
#include "themis/input_limits.hpp"

// The parser's entry points, token helpers, scopes and clauses; the
// expression grammar is in parser_expr.cpp.

namespace themis::aql {

namespace detail {

namespace {

/// Aggregate functions COLLECT … AGGREGATE accepts.
constexpr std::string_view aggregates[] = {
  "LENGTH", "COUNT",   "MIN",    "MAX",          "SUM",
  "AVG",    "AVERAGE", "UNIQUE", "SORTED_UNIQUE"};

} // namespace

parser::parser(std::string_view text) : toks_(tokenize(text)) {}

parsed_query parser::run() {
  scopes_.emplace_back();
  auto q = parse_query(true);
  if (peek().kind != token_kind::end)
    fail(peek(), "unexpected '" + peek().text + "' after the query");
  out_.root = std::move(q);
  out_.slots = next_slot_;
  return std::move(out_);
}

// -- tokens ---------------------------------------------------------------

const token& parser::peek(size_t ahead) const {
  auto i = std::min(pos_ + ahead, toks_.size() - 1);
  return toks_[i];
}

const token& parser::next() {
  auto& t = toks_[pos_];
  if (pos_ + 1 < toks_.size())
    ++pos_;
  return t;
}

bool parser::is_kw(const token& t, std::string_view kw) const {
  return t.kind == token_kind::ident && !t.quoted &&
         t.text.size() == kw.size() && upper(t.text) == kw;
}

bool parser::accept_kw(std::string_view kw) {
  if (!is_kw(peek(), kw))
    return false;
  next();
  return true;
}

bool parser::is_op(const token& t, std::string_view op) const {
  return t.kind == token_kind::op && t.text == op;
}

bool parser::accept_op(std::string_view op) {
  if (!is_op(peek(), op))
    return false;
  next();
  return true;
}

void parser::fail(const token& t, const std::string& msg, error_kind k) {
  throw aql_error(k, msg, t.line, t.column);
}

std::string parser::describe(const token& t) const {
  return t.kind == token_kind::end ? "end of query" : "'" + t.text + "'";
}

void parser::expect_op(std::string_view op) {
  if (!accept_op(op))
    fail(peek(),
         "expected '" + std::string(op) + "' but found " + describe(peek()));
}

void parser::expect_kw(std::string_view kw) {
  if (!accept_kw(kw))
    fail(peek(),
         "expected " + std::string(kw) + " but found " + describe(peek()));
}

// -- scopes ---------------------------------------------------------------

int parser::declare(const token& at, const std::string& name) {
  if (is_keyword(upper(name)))
    fail(at, "cannot use keyword '" + name + "' as a variable name");
  if (scopes_.back().latest.count(name))
    fail(at, "variable '" + name + "' is assigned multiple times",
         error_kind::semantic);
  int slot = next_slot_++;
  scopes_.back().emplace_back(name, slot);
  return slot;
}

int parser::lookup(const std::string& name) const {
  for (auto f = scopes_.rbegin(); f != scopes_.rend(); ++f)
    if (auto v = f->latest.find(name); v != f->latest.end())
      return v->second;
  return -1;
}

std::string parser::var_name() {
  auto& t = peek();
  if (t.kind != token_kind::ident)
    fail(t, "variable name expected but found " + describe(t));
  return next().text;
}

// -- clauses --------------------------------------------------------------

bool parser::starts_query(const token& t) const {
  for (auto kw :
       {"FOR", "LET", "RETURN", "COLLECT", "INSERT", "UPDATE", "REPLACE",
        "REMOVE", "UPSERT", "WITH", "FILTER", "SORT", "LIMIT"})
    if (is_kw(t, kw))
      return true;
  return false;
}

std::shared_ptr<query> parser::parse_query(bool top) {
  auto q = std::make_shared<query>();
  if (top && is_kw(peek(), "WITH")) { // collection declarations: ignored
    next();
    do
      next();
    while (accept_op(","));
  }
  while (starts_query(peek())) {
    // Execution nests a stage per clause (FOR inside FOR …): bound them
    // before a query of 37,000 FORs reaches the stack.
    if (++clauses_ > current_parser_limits().max_aql_clauses)
      fail(peek(), "query has more than " +
                     std::to_string(current_parser_limits().max_aql_clauses) +
                     " clauses (limits.max_aql_clauses)");
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

clause parser::parse_clause() {
  auto& t = peek();
  clause c;
  c.line = t.line;
  c.column = t.column;
  auto kw = upper(next().text);
  if (kw == "FOR") {
    c.kind = clause_kind::for_;
    auto& vt = peek();
    c.var = var_name();
    // FOR v, e, p IN … : a graph traversal (parser_graph.cpp)
    std::vector<const token*> more;
    while (accept_op(",")) {
      more.push_back(&peek());
      var_name();
    }
    expect_kw("IN");
    if (starts_graph()) {
      parse_graph_for(c, vt, more);
    } else {
      if (!more.empty())
        fail(*more[0], "FOR with several variables needs a graph traversal "
                       "(OUTBOUND, INBOUND or ANY)");
      c.source = parse_expr();
      c.slot = declare(vt, c.var); // not visible in its own source
      if (accept_kw("OPTIONS"))
        c.options = parse_expr();
    }
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

void parser::parse_collect(clause& c) {
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

void parser::parse_modification(clause& c, const std::string& kw) {
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

void parser::note_collection_bind(const std::string& n) {
  if (std::find(out_.collection_binds.begin(), out_.collection_binds.end(),
                n) == out_.collection_binds.end())
    out_.collection_binds.push_back(n);
}

} // namespace detail

parsed_query parse(std::string_view text) {
  return detail::parser(text).run();
}

} // namespace themis::aql
