#include "actors/pg_settings.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "engine/sql/translator.hpp"

namespace themis::pg_settings {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

[[noreturn]] void invalid(const std::string& name, const std::string& value,
                          const std::string& hint = {}) {
  (void)hint;
  throw sql::sql_error("22023", "invalid value for parameter \"" + name +
                                  "\": \"" + value + "\"");
}

bool is_timeout(const std::string& k) {
  return k == "statement_timeout" || k == "lock_timeout" ||
         k == "idle_in_transaction_session_timeout" ||
         k == "idle_session_timeout";
}

std::string show_ms(int64_t ms) {
  if (ms == 0)
    return "0";
  struct unit {
    int64_t ms;
    const char* name;
  };
  for (auto u : {unit{86400000, "d"}, unit{3600000, "h"}, unit{60000, "min"},
                 unit{1000, "s"}})
    if (ms % u.ms == 0)
      return std::to_string(ms / u.ms) + u.name;
  return std::to_string(ms) + "ms";
}

std::string timeout(const std::string& name, const std::string& value) {
  auto v = trim(value);
  const char* s = v.c_str();
  char* end = nullptr;
  double n = std::strtod(s, &end);
  if (end == s)
    invalid(name, value);
  auto unit = lower(trim(end));
  double ms = 0;
  if (unit.empty() || unit == "ms")
    ms = n;
  else if (unit == "us")
    ms = n / 1000;
  else if (unit == "s")
    ms = n * 1000;
  else if (unit == "min")
    ms = n * 60000;
  else if (unit == "h")
    ms = n * 3600000;
  else if (unit == "d")
    ms = n * 86400000;
  else
    throw sql::sql_error(
      "22023", "invalid value for parameter \"" + name + "\": \"" + value +
                 "\" (valid units for this parameter are \"us\", "
                 "\"ms\", \"s\", \"min\", \"h\", and \"d\")");
  ms = std::round(ms);
  if (!(ms >= 0 && ms <= 2147483647.0))
    throw sql::sql_error("22023", value +
                                    " is outside the valid range for "
                                    "parameter \"" +
                                    name + "\" (0 .. 2147483647)");
  return show_ms(static_cast<int64_t>(ms));
}

std::string boolean(const std::string& name, const std::string& value) {
  auto v = lower(trim(value));
  if (v == "on" || v == "true" || v == "yes" || v == "1" || v == "t" ||
      v == "y")
    return "on";
  if (v == "off" || v == "false" || v == "no" || v == "0" || v == "f" ||
      v == "n")
    return "off";
  throw sql::sql_error("22023",
                       "parameter \"" + name + "\" requires a Boolean value");
}

std::string datestyle(const std::string& value, const std::string& current) {
  std::string style, order;
  auto comma = current.find(',');
  if (comma != std::string::npos) {
    style = trim(current.substr(0, comma));
    order = trim(current.substr(comma + 1));
  }
  if (style.empty())
    style = "ISO";
  if (order.empty())
    order = "MDY";
  std::string tok;
  auto flush = [&] {
    if (tok.empty())
      return;
    auto t = lower(tok);
    tok.clear();
    if (t == "iso")
      style = "ISO";
    else if (t == "sql")
      style = "SQL";
    else if (t == "postgres")
      style = "Postgres";
    else if (t == "german") {
      style = "German";
      order = "DMY";
    } else if (t == "dmy" || t == "euro" || t == "european")
      order = "DMY";
    else if (t == "mdy" || t == "us" || t == "noneuropean" || t == "noneuro")
      order = "MDY";
    else if (t == "ymd")
      order = "YMD";
    else if (t == "default") {
      style = "ISO";
      order = "MDY";
    } else
      invalid("DateStyle", value);
  };
  for (char c : value) {
    if (c == ',' || c == ' ' || c == '\t')
      flush();
    else
      tok += c;
  }
  flush();
  return style + ", " + order;
}

std::string isolation(const std::string& name, const std::string& value) {
  auto v = lower(trim(value));
  if (v == "serializable" || v == "repeatable read" || v == "read committed" ||
      v == "read uncommitted")
    return v;
  invalid(name, value);
}

} // namespace

std::string key(std::string name) {
  return lower(std::move(name));
}

std::string normalize(const std::string& name, const std::string& value,
                      const std::string& current) {
  auto k = key(name);
  if (is_timeout(k))
    return timeout(k, value);
  if (k == "standard_conforming_strings" || k == "transaction_read_only" ||
      k == "default_transaction_read_only" || k == "jit" || k == "row_security")
    return boolean(k, value);
  if (k == "transaction_isolation" || k == "default_transaction_isolation")
    return isolation(k, value);
  if (k == "datestyle")
    return datestyle(value, current);
  if (k == "intervalstyle") {
    auto v = lower(trim(value));
    if (v == "postgres" || v == "postgres_verbose" || v == "sql_standard" ||
        v == "iso_8601")
      return v;
    invalid("IntervalStyle", value);
  }
  if (k == "extra_float_digits") {
    auto v = trim(value);
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0')
      throw sql::sql_error("22023", "invalid value for parameter \"" + k +
                                      "\": \"" + value + "\"");
    if (n < -15 || n > 3)
      throw sql::sql_error("22023",
                           v + " is outside the valid range for parameter "
                               "\"extra_float_digits\" (-15 .. 3)");
    return std::to_string(n);
  }
  if (k == "timezone") {
    auto v = trim(value);
    if (lower(v) == "utc")
      return "UTC";
    return v;
  }
  return value;
}

int64_t timeout_ms(const std::string& shown) {
  if (shown.empty())
    return 0;
  char* end = nullptr;
  auto n = std::strtoll(shown.c_str(), &end, 10);
  std::string unit = end;
  if (unit == "s")
    return n * 1000;
  if (unit == "min")
    return n * 60000;
  if (unit == "h")
    return n * 3600000;
  if (unit == "d")
    return n * 86400000;
  return n;
}

std::vector<std::pair<std::string, std::string>>
parse_options(const std::string& options) {
  // split on unescaped white space; "\ " is a space inside a word
  std::vector<std::string> words;
  std::string w;
  bool in_word = false;
  for (size_t i = 0; i < options.size(); ++i) {
    char c = options[i];
    if (c == '\\' && i + 1 < options.size()) {
      w += options[++i];
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word)
        words.push_back(std::move(w));
      w.clear();
      in_word = false;
    } else {
      w += c;
      in_word = true;
    }
  }
  if (in_word)
    words.push_back(std::move(w));
  std::vector<std::pair<std::string, std::string>> out;
  auto assignment = [&](const std::string& a) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0)
      throw sql::sql_error("22023", "invalid command-line argument for "
                                    "server process: " +
                                      a);
    auto k = a.substr(0, eq);
    for (auto& c : k)
      if (c == '-')
        c = '_';
    out.emplace_back(k, a.substr(eq + 1));
  };
  for (size_t i = 0; i < words.size(); ++i) {
    auto& a = words[i];
    if (a == "-c") {
      if (i + 1 >= words.size())
        throw sql::sql_error("22023", "invalid command-line argument for "
                                      "server process: -c");
      assignment(words[++i]);
    } else if (a.rfind("-c", 0) == 0) {
      assignment(a.substr(2));
    } else if (a.rfind("--", 0) == 0) {
      assignment(a.substr(2));
    } else {
      throw sql::sql_error("22023", "invalid command-line argument for server "
                                    "process: " +
                                      a);
    }
  }
  return out;
}

} // namespace themis::pg_settings
