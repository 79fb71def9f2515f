#pragma once
/// AQL tokenizer: the query text to a token list with 1-based positions.
/// Keywords are plain identifiers here; the parser decides by context, so
/// `u.count` or `doc.filter` stay attribute names.

#include <string>
#include <string_view>
#include <vector>

namespace themis::aql {

enum class token_kind {
  ident,     ///< name or keyword; `quoted` for `backtick` names
  string,    ///< text holds the unescaped value
  integer,   ///< text holds the digits
  decimal,   ///< text holds the literal
  bind,      ///< @name: text = name
  bind_coll, ///< @@name: text = name
  op,        ///< punctuation and operators: text holds it
  end,
};

struct token {
  token_kind kind = token_kind::end;
  std::string text;
  int line = 1;
  int column = 1;
  bool quoted = false;
};

/// Throws aql_error(parse) with the position of the first bad character.
std::vector<token> tokenize(std::string_view query);

} // namespace themis::aql
