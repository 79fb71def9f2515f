#include "engine/aql/like.hpp"

#include <cstdint>
#include <vector>

#include "engine/aql/functions_impl.hpp"

namespace themis::aql {

namespace {

enum class tok_kind : uint8_t { literal, any_one, any_seq };

struct token {
  tok_kind kind;
  uint32_t cp;
};

std::vector<token> compile(std::string_view pattern, bool fold) {
  std::vector<token> out;
  bool escaped = false;
  for (size_t i = 0; i < pattern.size();) {
    auto c = fn::utf8_decode(pattern, i);
    i += c.len;
    if (escaped) {
      out.push_back({tok_kind::literal, fold ? fn::lower_cp(c.cp) : c.cp});
      escaped = false;
    } else if (c.cp == '\\') {
      escaped = true;
    } else if (c.cp == '%') {
      // runs of % are one wildcard; keeping them would only cost backtracking
      if (out.empty() || out.back().kind != tok_kind::any_seq)
        out.push_back({tok_kind::any_seq, 0});
    } else if (c.cp == '_') {
      out.push_back({tok_kind::any_one, 0});
    } else {
      out.push_back({tok_kind::literal, fold ? fn::lower_cp(c.cp) : c.cp});
    }
  }
  if (escaped) // a trailing backslash stands for itself
    out.push_back({tok_kind::literal, '\\'});
  return out;
}

} // namespace

bool like_match(std::string_view text, std::string_view pattern,
                bool case_insensitive) {
  std::vector<token> pat = compile(pattern, case_insensitive);
  std::vector<uint32_t> txt = fn::utf8_code_points(text);
  if (case_insensitive) {
    for (auto& cp : txt)
      cp = fn::lower_cp(cp);
  }
  // Classic wildcard matching with a single backtrack point: on a mismatch
  // only the most recent % needs to absorb one more character, which keeps
  // the worst case at O(|text| * |pattern|) instead of exponential.
  size_t t = 0;
  size_t p = 0;
  size_t star_p = SIZE_MAX;
  size_t star_t = 0;
  while (t < txt.size()) {
    if (p < pat.size() &&
        (pat[p].kind == tok_kind::any_one ||
         (pat[p].kind == tok_kind::literal && pat[p].cp == txt[t]))) {
      ++t;
      ++p;
    } else if (p < pat.size() && pat[p].kind == tok_kind::any_seq) {
      star_p = p++;
      star_t = t;
    } else if (star_p != SIZE_MAX) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p].kind == tok_kind::any_seq)
    ++p;
  return p == pat.size();
}

} // namespace themis::aql
