/// Apache Ranger for SQL over the PostgreSQL protocol (issue 24): each
/// statement's tables are tenant/table resources. DML and COPY FROM need
/// write on the target; DDL needs admin on it; a query needs read on
/// every table it may read. A query's tables are found conservatively:
/// every catalog table whose name occurs as a word of the translated
/// statement (identifiers and literals alike) counts, so a policy can be
/// stricter than needed but never bypassed by spelling.
#include <algorithm>
#include <cctype>
#include <set>

#include "actors/pg_frontend.hpp"
#include "engine/sql/sql_catalog.hpp"

namespace themis {

namespace {

std::set<std::string> words(const std::string& s) {
  std::set<std::string> out;
  std::string w;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '_' || c == '$') {
      w.push_back(static_cast<char>(std::tolower(c)));
    } else if (!w.empty()) {
      out.insert(std::move(w));
      w.clear();
    }
  }
  if (!w.empty())
    out.insert(std::move(w));
  return out;
}

std::string local_name(const std::string& stored, const std::string& tenant) {
  if (!tenant.empty() && stored.rfind(tenant + ".", 0) == 0)
    return stored.substr(tenant.size() + 1);
  return stored;
}

} // namespace

void pg_frontend::authorize_ranger(const sql::statement& st) const {
  if (!opts_.ranger)
    return;
  using sql::stmt_kind;
  std::string access;
  std::vector<std::string> tables;
  switch (st.kind) {
    case stmt_kind::insert:
    case stmt_kind::update:
    case stmt_kind::remove:
    case stmt_kind::truncate:
    case stmt_kind::copy_from:
      access = "write";
      break;
    case stmt_kind::create_table:
    case stmt_kind::drop_table:
    case stmt_kind::create_index:
    case stmt_kind::drop_index:
    case stmt_kind::alter_table:
      access = "admin";
      break;
    case stmt_kind::select:
    case stmt_kind::copy_to:
    case stmt_kind::declare_cursor:
      access = "read";
      break;
    default:
      return; // session statements touch no table
  }
  if (!st.table.empty())
    tables.push_back(local_name(st.table, who_.tenant));
  for (auto& n : st.names)
    tables.push_back(local_name(n, who_.tenant));
  if (access == "read" || access == "write") {
    // a query (or an INSERT … SELECT) reads the tables it names
    auto ws = words(st.sql);
    for (auto& [name, def] : cat_.tables()) {
      std::string low = name;
      std::transform(low.begin(), low.end(), low.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (ws.count(low) &&
          std::find(tables.begin(), tables.end(), name) == tables.end())
        tables.push_back(name);
    }
  }
  for (auto& t : tables) {
    auth::ranger::access_check c;
    c.resources = {{"tenant", who_.tenant}, {"table", t}};
    bool target = t == local_name(st.table, who_.tenant);
    c.access = target ? access : (access == "admin" ? "admin" : "read");
    c.res_type = "@table";
    c.action = st.tag.empty() ? std::string("SQL") : st.tag;
    c.client_ip = opts_.remote;
    c.agent = "themisd-pg";
    if (!opts_.ranger->allows(who_, c))
      throw sql::sql_error("42501", "permission denied: " + c.access +
                                      " on table " + t +
                                      " is denied by Ranger policy");
  }
}

} // namespace themis
