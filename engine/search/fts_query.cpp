#include "engine/search/fts_query.hpp"

#include <cctype>
#include <vector>

namespace themis::search {

namespace {

enum class tok_kind {
  word,
  prefix,
  phrase,
  and_op,
  or_op,
  not_op,
  lparen,
  rparen
};

struct token {
  tok_kind kind;
  std::string text;
  size_t pos;
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + '"';
}

std::string lex(std::string_view q, std::vector<token>& out) {
  size_t i = 0;
  while (i < q.size()) {
    char c = q[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '(' || c == ')') {
      out.push_back({c == '(' ? tok_kind::lparen : tok_kind::rparen, {}, i});
      ++i;
    } else if (c == '"') {
      auto end = q.find('"', i + 1);
      if (end == std::string_view::npos)
        return "unterminated phrase starting at offset " + std::to_string(i);
      auto text = q.substr(i + 1, end - i - 1);
      bool blank = true;
      for (char p : text)
        if (!is_space(p))
          blank = false;
      if (blank)
        return "empty phrase at offset " + std::to_string(i);
      out.push_back({tok_kind::phrase, std::string(text), i});
      i = end + 1;
    } else {
      size_t start = i;
      while (i < q.size() && !is_space(q[i]) && q[i] != '(' && q[i] != ')' &&
             q[i] != '"')
        ++i;
      std::string w(q.substr(start, i - start));
      if (w == "AND")
        out.push_back({tok_kind::and_op, {}, start});
      else if (w == "OR")
        out.push_back({tok_kind::or_op, {}, start});
      else if (w == "NOT")
        out.push_back({tok_kind::not_op, {}, start});
      else {
        bool prefix = false;
        while (!w.empty() && w.back() == '*') {
          w.pop_back();
          prefix = true;
        }
        if (w.empty())
          return "'*' must follow a word (offset " + std::to_string(start) +
                 ")";
        if (w.find('*') != std::string::npos)
          return "'*' is allowed only at the end of a word (offset " +
                 std::to_string(start) + ")";
        out.push_back({prefix ? tok_kind::prefix : tok_kind::word, w, start});
      }
    }
  }
  return {};
}

/// Recursive descent over the tokens; depth is bounded before recursing.
class parser {
public:
  explicit parser(const std::vector<token>& t) : t_(t) {}

  std::string parse(std::string& out) {
    if (t_.empty())
      return "the query has no search terms";
    auto e = or_expr(out, 0);
    if (!e.empty())
      return e;
    if (i_ < t_.size())
      return "unexpected ')' at offset " + std::to_string(t_[i_].pos);
    return {};
  }

private:
  bool at(tok_kind k) const { return i_ < t_.size() && t_[i_].kind == k; }
  bool at_primary() const {
    return at(tok_kind::word) || at(tok_kind::prefix) || at(tok_kind::phrase) ||
           at(tok_kind::lparen);
  }
  std::string where() const {
    return i_ < t_.size() ? "at offset " + std::to_string(t_[i_].pos)
                          : "at the end of the query";
  }

  std::string or_expr(std::string& out, size_t depth) {
    if (auto e = and_expr(out, depth); !e.empty())
      return e;
    while (at(tok_kind::or_op)) {
      ++i_;
      out += " OR ";
      if (auto e = and_expr(out, depth); !e.empty())
        return e;
    }
    return {};
  }

  std::string and_expr(std::string& out, size_t depth) {
    if (auto e = not_expr(out, depth); !e.empty())
      return e;
    while (at(tok_kind::and_op) || at_primary()) {
      if (at(tok_kind::and_op))
        ++i_;
      out += " AND ";
      if (auto e = not_expr(out, depth); !e.empty())
        return e;
    }
    return {};
  }

  std::string not_expr(std::string& out, size_t depth) {
    if (auto e = primary(out, depth); !e.empty())
      return e;
    while (at(tok_kind::not_op)) {
      ++i_;
      out += " NOT ";
      if (auto e = primary(out, depth); !e.empty())
        return e;
    }
    return {};
  }

  std::string primary(std::string& out, size_t depth) {
    if (i_ >= t_.size())
      return "a search term is missing at the end of the query";
    const auto& t = t_[i_];
    switch (t.kind) {
      case tok_kind::lparen: {
        if (depth + 1 > max_query_depth)
          return "the query nests parentheses deeper than " +
                 std::to_string(max_query_depth);
        ++i_;
        out += '(';
        if (auto e = or_expr(out, depth + 1); !e.empty())
          return e;
        if (!at(tok_kind::rparen))
          return "missing ')' " + where();
        ++i_;
        out += ')';
        return {};
      }
      case tok_kind::word:
      case tok_kind::phrase:
      case tok_kind::prefix:
        if (++terms_ > max_query_terms)
          return "the query has more than " + std::to_string(max_query_terms) +
                 " terms";
        out += quoted(t.text);
        if (t.kind == tok_kind::prefix)
          out += '*';
        ++i_;
        return {};
      case tok_kind::rparen:
        return "unexpected ')' " + where();
      default:
        return "an operator (AND, OR, NOT) needs a search term on both "
               "sides, " +
               where();
    }
  }

  const std::vector<token>& t_;
  size_t i_ = 0;
  size_t terms_ = 0;
};

} // namespace

fts_translation translate_fts_query(std::string_view query) {
  fts_translation r;
  if (query.size() > max_query_bytes) {
    r.error =
      "the query is longer than " + std::to_string(max_query_bytes) + " bytes";
    return r;
  }
  for (unsigned char c : query)
    if (c == 0) {
      r.error = "the query contains a NUL character";
      return r;
    }
  std::vector<token> toks;
  if (auto e = lex(query, toks); !e.empty()) {
    r.error = e;
    return r;
  }
  std::string out;
  parser p(toks);
  if (auto e = p.parse(out); !e.empty()) {
    r.error = e;
    return r;
  }
  r.match = std::move(out);
  return r;
}

} // namespace themis::search
