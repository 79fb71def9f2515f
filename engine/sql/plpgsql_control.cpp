/// The DO-block interpreter's control flow (issue 36): FOR / LOOP /
/// WHILE iterations, BEGIN … EXCEPTION blocks as savepoints, RAISE.

#include "engine/sql/plpgsql_internal.hpp"
#include "engine/sql/sql_functions.hpp"

namespace themis::sql::plpgsql::detail {

bool interpreter::loop_body(const json& b, const std::string& label) {
  h_.check_interrupts(); // an empty LOOP still stops at a cancel
  try {
    exec_list(field(b, "body"));
  } catch (const loop_exit& e) {
    if (!e.label.empty() && e.label != label)
      throw;
    return !e.is_exit;
  }
  return true;
}

void interpreter::fori(const json& b) {
  auto& vb = inner(field(b, "var"));
  auto name = lower(vb.value("refname", std::string()));
  auto lo = integer(query_of(field(b, "lower")), "lower bound");
  auto hi = integer(query_of(field(b, "upper")), "upper bound");
  int64_t step =
    b.contains("step") ? integer(query_of(field(b, "step")), "BY value") : 1;
  if (step <= 0)
    throw sql_error("22023", "BY value of FOR loop must be greater than "
                             "zero");
  bool reverse = b.value("reverse", false);
  auto label = b.value("label", std::string());
  // the loop variable shadows any other of its name for the loop
  auto saved = by_name_.find(name) == by_name_.end()
                 ? std::optional<int>()
                 : std::optional<int>(by_name_[name]);
  variable v;
  v.name = name;
  v.type = "integer";
  vars_.push_back(v);
  by_name_[name] = static_cast<int>(vars_.size() - 1);
  auto idx = vars_.size() - 1;
  bool any = false;
  try {
    for (int64_t i = lo; reverse ? i >= hi : i <= hi;
         i += reverse ? -step : step) {
      any = true;
      vars_[idx].value = std::to_string(i);
      if (!loop_body(b, label))
        break;
    }
  } catch (...) {
    if (saved)
      by_name_[name] = *saved;
    throw;
  }
  if (saved)
    by_name_[name] = *saved;
  else
    by_name_.erase(name);
  set_found(any);
}

/// FOR target IN query LOOP: the query's rows (read in full first), one
/// per iteration, into a record or scalar targets.
void interpreter::fors(const json& b) {
  auto t = targets(field(b, "var"));
  auto r = run_sql(query_of(field(b, "query")));
  auto label = b.value("label", std::string());
  for (size_t i = 0; i < r.rows.size(); ++i) {
    assign_row(t, r, i);
    if (!loop_body(b, label))
      break;
  }
  row_count_ = static_cast<int64_t>(r.rows.size());
  set_found(!r.rows.empty());
}

void interpreter::block(const json& b) {
  if (!b.contains("exceptions")) {
    exec_list(field(b, "body"));
    return;
  }
  int depth = ++depth_;
  h_.subtx_begin(depth);
  try {
    exec_list(field(b, "body"));
    h_.subtx_release(depth);
    --depth_;
  } catch (const sql_error& e) {
    h_.subtx_rollback(depth);
    --depth_;
    for (auto& x : field(inner(field(b, "exceptions")), "exc_list")) {
      auto& ex = inner(x);
      if (!catches(field(ex, "conditions"), e.sqlstate()))
        continue;
      auto saved_state = var_value("sqlstate");
      auto saved_msg = var_value("sqlerrm");
      set_var("sqlstate", e.sqlstate());
      set_var("sqlerrm", split_error_object(e.what()).message);
      active_.push_back(e);
      try {
        exec_list(field(ex, "action"));
      } catch (...) {
        active_.pop_back();
        throw;
      }
      active_.pop_back();
      set_var("sqlstate", saved_state);
      set_var("sqlerrm", saved_msg);
      return;
    }
    throw;
  } catch (...) { // EXIT, CONTINUE, RETURN leave the block normally
    h_.subtx_release(depth);
    --depth_;
    throw;
  }
}

std::optional<std::string> interpreter::var_value(const std::string& n) {
  auto it = by_name_.find(n);
  return it == by_name_.end() ? std::nullopt
                              : vars_[static_cast<size_t>(it->second)].value;
}

void interpreter::set_var(const std::string& n, std::optional<std::string> v) {
  auto it = by_name_.find(n);
  if (it != by_name_.end())
    vars_[static_cast<size_t>(it->second)].value = std::move(v);
}

bool interpreter::catches(const json& conds, const std::string& state) {
  for (auto& c : conds) {
    auto& ci = inner(c);
    auto name = lower(ci.value("condname", std::string()));
    if (name == "others") {
      if (state != "57014" && state != "P0004")
        return true;
      continue;
    }
    auto want = ci.contains("sqlerrstate") && name.empty()
                  ? std::string()
                  : condition_state(name);
    if (want.empty() && name.size() == 5)
      want = ci.value("condname", std::string()); // SQLSTATE 'xxxxx'
    if (want.empty())
      throw sql_error("42704",
                      "unrecognized exception condition \"" + name + "\"");
    if (want == state ||
        (want.substr(2) == "000" && want.substr(0, 2) == state.substr(0, 2)))
      return true;
  }
  return false;
}

void interpreter::raise(const json& b) {
  int level = b.value("elog_level", 21);
  std::string state, text, detail, hint;
  if (b.contains("condname")) {
    auto c = b.value("condname", std::string());
    state = condition_state(c);
    if (state.empty() && c.size() == 5)
      state = c;
    if (state.empty())
      throw sql_error("42704",
                      "unrecognized exception condition \"" + c + "\"");
    text = lower(c);
  }
  if (b.contains("message")) {
    auto fmt = b.value("message", std::string());
    auto& params = field(b, "params");
    size_t next = 0;
    text.clear();
    for (size_t i = 0; i < fmt.size(); ++i) {
      if (fmt[i] == '%' && i + 1 < fmt.size() && fmt[i + 1] == '%') {
        text.push_back('%');
        ++i;
      } else if (fmt[i] == '%') {
        if (next >= params.size())
          throw sql_error("42601", "too few parameters specified for "
                                   "RAISE");
        auto v = eval(query_of(params[next++]));
        text += v ? *v : "<NULL>";
      } else {
        text.push_back(fmt[i]);
      }
    }
    if (next < params.size())
      throw sql_error("42601", "too many parameters specified for RAISE");
  } else if (!b.contains("condname") && !b.contains("options")) {
    // RAISE; inside a handler: the error being handled, again
    if (active_.empty())
      throw sql_error("0Z002", "RAISE without parameters cannot be used "
                               "outside an exception handler");
    throw active_.back();
  }
  for (auto& o : field(b, "options")) {
    auto& ob = inner(o);
    auto v = eval(query_of(field(ob, "expr")));
    auto s = v ? *v : std::string();
    switch (ob.value("opt_type", -1)) {
      case 0: { // ERRCODE
        auto code = condition_state(s);
        if (code.empty()) {
          if (s.size() != 5)
            throw sql_error("42704", "unrecognized exception condition "
                                     "\"" +
                                       s + "\"");
          code = s;
        }
        state = code;
        break;
      }
      case 1:
        text = s;
        break;
      case 2:
        detail = s;
        break;
      case 3:
        hint = s;
        break;
      default:
        break; // COLUMN, CONSTRAINT, DATATYPE, TABLE, SCHEMA
    }
  }
  if (level >= 21) {
    if (text.empty() && state.empty())
      text = "raise_exception";
    throw raised(state.empty() ? "P0001" : state, text, detail, hint);
  }
  message m;
  m.level = level;
  m.severity = level >= 19   ? "WARNING"
               : level == 18 ? "NOTICE"
               : level == 17 ? "INFO"
               : level >= 15 ? "LOG"
                             : "DEBUG";
  m.sqlstate = state.empty() ? (level >= 19 ? "01000" : "00000") : state;
  m.text = text;
  m.detail = detail;
  m.hint = hint;
  h_.report(m);
}

} // namespace themis::sql::plpgsql::detail
