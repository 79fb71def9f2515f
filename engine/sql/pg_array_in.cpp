/// array_in: PostgreSQL's text input of arrays, checked as PostgreSQL's
/// ArrayCount does (the same malformed-literal details) before any element
/// is converted.

#include <cctype>
#include <vector>

#include "engine/sql/pg_array.hpp"
#include "engine/sql/pg_types.hpp"
#include "engine/sql/sql_functions.hpp"

namespace themis::sql::array_detail {

using json = nlohmann::json;

namespace {

[[noreturn]] void malformed(std::string_view text, const std::string& detail) {
  throw sql_error("22P02", "malformed array literal: \"" + std::string(text) +
                             "\"" + error_trailer("", "", "", "", detail));
}

/// PostgreSQL's array_in, as a state machine with an explicit stack (no
/// recursion): `{…}` nesting at most 6 deep, quoted and unquoted elements,
/// backslash escapes, unquoted NULL, optional `[1:n]…=` decoration.
class text_parser {
public:
  text_parser(std::string_view s, uint32_t elem) : s_(s), elem_(elem) {}

  json parse() {
    skip();
    std::vector<std::pair<int64_t, int64_t>> bounds;
    if (i_ < s_.size() && s_[i_] == '[') {
      bounds = decoration();
      skip();
      if (i_ >= s_.size() || s_[i_] != '{')
        malformed(s_, "Array contents must start with \"{\".");
    } else if (i_ >= s_.size() || s_[i_] != '{') {
      malformed(s_, "Array value must start with \"{\" or dimension "
                    "information.");
    }
    json out = body();
    skip();
    if (i_ != s_.size())
      malformed(s_, "Junk after closing right brace.");
    convert(out);
    if (!bounds.empty()) {
      auto dims = array_dims(out);
      bool match = dims.size() == bounds.size();
      for (size_t k = 0; match && k < dims.size(); ++k)
        match = bounds[k].second - bounds[k].first + 1 == dims[k];
      if (!match)
        malformed(s_, "Specified array dimensions do not match array "
                      "contents.");
      for (auto& b : bounds)
        if (b.first != 1)
          throw sql_error("0A000", "array lower bounds other than 1 are not "
                                   "supported");
    }
    return out;
  }

private:
  /// Element texts → stored forms, after the structure checks (as
  /// PostgreSQL reports a malformed literal before a bad element).
  void convert(json& j) {
    if (j.is_array()) {
      for (auto& x : j) // at most 6 deep
        convert(x);
    } else if (j.is_string()) {
      j = element_json(coerce(value::of_text(j.get<std::string>()), elem_),
                       elem_);
    }
  }

  void skip() {
    while (i_ < s_.size() && space(s_[i_]))
      ++i_;
  }

  [[noreturn]] void end() { malformed(s_, "Unexpected end of input."); }

  int64_t bound() {
    skip();
    size_t start = i_;
    if (i_ < s_.size() && (s_[i_] == '-' || s_[i_] == '+'))
      ++i_;
    int64_t v = 0;
    size_t digits = 0;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) {
      if (v > 100000000000LL)
        throw sql_error("54000", "array size exceeds the maximum allowed");
      v = v * 10 + (s_[i_++] - '0');
      ++digits;
    }
    if (!digits)
      malformed(s_, "Missing array dimension value.");
    skip();
    return s_[start] == '-' ? -v : v;
  }

  std::vector<std::pair<int64_t, int64_t>> decoration() {
    std::vector<std::pair<int64_t, int64_t>> out;
    while (i_ < s_.size() && s_[i_] == '[') {
      if (out.size() == static_cast<size_t>(max_array_dims))
        too_many_dims(out.size() + 1);
      ++i_;
      int64_t lo = 1, hi = bound();
      if (i_ < s_.size() && s_[i_] == ':') {
        ++i_;
        lo = hi;
        hi = bound();
      }
      if (i_ >= s_.size() || s_[i_] != ']')
        malformed(s_, "Missing \"]\" after array dimensions.");
      ++i_;
      if (hi < lo)
        throw sql_error("2202E", "upper bound cannot be less than lower bound");
      out.emplace_back(lo, hi);
      skip();
    }
    if (i_ >= s_.size() || s_[i_] != '=')
      malformed(s_, "Missing \"=\" after array dimensions.");
    ++i_;
    return out;
  }

  /// The element starting at i_ (not '{', ',', '}'), converted.
  json element() {
    std::string text;
    bool quoted = false, escaped = false;
    if (s_[i_] == '"') {
      quoted = true;
      for (++i_;; ++i_) {
        if (i_ >= s_.size())
          end();
        char c = s_[i_];
        if (c == '\\') {
          if (++i_ >= s_.size())
            end();
          text.push_back(s_[i_]);
        } else if (c == '"') {
          ++i_;
          break;
        } else {
          text.push_back(c);
        }
      }
    } else {
      size_t keep = 0; // length without unescaped trailing whitespace
      for (;; ++i_) {
        if (i_ >= s_.size())
          end();
        char c = s_[i_];
        if (c == ',' || c == '}')
          break;
        if (c == '"')
          malformed(s_, "Unexpected array element.");
        if (c == '{')
          malformed(s_, "Unexpected \"{\" character.");
        if (c == '\\') {
          if (++i_ >= s_.size())
            end();
          text.push_back(s_[i_]);
          keep = text.size();
          escaped = true;
        } else {
          text.push_back(c);
          if (!space(c))
            keep = text.size();
        }
      }
      text.resize(keep);
    }
    if (!quoted && !escaped && text.size() == 4) {
      std::string u = text;
      for (auto& c : u)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (u == "NULL")
        return nullptr;
    }
    return text; // converted once the whole structure is known good
  }

  json body() {
    enum class tok { open, elem, close, comma };
    struct level {
      json items = json::array();
      bool subarrays = false, scalars = false;
    };
    std::vector<level> st;
    // per depth: elements counted in the first closed array at that depth
    std::vector<int64_t> counts(max_array_dims + 1, -1);
    int leaf_depth = -1;
    tok prev = tok::open;
    const std::string mismatch = "Multidimensional arrays must have "
                                 "sub-arrays with matching dimensions.";
    ++i_;
    st.emplace_back();
    for (;;) {
      skip();
      if (i_ >= s_.size())
        end();
      char c = s_[i_];
      auto depth = static_cast<int>(st.size());
      if (c == '{') {
        if ((prev != tok::open && prev != tok::comma) || st.back().scalars)
          malformed(s_, "Unexpected \"{\" character.");
        if (depth >= max_array_dims)
          too_many_dims(static_cast<size_t>(depth) + 1);
        if (leaf_depth >= 0 && depth + 1 > leaf_depth)
          malformed(s_, mismatch);
        st.back().subarrays = true;
        st.emplace_back();
        ++i_;
        prev = tok::open;
      } else if (c == '}') {
        if (prev == tok::comma || (prev == tok::open && depth > 1))
          malformed(s_, "Unexpected \"}\" character.");
        auto done = std::move(st.back());
        st.pop_back();
        ++i_;
        if (prev == tok::open) // "{}": the empty array (top level only)
          return json::array();
        auto n = static_cast<int64_t>(done.items.size());
        if (done.subarrays && leaf_depth >= 0 && depth >= leaf_depth)
          malformed(s_, mismatch);
        if (counts[static_cast<size_t>(depth)] < 0)
          counts[static_cast<size_t>(depth)] = n;
        else if (counts[static_cast<size_t>(depth)] != n)
          malformed(s_, mismatch);
        if (st.empty())
          return std::move(done.items);
        st.back().items.push_back(std::move(done.items));
        prev = tok::close;
      } else if (c == ',') {
        if (prev != tok::elem && prev != tok::close)
          malformed(s_, "Unexpected \",\" character.");
        ++i_;
        prev = tok::comma;
      } else {
        if ((prev != tok::open && prev != tok::comma) || st.back().subarrays)
          malformed(s_, "Unexpected array element.");
        if (leaf_depth >= 0 && leaf_depth != depth)
          malformed(s_, mismatch);
        leaf_depth = depth;
        st.back().scalars = true;
        st.back().items.push_back(element());
        prev = tok::elem;
      }
    }
  }

  std::string_view s_;
  uint32_t elem_;
  size_t i_ = 0;
};

} // namespace

json parse_array_literal(std::string_view text, uint32_t elem) {
  return text_parser(text, elem).parse();
}

} // namespace themis::sql::array_detail
