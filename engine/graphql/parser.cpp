#include "engine/graphql/parser.hpp"

#include <utility>

#include "engine/graphql/lexer.hpp"

namespace themis::graphql {

namespace {

bool is_sdl_keyword(const std::string& s) {
  return s == "schema" || s == "scalar" || s == "type" || s == "interface" ||
         s == "union" || s == "enum" || s == "input" || s == "directive" ||
         s == "extend";
}

/// Recursive descent over the token stream; every recursion goes through
/// enter(), which checks the depth limit first.
class parser {
public:
  parser(std::string_view src, const parse_limits& limits) :
    lex_(src), limits_(limits) {}

  bool start() { return advance(); }

  std::optional<error> err;

  bool parse_document(document& doc) {
    if (tok_.kind == token_kind::eof)
      return fail("Syntax Error: Unexpected <EOF>.", tok_.loc);
    while (tok_.kind != token_kind::eof) {
      if (!parse_definition(doc))
        return false;
    }
    return true;
  }

  bool parse_value_only(value& v) {
    if (!parse_value(v, false))
      return false;
    if (tok_.kind != token_kind::eof)
      return unexpected();
    return true;
  }

private:
  struct depth_guard {
    parser& p;
    explicit depth_guard(parser& pp) : p(pp) { ++p.depth_; }
    ~depth_guard() { --p.depth_; }
  };
  bool enter(location at) {
    if (depth_ >= limits_.max_depth)
      return fail("Syntax Error: Document exceeds the maximum nesting depth "
                  "of " +
                    std::to_string(limits_.max_depth) + ".",
                  at, codes::limit);
    return true;
  }

  bool fail(std::string msg, location at, const char* code = codes::syntax) {
    if (!err)
      err = error{std::move(msg), {at}, nullptr, code};
    return false;
  }

  bool advance() {
    if (++tokens_ > limits_.max_tokens)
      return fail("Syntax Error: Document contains more than " +
                    std::to_string(limits_.max_tokens) + " tokens.",
                  tok_.loc, codes::limit);
    if (!lex_.next(tok_))
      return fail(lex_.error(), lex_.error_loc());
    return true;
  }

  std::string token_desc() const {
    std::string d = describe(tok_.kind);
    if (tok_.kind == token_kind::name)
      return "Name \"" + tok_.text + "\"";
    if (tok_.kind == token_kind::int_ || tok_.kind == token_kind::float_)
      return d + " \"" + tok_.text + "\"";
    return d;
  }

  bool unexpected() {
    return fail("Syntax Error: Unexpected " + token_desc() + ".", tok_.loc);
  }

  bool expect(token_kind k) {
    if (tok_.kind != k)
      return fail("Syntax Error: Expected " + std::string(describe(k)) +
                    ", found " + token_desc() + ".",
                  tok_.loc);
    return advance();
  }

  bool expect_name(std::string& out, location* at = nullptr) {
    if (tok_.kind != token_kind::name)
      return fail("Syntax Error: Expected Name, found " + token_desc() + ".",
                  tok_.loc);
    if (at)
      *at = tok_.loc;
    out = std::move(tok_.text);
    return advance();
  }

  bool peek_keyword(const char* kw) const {
    return tok_.kind == token_kind::name && tok_.text == kw;
  }

  bool parse_definition(document& doc) {
    if (tok_.kind == token_kind::brace_l) {
      operation_definition op;
      op.loc = tok_.loc;
      if (!parse_selection_set(op.selections))
        return false;
      doc.operations.push_back(std::move(op));
      return true;
    }
    if (tok_.kind == token_kind::string ||
        tok_.kind == token_kind::block_string) {
      // only type-system definitions carry descriptions
      location at = tok_.loc;
      if (!advance())
        return false;
      if (tok_.kind != token_kind::name || !is_sdl_keyword(tok_.text))
        return unexpected();
      return skip_sdl(doc, at);
    }
    if (tok_.kind != token_kind::name)
      return unexpected();
    if (tok_.text == "query" || tok_.text == "mutation" ||
        tok_.text == "subscription")
      return parse_operation(doc);
    if (tok_.text == "fragment")
      return parse_fragment(doc);
    if (is_sdl_keyword(tok_.text))
      return skip_sdl(doc, tok_.loc);
    return unexpected();
  }

  /// Type-system definitions are not executable: keep kind/name/location
  /// for the ExecutableDefinitions rule and skip their tokens (bracket
  /// balanced, at most one body).
  bool skip_sdl(document& doc, location at) {
    non_executable_definition d;
    d.loc = at;
    d.kind = tok_.text;
    if (!advance())
      return false;
    if (d.kind == "extend" && tok_.kind == token_kind::name) {
      d.kind += " " + tok_.text;
      if (!advance())
        return false;
    }
    if (tok_.kind == token_kind::at && d.kind == "directive") {
      if (!advance())
        return false;
    }
    if (tok_.kind == token_kind::name)
      d.name = tok_.text;
    int balance = 0;
    bool body_done = false;
    while (tok_.kind != token_kind::eof) {
      if (balance == 0 && body_done)
        break;
      if (balance == 0 && tok_.kind == token_kind::name &&
          (is_sdl_keyword(tok_.text) || tok_.text == "query" ||
           tok_.text == "mutation" || tok_.text == "subscription" ||
           tok_.text == "fragment") &&
          tok_.loc != d.loc)
        break;
      if (balance == 0 && (tok_.kind == token_kind::string ||
                           tok_.kind == token_kind::block_string))
        break;
      if (tok_.kind == token_kind::brace_l ||
          tok_.kind == token_kind::paren_l ||
          tok_.kind == token_kind::bracket_l)
        ++balance;
      if (tok_.kind == token_kind::brace_r ||
          tok_.kind == token_kind::paren_r ||
          tok_.kind == token_kind::bracket_r) {
        if (--balance < 0)
          return unexpected();
        if (balance == 0 && tok_.kind == token_kind::brace_r)
          body_done = true;
      }
      if (!advance())
        return false;
    }
    if (balance != 0)
      return unexpected();
    doc.non_executable.push_back(std::move(d));
    return true;
  }

  bool parse_operation(document& doc) {
    operation_definition op;
    op.loc = tok_.loc;
    op.op = tok_.text == "query"      ? operation_type::query
            : tok_.text == "mutation" ? operation_type::mutation
                                      : operation_type::subscription;
    if (!advance())
      return false;
    if (tok_.kind == token_kind::name && !expect_name(op.name, &op.name_loc))
      return false;
    if (tok_.kind == token_kind::paren_l) {
      if (!advance())
        return false;
      do {
        variable_definition v;
        if (!parse_variable_definition(v))
          return false;
        op.variables.push_back(std::move(v));
      } while (tok_.kind != token_kind::paren_r);
      if (!advance())
        return false;
    }
    if (!parse_directives(op.directives, true) ||
        !parse_selection_set(op.selections))
      return false;
    doc.operations.push_back(std::move(op));
    return true;
  }

  bool parse_variable_definition(variable_definition& v) {
    v.loc = tok_.loc;
    if (!expect(token_kind::dollar) || !expect_name(v.name, &v.name_loc) ||
        !expect(token_kind::colon) || !parse_type(v.type))
      return false;
    if (tok_.kind == token_kind::equals) {
      if (!advance())
        return false;
      value dv;
      if (!parse_value(dv, true))
        return false;
      v.default_value = std::move(dv);
    }
    return parse_directives(v.directives, true);
  }

  bool parse_type(type_ref& t) {
    if (!enter(tok_.loc))
      return false;
    depth_guard g(*this);
    location at = tok_.loc;
    if (tok_.kind == token_kind::bracket_l) {
      if (!advance())
        return false;
      type_ref inner;
      if (!parse_type(inner) || !expect(token_kind::bracket_r))
        return false;
      t = type_ref::list_of(std::move(inner));
    } else {
      std::string n;
      if (!expect_name(n))
        return false;
      t = type_ref::named_type(std::move(n));
    }
    t.loc = at;
    if (tok_.kind == token_kind::bang) {
      if (!advance())
        return false;
      t = type_ref::non_null_of(std::move(t));
      t.loc = at;
    }
    return true;
  }

  bool parse_fragment(document& doc) {
    fragment_definition f;
    f.loc = tok_.loc;
    if (!advance())
      return false;
    if (peek_keyword("on"))
      return unexpected();
    if (!expect_name(f.name, &f.name_loc))
      return false;
    if (!peek_keyword("on"))
      return fail("Syntax Error: Expected \"on\", found " + token_desc() + ".",
                  tok_.loc);
    if (!advance() || !expect_name(f.type_condition, &f.type_condition_loc) ||
        !parse_directives(f.directives, true) ||
        !parse_selection_set(f.selections))
      return false;
    doc.fragments.push_back(std::move(f));
    return true;
  }

  bool parse_selection_set(selection_set& ss) {
    if (!enter(tok_.loc))
      return false;
    depth_guard g(*this);
    ss.loc = tok_.loc;
    if (!expect(token_kind::brace_l))
      return false;
    do {
      selection s;
      if (!parse_selection(s))
        return false;
      ss.items.push_back(std::move(s));
    } while (tok_.kind != token_kind::brace_r);
    return advance();
  }

  bool parse_selection(selection& s) {
    s.loc = tok_.loc;
    if (tok_.kind == token_kind::spread) {
      if (!advance())
        return false;
      if (tok_.kind == token_kind::name && tok_.text != "on") {
        s.kind = selection_kind::fragment_spread;
        return expect_name(s.name, &s.name_loc) &&
               parse_directives(s.directives, false);
      }
      s.kind = selection_kind::inline_fragment;
      if (peek_keyword("on")) {
        if (!advance() || !expect_name(s.type_condition, &s.type_condition_loc))
          return false;
      }
      return parse_directives(s.directives, false) &&
             parse_selection_set(s.selections);
    }
    s.kind = selection_kind::field;
    if (!expect_name(s.name))
      return false;
    if (tok_.kind == token_kind::colon) {
      if (!advance())
        return false;
      s.alias = std::move(s.name);
      if (!expect_name(s.name))
        return false;
    }
    if (!parse_arguments(s.args, false) ||
        !parse_directives(s.directives, false))
      return false;
    if (tok_.kind == token_kind::brace_l)
      return parse_selection_set(s.selections);
    return true;
  }

  bool parse_arguments(std::vector<argument>& args, bool is_const) {
    if (tok_.kind != token_kind::paren_l)
      return true;
    if (!advance())
      return false;
    do {
      argument a;
      a.loc = tok_.loc;
      if (!expect_name(a.name) || !expect(token_kind::colon) ||
          !parse_value(a.val, is_const))
        return false;
      args.push_back(std::move(a));
    } while (tok_.kind != token_kind::paren_r);
    return advance();
  }

  bool parse_directives(std::vector<directive>& dirs, bool is_const) {
    while (tok_.kind == token_kind::at) {
      directive d;
      d.loc = tok_.loc;
      if (!advance() || !expect_name(d.name) ||
          !parse_arguments(d.args, is_const))
        return false;
      dirs.push_back(std::move(d));
    }
    return true;
  }

  bool parse_value(value& v, bool is_const) {
    v.loc = tok_.loc;
    switch (tok_.kind) {
      case token_kind::bracket_l: {
        if (!enter(tok_.loc))
          return false;
        depth_guard g(*this);
        v.kind = value_kind::list;
        if (!advance())
          return false;
        while (tok_.kind != token_kind::bracket_r) {
          value item;
          if (!parse_value(item, is_const))
            return false;
          v.items.push_back(std::move(item));
        }
        return advance();
      }
      case token_kind::brace_l: {
        if (!enter(tok_.loc))
          return false;
        depth_guard g(*this);
        v.kind = value_kind::object;
        if (!advance())
          return false;
        while (tok_.kind != token_kind::brace_r) {
          value field;
          std::string name;
          location name_loc;
          if (!expect_name(name, &name_loc) || !expect(token_kind::colon) ||
              !parse_value(field, is_const))
            return false;
          field.name = std::move(name);
          field.name_loc = name_loc;
          v.items.push_back(std::move(field));
        }
        return advance();
      }
      case token_kind::int_:
        v.kind = value_kind::int_;
        v.text = std::move(tok_.text);
        return advance();
      case token_kind::float_:
        v.kind = value_kind::float_;
        v.text = std::move(tok_.text);
        return advance();
      case token_kind::string:
      case token_kind::block_string:
        v.kind = value_kind::string;
        v.text = std::move(tok_.text);
        return advance();
      case token_kind::name:
        if (tok_.text == "true" || tok_.text == "false") {
          v.kind = value_kind::boolean;
          v.boolean = tok_.text == "true";
        } else if (tok_.text == "null") {
          v.kind = value_kind::null;
        } else {
          v.kind = value_kind::enum_;
          v.text = std::move(tok_.text);
        }
        return advance();
      case token_kind::dollar:
        if (is_const) {
          if (!advance())
            return false;
          if (tok_.kind == token_kind::name)
            return fail("Syntax Error: Unexpected variable \"$" + tok_.text +
                          "\" in constant value.",
                        v.loc);
          return unexpected();
        }
        v.kind = value_kind::variable;
        return advance() && expect_name(v.text);
      default:
        return unexpected();
    }
  }

  lexer lex_;
  const parse_limits& limits_;
  token tok_;
  std::size_t tokens_ = 0;
  std::size_t depth_ = 0;
};

} // namespace

parse_result parse(std::string_view source, const parse_limits& limits) {
  parse_result r;
  if (source.size() > limits.max_bytes) {
    r.err = error{"Syntax Error: Document is larger than " +
                    std::to_string(limits.max_bytes) + " bytes.",
                  {},
                  nullptr,
                  codes::limit};
    return r;
  }
  parser p(source, limits);
  document doc;
  if (p.start() && p.parse_document(doc)) {
    r.doc = std::move(doc);
    return r;
  }
  r.err = p.err;
  return r;
}

std::optional<value> parse_value(std::string_view source, error& err,
                                 const parse_limits& limits) {
  if (source.size() > limits.max_bytes) {
    err = error{"Syntax Error: Value is too large.", {}, nullptr, codes::limit};
    return std::nullopt;
  }
  parser p(source, limits);
  value v;
  if (p.start() && p.parse_value_only(v))
    return v;
  if (p.err)
    err = *p.err;
  return std::nullopt;
}

} // namespace themis::graphql
