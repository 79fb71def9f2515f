/// CREATE / DROP / ALTER DATABASE: the statements' options as PostgreSQL
/// checks them, the `sql_databases` registry, and the store writer's part
/// (sql_databases.hpp).

#include "engine/sql/sql_databases.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "engine/sql/sql_executor.hpp"

namespace themis::sql {

namespace {

using json = nlohmann::json;

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

/// A DefElem's argument as text (String, Integer, Float, Boolean, a type
/// name); "" when it has none (`ENCODING DEFAULT`).
std::string arg_text(const json& d) {
  if (!d.contains("arg"))
    return {};
  auto& a = d.at("arg");
  if (!a.is_object() || a.empty())
    return {};
  auto& type = a.begin().key();
  auto& v = a.begin().value();
  if (type == "String")
    return v.value("sval", std::string());
  if (type == "Integer")
    return std::to_string(v.value("ival", 0));
  if (type == "Float")
    return v.value("fval", std::string());
  if (type == "Boolean")
    return v.value("boolval", false) ? "true" : "false";
  if (type == "TypeName") {
    auto names = v.value("names", json::array());
    return names.empty() ? std::string()
                         : names.back()
                             .value("String", json::object())
                             .value("sval", std::string());
  }
  return {};
}

bool bool_option(const std::string& name, const std::string& v) {
  auto l = lower(v);
  if (l == "true" || l == "on" || l == "yes" || l == "1" || l == "t")
    return true;
  if (l == "false" || l == "off" || l == "no" || l == "0" || l == "f")
    return false;
  throw sql_error("22023", name + " requires a Boolean value");
}

int32_t int_option(const std::string& v) {
  try {
    size_t used = 0;
    auto n = std::stol(v, &used);
    if (used == v.size() && n >= INT32_MIN && n <= INT32_MAX)
      return static_cast<int32_t>(n);
  } catch (const std::exception&) {
  }
  throw sql_error("22P02",
                  "invalid input syntax for type integer: \"" + v + "\"");
}

/// PostgreSQL's server encodings other than UTF8 (a database in one of
/// them cannot be made: themisd stores UTF8).
bool known_encoding(const std::string& upper) {
  static const std::set<std::string> names = {
    "SQL_ASCII",    "EUC_JP",        "EUC_CN",     "EUC_KR",  "EUC_TW",
    "EUC_JIS_2004", "MULE_INTERNAL", "LATIN1",     "LATIN2",  "LATIN3",
    "LATIN4",       "LATIN5",        "LATIN6",     "LATIN7",  "LATIN8",
    "LATIN9",       "LATIN10",       "WIN1256",    "WIN1258", "WIN866",
    "WIN874",       "KOI8R",         "WIN1251",    "WIN1252", "ISO_8859_5",
    "ISO_8859_6",   "ISO_8859_7",    "ISO_8859_8", "WIN1250", "WIN1253",
    "WIN1254",      "WIN1255",       "WIN1257",    "KOI8U"};
  return names.count(upper) > 0;
}

void check_encoding(const std::string& v) {
  if (v.empty())
    return;
  std::string n;
  for (char c : v)
    if (c != '-' && c != '_')
      n.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
  if (n == "UTF8" || n == "UNICODE" || v == "6")
    return;
  std::string upper;
  for (char c : v)
    upper.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c));
  if (known_encoding(upper) || n == "SQLASCII")
    throw sql_error(
      "22023", "encoding \"" + upper + "\" does not match locale \"C.UTF-8\"" +
                 error_trailer({}, {}, {}, {},
                               "The chosen LC_CTYPE setting requires "
                               "encoding \"UTF8\"."));
  throw sql_error("42704", v + " is not a valid encoding name");
}

/// libpg_query leaves negative integers (and zero) out of its JSON: an
/// Integer option's value is read back from the query text after the
/// option's keyword (`CONNECTION LIMIT -5`, `CONNECTION LIMIT = 0`).
std::string integer_from_source(const std::string* source, int loc) {
  if (!source || loc < 0 || static_cast<size_t>(loc) >= source->size())
    return "0";
  auto i = static_cast<size_t>(loc);
  auto& s = *source;
  while (i < s.size() && s[i] != '-' && s[i] != '+' &&
         !(s[i] >= '0' && s[i] <= '9'))
    ++i;
  auto start = i;
  if (i < s.size() && (s[i] == '-' || s[i] == '+'))
    ++i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    ++i;
  return start < s.size() ? s.substr(start, i - start) : std::string("0");
}

/// The options of CREATE DATABASE / ALTER DATABASE into `def` (JSON).
void read_options(const json& options, json& def, bool create,
                  const std::string* source) {
  std::set<std::string> seen;
  for (auto& o : options) {
    if (!o.contains("DefElem"))
      continue;
    auto& d = o.at("DefElem");
    auto name = d.value("defname", std::string());
    auto loc = d.value("location", -1);
    if (!seen.insert(name).second)
      throw sql_error("42601", "conflicting or redundant options", loc + 1);
    auto v = arg_text(d);
    if (d.contains("arg") && d.at("arg").contains("Integer"))
      v = integer_from_source(source, loc);
    if (name == "connection_limit") {
      auto n = int_option(v);
      if (n < -1)
        throw sql_error("22023", "invalid connection limit: " + v);
      def["connection_limit"] = n;
    } else if (name == "is_template") {
      def["is_template"] = bool_option(name, v);
    } else if (name == "allow_connections") {
      def["allow_connections"] = bool_option(name, v);
    } else if (name == "tablespace") {
      if (!v.empty() && v != "pg_default")
        throw sql_error("42704", "tablespace \"" + v + "\" does not exist");
    } else if (!create) {
      throw sql_error("42601", "option \"" + name + "\" not recognized",
                      loc + 1);
    } else if (name == "owner") {
      def["owner"] = v;
    } else if (name == "template") {
      def["template"] = v;
    } else if (name == "encoding") {
      check_encoding(v);
    } else if (name == "locale") {
      if (!v.empty())
        def["collate"] = def["ctype"] = v;
    } else if (name == "lc_collate") {
      if (!v.empty())
        def["collate"] = v;
    } else if (name == "lc_ctype") {
      if (!v.empty())
        def["ctype"] = v;
    } else if (name == "locale_provider") {
      if (!v.empty() && lower(v) != "libc" && lower(v) != "icu")
        throw sql_error("42P17", "unrecognized locale provider: " + v);
    } else if (name == "strategy") {
      if (!v.empty() && lower(v) != "wal_log" && lower(v) != "file_copy")
        throw sql_error("22023",
                        "invalid create database strategy \"" + v + "\"");
    } else if (name == "icu_locale" || name == "collation_version" ||
               name == "oid") {
      // accepted: no ICU collations, no binary upgrade
    } else {
      throw sql_error("42601", "option \"" + name + "\" not recognized",
                      loc + 1);
    }
  }
}

database_def from_json(const std::string& name, const std::string& text) {
  database_def d;
  d.name = name;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object())
    return d;
  d.oid = j.value("oid", 0u);
  d.owner = j.value("owner", std::string());
  d.collate = j.value("collate", d.collate);
  d.ctype = j.value("ctype", d.ctype);
  d.is_template = j.value("is_template", false);
  d.allow_connections = j.value("allow_connections", true);
  d.connection_limit = j.value("connection_limit", -1);
  auto settings = j.value("settings", json::object()); // kept: items() refers
  for (auto& [k, v] : settings.items())
    if (v.is_string())
      d.settings[k] = v.get<std::string>();
  return d;
}

} // namespace

bool valid_database_name(const std::string& name) {
  if (name.empty() || name.size() > 63 || name.front() == '-')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::optional<database_def> load_database(sqlite3* db,
                                          const std::string& name) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT def FROM sql_databases WHERE name = ?1",
                         -1, &s, nullptr) != SQLITE_OK)
    return std::nullopt; // a store from before CREATE DATABASE
  statement_guard g{s};
  sqlite3_bind_text(s, 1, name.data(), static_cast<int>(name.size()),
                    SQLITE_TRANSIENT);
  if (sqlite3_step(s) != SQLITE_ROW)
    return std::nullopt;
  return from_json(name,
                   reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
}

std::string database_json(const database_def& d) {
  json j = {{"oid", d.oid},
            {"owner", d.owner},
            {"collate", d.collate},
            {"ctype", d.ctype},
            {"is_template", d.is_template},
            {"allow_connections", d.allow_connections},
            {"connection_limit", d.connection_limit},
            {"settings", d.settings}};
  return j.dump();
}

std::vector<database_def> load_databases(sqlite3* db) {
  std::vector<database_def> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT name, def FROM sql_databases ORDER BY name",
                         -1, &s, nullptr) != SQLITE_OK)
    return out;
  statement_guard g{s};
  while (sqlite3_step(s) == SQLITE_ROW)
    out.push_back(
      from_json(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
                reinterpret_cast<const char*>(sqlite3_column_text(s, 1))));
  return out;
}

std::optional<statement> database_statement(const parsed_statement& p) {
  if (!p.tree)
    return std::nullopt;
  auto& node = *static_cast<const json*>(p.tree.get());
  if (!node.is_object() || node.size() != 1)
    return std::nullopt;
  auto& type = node.begin().key();
  auto& b = node.begin().value();
  statement st;
  st.kind = stmt_kind::database_ddl;
  if (type == "CreatedbStmt") {
    st.tag = "CREATE DATABASE";
    st.var = "create";
    st.table = b.value("dbname", std::string());
    json def = json::object();
    read_options(b.value("options", json::array()), def, true, p.source.get());
    st.sql = def.dump();
    return st;
  }
  if (type == "DropdbStmt") {
    st.tag = "DROP DATABASE";
    st.var = "drop";
    st.table = b.value("dbname", std::string());
    st.if_exists = b.value("missing_ok", false);
    for (auto& o : b.value("options", json::array())) {
      auto name = o.value("DefElem", json::object()).value("defname", "");
      if (name != "force")
        throw sql_error("42601",
                        "unrecognized DROP DATABASE option \"" + name + "\"");
      st.local = true;
    }
    return st;
  }
  if (type == "AlterDatabaseStmt") {
    st.tag = "ALTER DATABASE";
    st.var = "options";
    st.table = b.value("dbname", std::string());
    json def = json::object();
    read_options(b.value("options", json::array()), def, false, p.source.get());
    st.sql = def.dump();
    return st;
  }
  if (type == "AlterDatabaseSetStmt") {
    st.tag = "ALTER DATABASE";
    st.var = "set";
    st.table = b.value("dbname", std::string());
    st.sql =
      json{{"VariableSetStmt", b.value("setstmt", json::object())}}.dump();
    if (p.source) // node locations are offsets into it
      st.val = *p.source;
    return st;
  }
  if (type == "AlterDatabaseRefreshCollStmt") {
    st.tag = "ALTER DATABASE";
    st.var = "refresh";
    st.table = b.value("dbname", std::string());
    return st;
  }
  if (type == "RenameStmt" &&
      b.value("renameType", std::string()) == "OBJECT_DATABASE") {
    st.tag = "ALTER DATABASE";
    st.var = "rename";
    st.table = b.value("subname", std::string());
    st.val = b.value("newname", std::string());
    return st;
  }
  if (type == "AlterOwnerStmt" &&
      b.value("objectType", std::string()) == "OBJECT_DATABASE") {
    st.tag = "ALTER DATABASE";
    st.var = "owner";
    st.table = b.value("object", json::object())
                 .value("String", json::object())
                 .value("sval", std::string());
    st.val = b.value("newowner", json::object()).value("rolename", "");
    return st;
  }
  return std::nullopt;
}

} // namespace themis::sql
