#include "engine/graphql/lexer.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace themis::graphql {

namespace {

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_continue(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string char_desc(std::int32_t cp) {
  if (cp < 0)
    return "invalid UTF-8";
  if (cp >= 0x20 && cp < 0x7F && cp != '"') {
    return std::string("\"") + static_cast<char>(cp) + "\"";
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

} // namespace

const char* describe(token_kind k) {
  switch (k) {
    case token_kind::eof:
      return "<EOF>";
    case token_kind::bang:
      return "\"!\"";
    case token_kind::dollar:
      return "\"$\"";
    case token_kind::amp:
      return "\"&\"";
    case token_kind::paren_l:
      return "\"(\"";
    case token_kind::paren_r:
      return "\")\"";
    case token_kind::spread:
      return "\"...\"";
    case token_kind::colon:
      return "\":\"";
    case token_kind::equals:
      return "\"=\"";
    case token_kind::at:
      return "\"@\"";
    case token_kind::bracket_l:
      return "\"[\"";
    case token_kind::bracket_r:
      return "\"]\"";
    case token_kind::brace_l:
      return "\"{\"";
    case token_kind::pipe:
      return "\"|\"";
    case token_kind::brace_r:
      return "\"}\"";
    case token_kind::name:
      return "Name";
    case token_kind::int_:
      return "Int";
    case token_kind::float_:
      return "Float";
    case token_kind::string:
      return "String";
    case token_kind::block_string:
      return "BlockString";
  }
  return "?";
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

lexer::lexer(std::string_view src) : src_(src) {
  if (src_.size() >= 3 && src_.substr(0, 3) == "\xEF\xBB\xBF")
    pos_ = 3; // byte order mark is ignored
}

bool lexer::fail(std::string msg, location at) {
  error_ = std::move(msg);
  error_loc_ = at;
  return false;
}

void lexer::advance(std::size_t bytes) {
  for (std::size_t i = 0; i < bytes && pos_ < src_.size(); ++i, ++pos_) {
    if ((static_cast<unsigned char>(src_[pos_]) & 0xC0) != 0x80)
      ++col_;
  }
}

void lexer::newline(std::size_t bytes) {
  pos_ += bytes;
  ++line_;
  col_ = 1;
}

std::int32_t lexer::peek_cp(std::size_t& len) const {
  auto b = [&](std::size_t i) -> unsigned {
    return pos_ + i < src_.size() ? static_cast<unsigned char>(src_[pos_ + i])
                                  : 0x100u;
  };
  unsigned c = b(0);
  len = 1;
  if (c < 0x80)
    return static_cast<std::int32_t>(c);
  std::uint32_t cp;
  std::size_t n;
  if ((c & 0xE0) == 0xC0) {
    cp = c & 0x1F, n = 2;
  } else if ((c & 0xF0) == 0xE0) {
    cp = c & 0x0F, n = 3;
  } else if ((c & 0xF8) == 0xF0) {
    cp = c & 0x07, n = 4;
  } else {
    return -1;
  }
  for (std::size_t i = 1; i < n; ++i) {
    unsigned x = b(i);
    if ((x & 0xC0) != 0x80)
      return -1;
    cp = (cp << 6) | (x & 0x3F);
  }
  // overlong forms, surrogates and values past U+10FFFF are not scalars
  static constexpr std::uint32_t min_for[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return -1;
  len = n;
  return static_cast<std::int32_t>(cp);
}

bool lexer::next(token& out) {
  // ignored tokens
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (c == ' ' || c == '\t' || c == ',') {
      advance(1);
    } else if (c == '\n') {
      newline(1);
    } else if (c == '\r') {
      newline(pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n' ? 2 : 1);
    } else if (c == '#') {
      while (pos_ < src_.size() && src_[pos_] != '\n' && src_[pos_] != '\r') {
        std::size_t len;
        if (peek_cp(len) < 0)
          return fail_here("Invalid character: invalid UTF-8.");
        advance(len);
      }
    } else {
      break;
    }
  }
  out.text.clear();
  out.loc = here();
  if (pos_ >= src_.size()) {
    out.kind = token_kind::eof;
    return true;
  }
  char c = src_[pos_];
  auto punct = [&](token_kind k) {
    out.kind = k;
    advance(1);
    return true;
  };
  switch (c) {
    case '!':
      return punct(token_kind::bang);
    case '$':
      return punct(token_kind::dollar);
    case '&':
      return punct(token_kind::amp);
    case '(':
      return punct(token_kind::paren_l);
    case ')':
      return punct(token_kind::paren_r);
    case ':':
      return punct(token_kind::colon);
    case '=':
      return punct(token_kind::equals);
    case '@':
      return punct(token_kind::at);
    case '[':
      return punct(token_kind::bracket_l);
    case ']':
      return punct(token_kind::bracket_r);
    case '{':
      return punct(token_kind::brace_l);
    case '|':
      return punct(token_kind::pipe);
    case '}':
      return punct(token_kind::brace_r);
    case '.':
      if (src_.substr(pos_, 3) == "...") {
        out.kind = token_kind::spread;
        advance(3);
        return true;
      }
      return fail_here("Syntax Error: Unexpected \".\".");
    case '"':
      if (src_.substr(pos_, 3) == "\"\"\"")
        return read_block_string(out);
      return read_string(out);
    default:
      break;
  }
  if (is_name_start(c)) {
    std::size_t start = pos_;
    while (pos_ < src_.size() && is_name_continue(src_[pos_]))
      advance(1);
    out.kind = token_kind::name;
    out.text.assign(src_.substr(start, pos_ - start));
    return true;
  }
  if (is_digit(c) || c == '-')
    return read_number(out);
  std::size_t len;
  std::int32_t cp = peek_cp(len);
  return fail_here("Syntax Error: Unexpected character: " + char_desc(cp) +
                   ".");
}

bool lexer::read_number(token& out) {
  std::size_t start = pos_;
  bool is_float = false;
  auto digits = [&]() {
    if (pos_ >= src_.size() || !is_digit(src_[pos_])) {
      std::string got = pos_ < src_.size() ? char_desc(src_[pos_]) : "<EOF>";
      return fail_here(
        "Syntax Error: Invalid number, expected digit but got: " + got + ".");
    }
    while (pos_ < src_.size() && is_digit(src_[pos_]))
      advance(1);
    return true;
  };
  if (src_[pos_] == '-')
    advance(1);
  if (pos_ < src_.size() && src_[pos_] == '0') {
    advance(1);
    if (pos_ < src_.size() && is_digit(src_[pos_]))
      return fail_here("Syntax Error: Invalid number, unexpected digit after "
                       "0: " +
                       char_desc(src_[pos_]) + ".");
  } else if (!digits()) {
    return false;
  }
  if (pos_ < src_.size() && src_[pos_] == '.') {
    is_float = true;
    advance(1);
    if (!digits())
      return false;
  }
  if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
    is_float = true;
    advance(1);
    if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-'))
      advance(1);
    if (!digits())
      return false;
  }
  // a number must not be followed by a name start or '.' (e.g. 1.2.3, 0x1)
  if (pos_ < src_.size() && (src_[pos_] == '.' || is_name_start(src_[pos_])))
    return fail_here("Syntax Error: Invalid number, expected digit but got: " +
                     char_desc(src_[pos_]) + ".");
  out.kind = is_float ? token_kind::float_ : token_kind::int_;
  out.text.assign(src_.substr(start, pos_ - start));
  return true;
}

bool lexer::read_hex4(std::size_t at, std::uint32_t& v) const {
  v = 0;
  if (at + 4 > src_.size())
    return false;
  for (std::size_t i = 0; i < 4; ++i) {
    int h = hex_value(src_[at + i]);
    if (h < 0)
      return false;
    v = v * 16 + static_cast<std::uint32_t>(h);
  }
  return true;
}

bool lexer::read_escape(std::string& out) {
  location at = here();
  if (pos_ + 1 >= src_.size())
    return fail("Syntax Error: Unterminated string.", at);
  char e = src_[pos_ + 1];
  auto simple = [&](char ch) {
    out += ch;
    advance(2);
    return true;
  };
  switch (e) {
    case '"':
      return simple('"');
    case '\\':
      return simple('\\');
    case '/':
      return simple('/');
    case 'b':
      return simple('\b');
    case 'f':
      return simple('\f');
    case 'n':
      return simple('\n');
    case 'r':
      return simple('\r');
    case 't':
      return simple('\t');
    case 'u':
      break;
    default:
      return fail("Syntax Error: Invalid character escape sequence: \"\\" +
                    std::string(1, e) + "\".",
                  at);
  }
  std::uint32_t cp = 0;
  std::size_t used = 0;
  if (pos_ + 2 < src_.size() && src_[pos_ + 2] == '{') {
    // variable-width \u{...}
    std::size_t i = pos_ + 3;
    std::size_t ndig = 0;
    while (i < src_.size() && src_[i] != '}' && ndig < 8) {
      int h = hex_value(src_[i]);
      if (h < 0)
        break;
      cp = cp * 16 + static_cast<std::uint32_t>(h);
      ++i, ++ndig;
    }
    if (ndig == 0 || i >= src_.size() || src_[i] != '}' || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return fail("Syntax Error: Invalid Unicode escape sequence.", at);
    used = i + 1 - pos_;
  } else {
    if (!read_hex4(pos_ + 2, cp))
      return fail("Syntax Error: Invalid Unicode escape sequence.", at);
    used = 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // a leading surrogate must be followed by an escaped trailing one
      std::uint32_t lo = 0;
      if (src_.substr(pos_ + 6, 2) == "\\u" && read_hex4(pos_ + 8, lo) &&
          lo >= 0xDC00 && lo <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        used = 12;
      } else {
        return fail("Syntax Error: Invalid Unicode escape sequence.", at);
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return fail("Syntax Error: Invalid Unicode escape sequence.", at);
    }
  }
  append_utf8(out, cp);
  advance(used);
  return true;
}

bool lexer::read_string(token& out) {
  location start = here();
  advance(1);
  while (pos_ < src_.size()) {
    char c = src_[pos_];
    if (c == '"') {
      advance(1);
      out.kind = token_kind::string;
      return true;
    }
    if (c == '\n' || c == '\r')
      break;
    if (c == '\\') {
      if (!read_escape(out.text))
        return false;
      continue;
    }
    std::size_t len;
    std::int32_t cp = peek_cp(len);
    if (cp < 0)
      return fail_here("Syntax Error: Invalid character within String: " +
                       char_desc(cp) + ".");
    out.text.append(src_.substr(pos_, len));
    advance(len);
  }
  return fail("Syntax Error: Unterminated string.", start);
}

bool lexer::read_block_string(token& out) {
  location start = here();
  advance(3);
  std::string raw;
  while (pos_ < src_.size()) {
    if (src_.substr(pos_, 3) == "\"\"\"") {
      advance(3);
      out.kind = token_kind::block_string;
      out.text = block_string_value(raw);
      return true;
    }
    if (src_.substr(pos_, 4) == "\\\"\"\"") {
      raw += "\"\"\"";
      advance(4);
      continue;
    }
    char c = src_[pos_];
    if (c == '\n') {
      raw += '\n';
      newline(1);
      continue;
    }
    if (c == '\r') {
      raw += '\n';
      newline(pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n' ? 2 : 1);
      continue;
    }
    std::size_t len;
    std::int32_t cp = peek_cp(len);
    if (cp < 0)
      return fail_here("Syntax Error: Invalid character within String: " +
                       char_desc(cp) + ".");
    raw.append(src_.substr(pos_, len));
    advance(len);
  }
  return fail("Syntax Error: Unterminated string.", start);
}

std::string block_string_value(std::string_view raw) {
  std::vector<std::string_view> lines;
  std::size_t s = 0;
  for (std::size_t i = 0; i <= raw.size(); ++i) {
    if (i == raw.size() || raw[i] == '\n') {
      lines.push_back(raw.substr(s, i - s));
      s = i + 1;
    }
  }
  auto indent_of = [](std::string_view l) {
    std::size_t n = 0;
    while (n < l.size() && (l[n] == ' ' || l[n] == '\t'))
      ++n;
    return n;
  };
  std::size_t common = std::string_view::npos;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::size_t ind = indent_of(lines[i]);
    if (ind < lines[i].size() && ind < common)
      common = ind;
  }
  if (common != std::string_view::npos) {
    for (std::size_t i = 1; i < lines.size(); ++i)
      lines[i].remove_prefix(std::min(common, lines[i].size()));
  }
  auto blank = [&](std::string_view l) { return indent_of(l) == l.size(); };
  std::size_t first = 0, last = lines.size();
  while (first < last && blank(lines[first]))
    ++first;
  while (last > first && blank(lines[last - 1]))
    --last;
  std::string out;
  for (std::size_t i = first; i < last; ++i) {
    if (i > first)
      out += '\n';
    out.append(lines[i]);
  }
  return out;
}

} // namespace themis::graphql
