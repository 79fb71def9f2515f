/// Text helpers of the DO interpreter (issue 36): variables replaced by
/// literals, format(), condition names, and the statements the front-end
/// runs itself (DO, PREPARE, EXECUTE, DEALLOCATE).

#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/plpgsql.hpp"

namespace themis::sql::plpgsql {

using json = nlohmann::json;

namespace {

bool ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (static_cast<unsigned char>(c) & 0x80);
}
bool ident_char(char c) {
  return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) ||
         c == '$';
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// The end of the quoted or commented span that starts at `i`, or `i` if
/// none starts there.
size_t skip_quoted(const std::string& s, size_t i) {
  auto n = s.size();
  char c = s[i];
  if (c == '\'' || c == '"') {
    for (size_t j = i + 1; j < n; ++j)
      if (s[j] == c) {
        if (j + 1 < n && s[j + 1] == c) {
          ++j;
          continue;
        }
        return j + 1;
      }
    return n;
  }
  if (c == '-' && i + 1 < n && s[i + 1] == '-') {
    auto e = s.find('\n', i);
    return e == std::string::npos ? n : e;
  }
  if (c == '/' && i + 1 < n && s[i + 1] == '*') {
    auto e = s.find("*/", i + 2);
    return e == std::string::npos ? n : e + 2;
  }
  if (c == '$') {
    size_t j = i + 1;
    while (j < n && ident_char(s[j]) && s[j] != '$')
      ++j;
    if (j < n && s[j] == '$' &&
        (j == i + 1 || !std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      auto tag = s.substr(i, j - i + 1);
      auto e = s.find(tag, j + 1);
      return e == std::string::npos ? n : e + tag.size();
    }
  }
  return i;
}

} // namespace

std::string substitute(
  const std::string& sql,
  const std::function<std::optional<std::string>(const std::string&)>& lit) {
  std::string out;
  size_t i = 0, n = sql.size();
  std::string prev_word;
  while (i < n) {
    auto q = skip_quoted(sql, i);
    if (q != i) {
      out.append(sql, i, q - i);
      i = q;
      prev_word.clear();
      continue;
    }
    char c = sql[i];
    if (ident_start(c) && (i == 0 || !ident_char(sql[i - 1]))) {
      size_t j = i;
      while (j < n && ident_char(sql[j]))
        ++j;
      auto word = sql.substr(i, j - i);
      size_t a = j;
      while (a < n && std::isspace(static_cast<unsigned char>(sql[a])))
        ++a;
      size_t b = out.size();
      while (b > 0 && std::isspace(static_cast<unsigned char>(out[b - 1])))
        --b;
      bool after_dot = b > 0 && out[b - 1] == '.';
      if (a < n && sql[a] == '.' && !after_dot) {
        // rec.field: asked as one name
        size_t k = a + 1;
        while (k < n && std::isspace(static_cast<unsigned char>(sql[k])))
          ++k;
        size_t m = k;
        while (m < n && ident_char(sql[m]))
          ++m;
        if (m > k && ident_start(sql[k]))
          if (auto rep = lit(lower(word) + "." + lower(sql.substr(k, m - k)))) {
            out += *rep;
            prev_word.clear();
            i = m;
            continue;
          }
      }
      bool qualified = (a < n && (sql[a] == '.' || sql[a] == '(')) || after_dot;
      std::optional<std::string> rep;
      if (!qualified && prev_word != "as")
        rep = lit(lower(word));
      out += rep ? *rep : word;
      prev_word = lower(word);
      i = j;
      continue;
    }
    if (!std::isspace(static_cast<unsigned char>(c)))
      prev_word.clear();
    out.push_back(c);
    ++i;
  }
  return out;
}

std::string literal(const std::optional<std::string>& v,
                    const std::string& type) {
  if (!v)
    return "NULL";
  auto t = lower(type);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())))
    t.pop_back();
  auto oid = t.empty() || t == "unknown" ? oid::int8 : type_by_name(t);
  std::string quoted = "'";
  for (char c : *v) {
    quoted.push_back(c);
    if (c == '\'')
      quoted.push_back('\'');
  }
  quoted.push_back('\'');
  switch (oid) {
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::float4:
    case oid::float8:
    case oid::numeric: {
      // a number as itself (parenthesized: `x - -1` is no comment)
      bool plain = !v->empty();
      for (char c : *v)
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' &&
            c != '.' && c != 'e' && c != 'E' && c != '+')
          plain = false;
      if (plain)
        return "(" + *v + ")";
      return quoted + "::" + t;
    }
    case oid::boolean:
      return (*v == "t" || *v == "true" || *v == "1") ? "true" : "false";
    case 0:
      return quoted;
    case oid::name: // catalog names (pg_tables.tablename) compare as text
      return quoted + "::text";
    default:
      return quoted + "::" + t;
  }
}

std::string format(const std::string& fmt,
                   const std::vector<std::optional<std::string>>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out.push_back(fmt[i]);
      continue;
    }
    if (++i >= fmt.size())
      throw sql_error("22023", "unterminated format() type specifier");
    char t = fmt[i];
    if (t == '%') {
      out.push_back('%');
      continue;
    }
    if (t != 's' && t != 'I' && t != 'L')
      throw sql_error("22023", std::string("unrecognized format() type "
                                           "specifier \"") +
                                 t + "\"");
    if (next >= args.size())
      throw sql_error("22023", "too few arguments for format()");
    auto& a = args[next++];
    if (t == 's')
      out += a ? *a : "";
    else if (t == 'L')
      out += a ? literal(a, "text").substr(0, literal(a, "text").size() - 6)
               : "NULL";
    else {
      if (!a)
        throw sql_error("22004", "null values cannot be formatted as an SQL "
                                 "identifier");
      bool plain =
        !a->empty() && !std::isdigit(static_cast<unsigned char>((*a)[0]));
      for (char c : *a)
        if (!(std::islower(static_cast<unsigned char>(c)) ||
              std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
          plain = false;
      if (plain) {
        out += *a;
      } else {
        out.push_back('"');
        for (char c : *a) {
          out.push_back(c);
          if (c == '"')
            out.push_back('"');
        }
        out.push_back('"');
      }
    }
  }
  return out;
}

std::string condition_state(const std::string& name) {
  static const std::map<std::string, std::string> names = {
    {"unique_violation", "23505"},
    {"foreign_key_violation", "23503"},
    {"not_null_violation", "23502"},
    {"check_violation", "23514"},
    {"integrity_constraint_violation", "23000"},
    {"division_by_zero", "22012"},
    {"numeric_value_out_of_range", "22003"},
    {"invalid_text_representation", "22P02"},
    {"string_data_right_truncation", "22001"},
    {"invalid_parameter_value", "22023"},
    {"null_value_not_allowed", "22004"},
    {"data_exception", "22000"},
    {"undefined_table", "42P01"},
    {"undefined_column", "42703"},
    {"undefined_object", "42704"},
    {"undefined_function", "42883"},
    {"duplicate_table", "42P07"},
    {"duplicate_object", "42710"},
    {"duplicate_column", "42701"},
    {"duplicate_schema", "42P06"},
    {"duplicate_function", "42723"},
    {"invalid_schema_name", "3F000"},
    {"syntax_error", "42601"},
    {"insufficient_privilege", "42501"},
    {"feature_not_supported", "0A000"},
    {"raise_exception", "P0001"},
    {"no_data_found", "P0002"},
    {"too_many_rows", "P0003"},
    {"assert_failure", "P0004"},
    {"serialization_failure", "40001"},
    {"deadlock_detected", "40P01"},
    {"lock_not_available", "55P03"},
    {"object_in_use", "55006"},
    {"query_canceled", "57014"},
    {"invalid_transaction_state", "25000"},
    {"in_failed_sql_transaction", "25P02"},
    {"cardinality_violation", "21000"},
    {"datatype_mismatch", "42804"},
    {"wrong_object_type", "42809"},
    {"invalid_cursor_name", "34000"},
    {"undefined_parameter", "42P02"},
  };
  auto it = names.find(lower(name));
  return it == names.end() ? std::string() : it->second;
}

namespace {

/// The text after `PREPARE name [(types)]` and its AS (the statement).
std::string prepared_text(const std::string& text) {
  size_t i = 0, n = text.size(), depth = 0;
  bool named = false;
  while (i < n) {
    auto q = skip_quoted(text, i);
    if (q != i) {
      i = q;
      named = true;
      continue;
    }
    char c = text[i];
    if (c == '(')
      ++depth;
    else if (c == ')' && depth)
      --depth;
    else if (depth == 0 && ident_start(c) &&
             (i == 0 || !ident_char(text[i - 1]))) {
      size_t j = i;
      while (j < n && ident_char(text[j]))
        ++j;
      auto w = lower(text.substr(i, j - i));
      if (w == "as" && named)
        return text.substr(j);
      if (w != "prepare")
        named = true;
      i = j;
      continue;
    }
    ++i;
  }
  throw sql_error("42601", "syntax error in PREPARE");
}

/// The text inside EXECUTE name(…)'s parentheses ("" without).
std::string execute_args(const std::string& text) {
  auto open = text.find('(');
  if (open == std::string::npos)
    return {};
  size_t depth = 0;
  for (size_t i = open; i < text.size();) {
    auto q = skip_quoted(text, i);
    if (q != i) {
      i = q;
      continue;
    }
    if (text[i] == '(')
      ++depth;
    else if (text[i] == ')' && --depth == 0)
      return text.substr(open + 1, i - open - 1);
    ++i;
  }
  throw sql_error("42601", "syntax error in EXECUTE: unbalanced parentheses");
}

} // namespace

std::optional<statement> session_statement(const parsed_statement& p) {
  if (!p.tree)
    return std::nullopt;
  auto& node = *static_cast<const json*>(p.tree.get());
  if (!node.is_object() || node.size() != 1)
    return std::nullopt;
  auto& type = node.begin().key();
  auto& b = node.begin().value();
  statement st;
  if (type == "DoStmt") {
    std::string lang = "plpgsql";
    bool have_body = false;
    for (auto& a : b.value("args", json::array())) {
      auto& d = a.contains("DefElem") ? a["DefElem"] : a;
      auto name = d.value("defname", std::string());
      auto val = d.contains("arg") && d["arg"].contains("String")
                   ? d["arg"]["String"].value("sval", std::string())
                   : std::string();
      if (name == "as") {
        st.val = val;
        have_body = true;
      } else if (name == "language") {
        lang = lower(val);
      }
    }
    if (lang != "plpgsql")
      throw sql_error("0A000", "language \"" + lang +
                                 "\" does not support inline code execution");
    if (!have_body)
      throw sql_error("42601", "no inline code specified");
    st.kind = stmt_kind::do_block;
    st.tag = "DO";
    return st;
  }
  if (type == "PrepareStmt") {
    st.kind = stmt_kind::prepare;
    st.tag = "PREPARE";
    st.var = b.value("name", std::string());
    st.val = prepared_text(p.text);
    for (auto& t : b.value("argtypes", json::array())) {
      auto& tn = t.contains("TypeName") ? t["TypeName"] : t;
      std::string name;
      for (auto& part : tn.value("names", json::array()))
        if (part.contains("String"))
          name = part["String"].value("sval", std::string());
      auto oid = type_by_name(lower(name));
      if (!oid)
        throw sql_error("42704", "type \"" + name + "\" does not exist");
      if (tn.contains("arrayBounds"))
        throw sql_error("0A000", "array parameter types in PREPARE are not "
                                 "supported");
      st.params.push_back(oid);
    }
    return st;
  }
  if (type == "ExecuteStmt") {
    st.kind = stmt_kind::execute;
    st.tag = "EXECUTE";
    st.var = b.value("name", std::string());
    if (b.contains("params"))
      st.val = execute_args(p.text);
    return st;
  }
  if (type == "DeallocateStmt") {
    st.kind = stmt_kind::deallocate;
    st.var = b.value("name", std::string());
    st.tag = st.var.empty() ? "DEALLOCATE ALL" : "DEALLOCATE";
    return st;
  }
  return std::nullopt;
}

} // namespace themis::sql::plpgsql
