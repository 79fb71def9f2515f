#include "engine/aql/lexer.hpp"

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions_impl.hpp"

namespace themis::aql {

namespace {

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '$';
}

bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9');
}

bool digit(char c) {
  return c >= '0' && c <= '9';
}

class scanner {
public:
  explicit scanner(std::string_view q) : q_(q) {}

  std::vector<token> run() {
    std::vector<token> out;
    for (;;) {
      skip_space();
      token t;
      t.line = line_;
      t.column = col_;
      if (pos_ >= q_.size()) {
        out.push_back(t);
        return out;
      }
      char c = q_[pos_];
      if (ident_start(c)) {
        t.kind = token_kind::ident;
        while (pos_ < q_.size() && ident_char(q_[pos_]))
          t.text.push_back(take());
      } else if (c == '`' || c == '\'' || c == '"') {
        t.kind = c == '`' ? token_kind::ident : token_kind::string;
        t.quoted = c == '`';
        t.text = quoted(t);
      } else if (digit(c) || (c == '.' && pos_ + 1 < q_.size() &&
                              digit(q_[pos_ + 1]) && !after_value(out))) {
        number(t);
      } else if (c == '@') {
        take();
        t.kind = token_kind::bind;
        if (pos_ < q_.size() && q_[pos_] == '@') {
          take();
          t.kind = token_kind::bind_coll;
        }
        while (pos_ < q_.size() && ident_char(q_[pos_]))
          t.text.push_back(take());
        if (t.text.empty())
          fail(t, "bind parameter name expected after '@'");
      } else {
        t.kind = token_kind::op;
        t.text = punct(t);
      }
      out.push_back(std::move(t));
    }
  }

private:
  /// A '.' right after a value is attribute access, not a number.
  static bool after_value(const std::vector<token>& out) {
    if (out.empty())
      return false;
    auto& p = out.back();
    return p.kind != token_kind::op || p.text == ")" || p.text == "]";
  }

  [[noreturn]] void fail(const token& t, const std::string& msg) {
    throw aql_error(error_kind::parse, msg, t.line, t.column);
  }

  char take() {
    char c = q_[pos_++];
    if (c == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    return c;
  }

  void skip_space() {
    while (pos_ < q_.size()) {
      char c = q_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        take();
      } else if (c == '/' && pos_ + 1 < q_.size() && q_[pos_ + 1] == '/') {
        while (pos_ < q_.size() && q_[pos_] != '\n')
          take();
      } else if (c == '/' && pos_ + 1 < q_.size() && q_[pos_ + 1] == '*') {
        token t;
        t.line = line_;
        t.column = col_;
        take();
        take();
        while (pos_ + 1 < q_.size() &&
               !(q_[pos_] == '*' && q_[pos_ + 1] == '/'))
          take();
        if (pos_ + 1 >= q_.size())
          fail(t, "unterminated comment");
        take();
        take();
      } else {
        return;
      }
    }
  }

  uint32_t hex4(const token& t) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      if (pos_ >= q_.size())
        fail(t, "unterminated string");
      char c = take();
      v <<= 4;
      if (digit(c))
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        fail(t, "invalid \\u escape");
    }
    return v;
  }

  std::string quoted(const token& t) {
    char q = take();
    std::string out;
    for (;;) {
      if (pos_ >= q_.size())
        fail(t, "unterminated string");
      char c = take();
      if (c == q)
        return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= q_.size())
        fail(t, "unterminated string");
      char e = take();
      switch (e) {
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'u': {
          auto cp = hex4(t);
          if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 1 < q_.size() &&
              q_[pos_] == '\\' && q_[pos_ + 1] == 'u') {
            take();
            take();
            auto lo = hex4(t);
            if (lo >= 0xDC00 && lo <= 0xDFFF)
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          fn::utf8_append(out, cp);
          break;
        }
        default:
          out.push_back(e); // \\ \' \" \` \/ and unknown: literal
      }
    }
  }

  void number(token& t) {
    t.kind = token_kind::integer;
    if (q_[pos_] == '0' && pos_ + 1 < q_.size() &&
        (q_[pos_ + 1] == 'x' || q_[pos_ + 1] == 'X' || q_[pos_ + 1] == 'b' ||
         q_[pos_ + 1] == 'B')) {
      bool hex = q_[pos_ + 1] == 'x' || q_[pos_ + 1] == 'X';
      take();
      take();
      uint64_t v = 0;
      size_t n = 0;
      while (pos_ < q_.size() &&
             std::isxdigit(static_cast<unsigned char>(q_[pos_]))) {
        char c = q_[pos_];
        if (!hex && c != '0' && c != '1')
          break;
        unsigned d = digit(c) ? c - '0' : (std::tolower(c) - 'a' + 10);
        if (v > (UINT64_MAX >> (hex ? 4 : 1)))
          fail(t, "number literal out of range");
        v = (v << (hex ? 4 : 1)) | d;
        take();
        ++n;
      }
      if (n == 0)
        fail(t, "digits expected in number literal");
      t.text = std::to_string(v);
      return;
    }
    while (pos_ < q_.size() && digit(q_[pos_]))
      t.text.push_back(take());
    // `1..5` is a range, not a decimal
    if (pos_ + 1 < q_.size() && q_[pos_] == '.' && q_[pos_ + 1] != '.') {
      t.kind = token_kind::decimal;
      t.text.push_back(take());
      while (pos_ < q_.size() && digit(q_[pos_]))
        t.text.push_back(take());
    }
    if (pos_ < q_.size() && (q_[pos_] == 'e' || q_[pos_] == 'E')) {
      t.kind = token_kind::decimal;
      t.text.push_back(take());
      if (pos_ < q_.size() && (q_[pos_] == '+' || q_[pos_] == '-'))
        t.text.push_back(take());
      if (pos_ >= q_.size() || !digit(q_[pos_]))
        fail(t, "digits expected in number exponent");
      while (pos_ < q_.size() && digit(q_[pos_]))
        t.text.push_back(take());
    }
    if (pos_ < q_.size() && ident_start(q_[pos_]))
      fail(t, "invalid number literal");
  }

  std::string punct(const token& t) {
    static constexpr std::string_view three[] = {"[*]"};
    static constexpr std::string_view two[] = {"==", "!=", "<=", ">=", "&&",
                                               "||", "..", "=~", "!~", "::"};
    auto rest = q_.substr(pos_);
    for (auto p : three)
      if (rest.substr(0, p.size()) == p) {
        for (size_t i = 0; i < p.size(); ++i)
          take();
        return std::string(p);
      }
    for (auto p : two)
      if (rest.substr(0, 2) == p) {
        take();
        take();
        return std::string(p);
      }
    static constexpr std::string_view one = ".,:;()[]{}?=<>+-*/%!";
    if (one.find(rest[0]) != std::string_view::npos)
      return std::string(1, take());
    fail(t, std::string("unexpected character '") + rest[0] + "'");
  }

  std::string_view q_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
};

} // namespace

std::vector<token> tokenize(std::string_view query) {
  return scanner(query).run();
}

} // namespace themis::aql
