#pragma once
/// GraphQL lexer (October 2021, section 2.1): ignored tokens (BOM, white
/// space, line terminators, comments, commas) are skipped; strings and
/// block strings are decoded; positions are 1-based line/column in code
/// points. Internal to engine/graphql.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/graphql/ast.hpp"

namespace themis::graphql {

enum class token_kind {
  eof,
  bang,
  dollar,
  amp,
  paren_l,
  paren_r,
  spread,
  colon,
  equals,
  at,
  bracket_l,
  bracket_r,
  brace_l,
  pipe,
  brace_r,
  name,
  int_,
  float_,
  string,
  block_string
};

const char* describe(token_kind k);

struct token {
  token_kind kind = token_kind::eof;
  std::string text; ///< name, number text or decoded string
  location loc;
};

class lexer {
public:
  explicit lexer(std::string_view src);
  /// Reads the next token; false with error() set on a lexical error.
  bool next(token& out);
  const std::string& error() const { return error_; }
  location error_loc() const { return error_loc_; }

private:
  bool fail(std::string msg, location at);
  bool fail_here(std::string msg) { return fail(std::move(msg), here()); }
  location here() const { return {line_, col_}; }
  void advance(std::size_t bytes);
  void newline(std::size_t bytes);
  /// Decodes one UTF-8 code point at pos_ (no advance); -1 if invalid.
  std::int32_t peek_cp(std::size_t& len) const;
  bool read_number(token& out);
  bool read_string(token& out);
  bool read_block_string(token& out);
  bool read_escape(std::string& out);
  bool read_hex4(std::size_t at, std::uint32_t& v) const;

  std::string_view src_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::uint32_t col_ = 1;
  std::string error_;
  location error_loc_;
};

/// Appends the UTF-8 encoding of a Unicode scalar value.
void append_utf8(std::string& out, std::uint32_t cp);
/// BlockStringValue (section 2.9.4) of a raw block string body.
std::string block_string_value(std::string_view raw);

} // namespace themis::graphql
