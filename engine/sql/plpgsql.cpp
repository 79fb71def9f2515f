/// The DO-block interpreter (issue 36): walks the JSON tree that
/// pg_query_parse_plpgsql gives for the body wrapped in a CREATE FUNCTION;
/// expressions and statements here, loops, EXCEPTION blocks and RAISE in
/// plpgsql_control.cpp.

#include <pg_query.h>

#include "engine/sql/plpgsql_internal.hpp"
#include "engine/sql/sql_functions.hpp"

namespace themis::sql::plpgsql {

namespace detail {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a])))
    ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1])))
    --b;
  return s.substr(a, b - a);
}

/// The node's single key's value ({"PLpgSQL_expr": {...}} → {...}).
const json& inner(const json& n) {
  static const json empty = json::object();
  if (n.is_object() && n.size() == 1)
    return n.begin().value();
  return empty;
}

const json& field(const json& n, const char* key) {
  static const json none;
  if (!n.is_object())
    return none;
  auto it = n.find(key);
  return it == n.end() ? none : *it;
}

std::string query_of(const json& expr_node) {
  return inner(expr_node).value("query", std::string());
}

interpreter::interpreter(host& h, const json& fn) : h_(h) {
  int i = 0;
  for (auto& d : field(fn, "datums")) {
    variable v;
    if (d.contains("PLpgSQL_var")) {
      auto& b = field(d, "PLpgSQL_var");
      v.name = lower(b.value("refname", std::string()));
      v.type = lower(
        trim(inner(field(b, "datatype")).value("typname", std::string())));
      if (b.contains("default_val"))
        v.default_query = query_of(field(b, "default_val"));
      v.is_const = b.value("isconst", false);
      v.not_null = b.value("notnull", false);
    } else if (d.contains("PLpgSQL_rec")) {
      v.name = lower(inner(d).value("refname", std::string()));
      v.scalar = false;
    } else {
      v.scalar = false; // rows: INTO targets, not names
    }
    if (v.type == "record")
      v.record = true, v.scalar = false;
    if (v.name == "found")
      v.type = "boolean", v.value = "f";
    vars_.push_back(std::move(v));
    if (!vars_.back().name.empty() && vars_.back().name != "(unnamed row)")
      by_name_[vars_.back().name] = i;
    ++i;
  }
  datums_ = field(fn, "datums");
}

void interpreter::run(const json& action) {
  for (auto& v : vars_)
    if (v.scalar && !v.default_query.empty()) {
      v.value = eval(v.default_query);
      if (!v.value && v.not_null)
        throw sql_error("22004", "variable \"" + v.name +
                                   "\" must have a default value, since "
                                   "it's declared NOT NULL");
    }
  try {
    exec(action);
  } catch (const do_return&) {
  } catch (const loop_exit&) {
    throw sql_error("42601", "EXIT cannot be used outside a loop");
  }
}

std::string interpreter::subst(const std::string& q0) {
  auto q = function_mode_ ? dollar_params(q0) : q0; // issue 36
  return substitute(q, [&](const std::string& w) -> std::optional<std::string> {
    if (auto dot = w.find('.'); dot != std::string::npos) {
      auto rec = by_name_.find(w.substr(0, dot));
      if (rec == by_name_.end() ||
          !vars_[static_cast<size_t>(rec->second)].record)
        return std::nullopt; // table.column
      return field_literal(w.substr(0, dot), w.substr(dot + 1));
    }
    auto it = by_name_.find(w);
    if (it == by_name_.end())
      return std::nullopt;
    auto& v = vars_[static_cast<size_t>(it->second)];
    if (!v.scalar)
      throw sql_error("0A000", "record variable \"" + v.name +
                                 "\" used as a whole in a DO block is not "
                                 "supported (use its fields)");
    return literal(v.value, v.type);
  });
}

result interpreter::run_sql(const std::string& q) {
  h_.check_interrupts();
  return h_.run(subst(q));
}

std::optional<std::string> interpreter::eval(const std::string& expr) {
  auto t = trim(expr);
  // format() is evaluated here (its arguments through SQL)
  if (lower(t.substr(0, 7)) == "format(" && t.back() == ')') {
    auto r = run_sql("SELECT " + t.substr(7, t.size() - 8));
    if (r.rows.empty() || r.rows[0].empty() || !r.rows[0][0])
      return std::nullopt;
    std::vector<std::optional<std::string>> args(r.rows[0].begin() + 1,
                                                 r.rows[0].end());
    return format(*r.rows[0][0], args);
  }
  auto r = run_sql("SELECT " + t);
  if (r.rows.size() > 1 || (!r.rows.empty() && r.rows[0].size() != 1))
    throw sql_error("42601", "query \"SELECT " + t + "\" returned " +
                               (r.rows.size() > 1 ? "more than one row"
                                                  : "more than one column"));
  if (r.rows.empty())
    return std::nullopt;
  return r.rows[0][0];
}

bool interpreter::truth(const std::string& expr) {
  auto v = eval(expr);
  return v && (*v == "t" || *v == "true" || *v == "1");
}

int64_t interpreter::integer(const std::string& expr, const char* what) {
  auto v = eval(expr);
  if (!v)
    throw sql_error("22004", std::string(what) + " of FOR loop cannot be null");
  try {
    size_t used = 0;
    auto d = std::stod(*v, &used);
    return static_cast<int64_t>(d < 0 ? d - 0.5 : d + 0.5);
  } catch (const std::exception&) {
    throw sql_error("22P02",
                    "invalid input syntax for type integer: \"" + *v + "\"");
  }
}

variable& interpreter::var(int varno) {
  if (varno < 0 || static_cast<size_t>(varno) >= vars_.size())
    throw sql_error("XX000", "DO block: bad variable number");
  return vars_[static_cast<size_t>(varno)];
}

void interpreter::assign(variable& v, std::optional<std::string> value) {
  if (v.is_const)
    throw sql_error("22005", "variable \"" + v.name +
                               "\" is declared "
                               "CONSTANT");
  if (!value && v.not_null)
    throw sql_error("22004", "null value cannot be assigned to variable "
                             "\"" +
                               v.name + "\" declared NOT NULL");
  v.value = std::move(value);
}

std::vector<int> interpreter::targets(const json& target) {
  std::vector<int> out;
  if (target.contains("PLpgSQL_row")) {
    for (auto& f : field(field(target, "PLpgSQL_row"), "fields"))
      out.push_back(f.value("varno", -1));
  } else if (target.contains("PLpgSQL_var") || target.contains("PLpgSQL_rec")) {
    auto name = lower(inner(target).value("refname", ""));
    out.push_back(by_name_.count(name) ? by_name_[name] : -1);
  } else {
    throw sql_error("0A000", "this INTO target is not supported in DO "
                             "blocks");
  }
  return out;
}

void interpreter::assign_row(const std::vector<int>& t, const result& r,
                             size_t i) {
  static const std::vector<std::optional<std::string>> none;
  auto& row = i < r.rows.size() ? r.rows[i] : none;
  if (t.size() == 1 && var(t[0]).record) {
    auto& v = var(t[0]);
    v.assigned = true;
    v.fields = r.columns;
    v.field_types = r.types;
    v.field_values.assign(r.columns.size(), std::nullopt);
    for (size_t c = 0; c < row.size() && c < v.field_values.size(); ++c)
      v.field_values[c] = row[c];
    return;
  }
  for (size_t c = 0; c < t.size(); ++c) {
    auto& v = var(t[c]);
    if (v.record)
      throw sql_error("0A000", "a record among several INTO targets is not "
                               "supported in DO blocks");
    assign(v, c < row.size() ? row[c] : std::nullopt);
  }
}

std::string interpreter::field_literal(const std::string& rec,
                                       const std::string& f) {
  auto it = by_name_.find(rec);
  if (it == by_name_.end() || !vars_[static_cast<size_t>(it->second)].record)
    return rec + "." + f; // a table's column: left as written
  auto& v = vars_[static_cast<size_t>(it->second)];
  if (!v.assigned)
    throw sql_error("55000", "record \"" + v.name + "\" is not assigned yet");
  for (size_t i = 0; i < v.fields.size(); ++i)
    if (lower(v.fields[i]) == f)
      return literal(v.field_values[i],
                     i < v.field_types.size() ? v.field_types[i] : "");
  throw sql_error("42703",
                  "record \"" + v.name + "\" has no field \"" + f + "\"");
}

void interpreter::store_into(const json& target, const result& r, bool strict,
                             const std::string& q) {
  if (strict && r.rows.empty())
    throw sql_error("P0002", "query returned no rows");
  if (strict && r.rows.size() > 1)
    throw sql_error("P0003", "query returned more than one row");
  assign_row(targets(target), r, 0);
  (void)q;
  row_count_ = static_cast<int64_t>(r.rows.size());
  set_found(!r.rows.empty());
}

void interpreter::exec_list(const json& list) {
  for (auto& s : list) {
    h_.check_interrupts();
    exec(s);
  }
}

void interpreter::exec(const json& node) {
  if (!node.is_object() || node.size() != 1)
    throw sql_error("XX000", "DO block: malformed statement");
  auto& type = node.begin().key();
  auto& b = node.begin().value();
  if (type == "PLpgSQL_stmt_block")
    return block(b);
  if (type == "PLpgSQL_stmt_assign") {
    auto q = query_of(field(b, "expr"));
    // "x := expr" (or "x = expr"): the target is the variable
    auto at = q.find(":=");
    auto expr =
      at != std::string::npos ? q.substr(at + 2) : q.substr(q.find('=') + 1);
    return assign(var(b.value("varno", -1)), eval(expr));
  }
  if (type == "PLpgSQL_stmt_if") {
    if (truth(query_of(field(b, "cond"))))
      return exec_list(field(b, "then_body"));
    for (auto& e : field(b, "elsif_list")) {
      auto& ei = inner(e);
      if (truth(query_of(field(ei, "cond"))))
        return exec_list(field(ei, "stmts"));
    }
    return exec_list(field(b, "else_body"));
  }
  if (type == "PLpgSQL_stmt_perform") {
    auto r = run_sql(query_of(field(b, "expr")));
    row_count_ = static_cast<int64_t>(r.rows.size());
    return set_found(!r.rows.empty());
  }
  if (type == "PLpgSQL_stmt_execsql") {
    auto q = query_of(field(b, "sqlstmt"));
    auto r = run_sql(q);
    if (b.value("into", false))
      return store_into(field(b, "target"), r, b.value("strict", false), q);
    if (r.returns_rows && lower(trim(q)).rfind("select", 0) == 0)
      throw raised("42601", "query has no destination for result data", "",
                   "If you want to discard the results of a SELECT, use "
                   "PERFORM instead.");
    row_count_ =
      r.returns_rows ? static_cast<int64_t>(r.rows.size()) : r.affected;
    return set_found(r.affected > 0 || !r.rows.empty());
  }
  if (type == "PLpgSQL_stmt_dynexecute") {
    auto text = eval(query_of(field(b, "query")));
    if (!text)
      throw sql_error("22004", "query string argument of EXECUTE is null");
    auto sql = *text;
    if (b.contains("params")) {
      // USING: $n as literals of the arguments' text
      int n = 0;
      for (auto& p : field(b, "params")) {
        ++n;
        auto v = eval(query_of(p));
        auto lit = literal(v, "");
        if (v)
          lit = literal(v, "text").substr(0, literal(v, "text").size() - 6);
        auto key = "$" + std::to_string(n);
        for (size_t at = sql.find(key); at != std::string::npos;
             at = sql.find(key, at + lit.size())) {
          if (at + key.size() < sql.size() &&
              std::isdigit(static_cast<unsigned char>(sql[at + key.size()])))
            continue;
          sql.replace(at, key.size(), lit);
        }
      }
    }
    h_.check_interrupts();
    auto r = h_.run(sql);
    if (b.value("into", false))
      return store_into(field(b, "target"), r, b.value("strict", false), sql);
    return;
  }
  if (type == "PLpgSQL_stmt_fori")
    return fori(b);
  if (type == "PLpgSQL_stmt_while") {
    auto label = b.value("label", std::string());
    while (truth(query_of(field(b, "cond"))))
      if (!loop_body(b, label))
        break;
    return;
  }
  if (type == "PLpgSQL_stmt_loop") {
    auto label = b.value("label", std::string());
    while (loop_body(b, label)) {
    }
    return;
  }
  if (type == "PLpgSQL_stmt_exit") {
    if (b.contains("cond") && !truth(query_of(field(b, "cond"))))
      return;
    throw loop_exit{b.value("is_exit", false), b.value("label", "")};
  }
  if (type == "PLpgSQL_stmt_return") {
    if (function_mode_) { // a function's result (plpgsql_function.cpp)
      if (b.contains("expr"))
        returned_ = eval(query_of(field(b, "expr")));
      // a RETURN without a value is the parser's own one at the end (a
      // non-void function cannot write it): the function ended
      did_return_ = b.contains("expr");
      throw do_return{};
    }
    if (b.contains("expr"))
      throw sql_error("42804", "RETURN cannot have a parameter in function "
                               "returning void");
    throw do_return{};
  }
  if (type == "PLpgSQL_stmt_raise")
    return raise(b);
  if (type == "PLpgSQL_stmt_assert") {
    if (truth(query_of(field(b, "cond"))))
      return;
    std::string msg = "assertion failed";
    if (b.contains("message"))
      if (auto m = eval(query_of(field(b, "message"))))
        msg = *m;
    throw sql_error("P0004", msg);
  }
  if (type == "PLpgSQL_stmt_fors")
    return fors(b);
  if (type == "PLpgSQL_stmt_getdiag") {
    for (auto& item : field(b, "diag_items")) {
      auto& d = inner(item);
      if (d.value("kind", std::string()) != "ROW_COUNT")
        throw sql_error("0A000", "GET DIAGNOSTICS " +
                                   d.value("kind", std::string()) +
                                   " is not supported in DO blocks");
      assign(var(d.value("target", -1)), std::to_string(row_count_));
    }
    return;
  }
  static const std::map<std::string, std::string> names = {
    {"PLpgSQL_stmt_fors", "FOR … IN query LOOP"},
    {"PLpgSQL_stmt_forc", "FOR over a cursor"},
    {"PLpgSQL_stmt_dynfors", "FOR … IN EXECUTE LOOP"},
    {"PLpgSQL_stmt_foreach_a", "FOREACH"},
    {"PLpgSQL_stmt_case", "CASE"},
    {"PLpgSQL_stmt_open", "OPEN (cursors)"},
    {"PLpgSQL_stmt_fetch", "FETCH (cursors)"},
    {"PLpgSQL_stmt_close", "CLOSE (cursors)"},
    {"PLpgSQL_stmt_commit", "COMMIT"},
    {"PLpgSQL_stmt_rollback", "ROLLBACK"},
    {"PLpgSQL_stmt_call", "CALL"},
    {"PLpgSQL_stmt_return_next", "RETURN NEXT"},
    {"PLpgSQL_stmt_return_query", "RETURN QUERY"},
  };
  auto it = names.find(type);
  auto name = it != names.end()                     ? it->second
              : type.rfind("PLpgSQL_stmt_", 0) == 0 ? type.substr(13)
                                                    : type;
  throw sql_error("0A000",
                  "PL/pgSQL " + name + " is not supported in DO blocks");
}

} // namespace detail

using detail::field;
using detail::interpreter;
using detail::json;

void run_do(const std::string& body, host& h) {
  // the body as a function, which is what PL/pgSQL's grammar parses
  std::string tag = "$themis_do$";
  for (int i = 0; body.find(tag) != std::string::npos; ++i)
    tag = "$themis_do" + std::to_string(i) + "$";
  auto src = "CREATE FUNCTION themis_do() RETURNS void LANGUAGE plpgsql AS " +
             tag + body + tag;
  auto r = pg_query_parse_plpgsql(src.c_str());
  struct guard {
    PgQueryPlpgsqlParseResult& r;
    ~guard() { pg_query_free_plpgsql_parse_result(r); }
  } g{r};
  if (r.error && r.error->message &&
      std::string(r.error->message).find("is declared CONSTANT") !=
        std::string::npos)
    throw sql_error("22005", r.error->message);
  if (r.error)
    throw sql_error("42601", r.error->message ? r.error->message
                                              : "syntax error in DO block");
  json funcs;
  try {
    funcs = json::parse(r.plpgsql_funcs ? r.plpgsql_funcs : "[]");
  } catch (const std::exception&) {
    throw sql_error("XX000", "DO block: the parser's output is not JSON");
  }
  if (!funcs.is_array() || funcs.size() != 1 ||
      !funcs[0].contains("PLpgSQL_function"))
    throw sql_error("42601", "DO block: no body");
  auto& fn = funcs[0]["PLpgSQL_function"];
  interpreter in(h, fn);
  try {
    in.run(field(fn, "action"));
  } catch (const json::exception& e) {
    // a tree of a shape this walker does not expect: an error, never a
    // crash of the session
    throw sql_error("XX000", std::string("DO block: unexpected parse tree: ") +
                               e.what());
  }
}

} // namespace themis::sql::plpgsql
