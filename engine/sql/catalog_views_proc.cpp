/// pg_proc's rows for user functions and procedures (issue 36): what psql's
/// \df / \df+ / \sf and pg_dump read, as PostgreSQL 15 fills them.

#include "engine/sql/catalog_views_internal.hpp"
#include "engine/sql/sql_udf.hpp"

namespace themis::sql::catv {

namespace {

/// A JSON array literal (how array columns are held here).
std::string json_array(const std::vector<std::string>& items, bool quote) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    s += i ? "," : "";
    if (!quote) {
      s += items[i];
      continue;
    }
    s += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\')
        s += '\\';
      s += c;
    }
    s += '"';
  }
  return lit(s + "]");
}

} // namespace

uint32_t language_oid(const std::string& language) {
  if (language == "plpgsql")
    return 13563; // PostgreSQL 15's
  if (language == "c")
    return 13;
  if (language == "internal")
    return 12;
  return 14; // sql
}

void proc_rows(const catalog& cat, builder& v) {
  for (auto& [name, list] : cat.functions())
    for (auto& f : list) {
      std::vector<std::string> in, all, modes, names;
      bool only_in = true, any_name = false;
      int defaults = 0;
      for (auto& a : f.args) {
        if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v')
          in.push_back(std::to_string(a.type));
        all.push_back(std::to_string(a.type));
        modes.emplace_back(1, a.mode);
        names.push_back(a.name);
        only_in = only_in && a.mode == 'i';
        any_name = any_name || !a.name.empty();
        defaults += a.default_node.empty() ? 0 : 1;
      }
      std::string conf = "NULL";
      if (!f.config.empty())
        conf = json_array(f.config, true);
      v.row({num(f.oid),
             lit(name),
             num(public_ns),
             "10",
             num(language_oid(f.language)),
             std::to_string(f.cost),
             std::to_string(f.rows),
             "0",
             "'-'",
             lit(std::string(1, f.kind)),
             b(f.security_definer),
             b(f.leakproof),
             b(f.strict),
             b(f.retset),
             lit(std::string(1, f.volatility)),
             lit(std::string(1, f.parallel)),
             num(static_cast<int64_t>(in.size())),
             num(defaults),
             num(f.ret_type),
             json_array(in, false),
             only_in ? "NULL" : json_array(all, false),
             only_in ? "NULL" : json_array(modes, true),
             any_name ? json_array(names, true) : "NULL",
             defaults ? lit("({CONST})") : "NULL",
             "NULL",
             lit(f.body),
             "NULL",
             "NULL",
             conf,
             "NULL"});
    }
}

} // namespace themis::sql::catv
