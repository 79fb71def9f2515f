/// quote_ident (issue 36: pg_dump and psql build option lists and role
/// lists with it): PostgreSQL's rule, quoting unless the name is a plain
/// lower-case identifier that is not a reserved or column-name keyword.

#include <sqlite3.h>

#include <string>
#include <unordered_set>

#include "engine/sql/sql_functions.hpp"

namespace themis::sql {

namespace {

/// pg_get_keywords() of PostgreSQL 15 whose category is not unreserved.
bool keyword(const std::string& w) {
  static const std::unordered_set<std::string> words = {"all",
                                                        "analyse",
                                                        "analyze",
                                                        "and",
                                                        "any",
                                                        "array",
                                                        "as",
                                                        "asc",
                                                        "asymmetric",
                                                        "authorization",
                                                        "between",
                                                        "bigint",
                                                        "binary",
                                                        "bit",
                                                        "boolean",
                                                        "both",
                                                        "case",
                                                        "cast",
                                                        "char",
                                                        "character",
                                                        "check",
                                                        "coalesce",
                                                        "collate",
                                                        "collation",
                                                        "column",
                                                        "concurrently",
                                                        "constraint",
                                                        "create",
                                                        "cross",
                                                        "current_catalog",
                                                        "current_date",
                                                        "current_role",
                                                        "current_schema",
                                                        "current_time",
                                                        "current_timestamp",
                                                        "current_user",
                                                        "dec",
                                                        "decimal",
                                                        "default",
                                                        "deferrable",
                                                        "desc",
                                                        "distinct",
                                                        "do",
                                                        "else",
                                                        "end",
                                                        "except",
                                                        "exists",
                                                        "extract",
                                                        "false",
                                                        "fetch",
                                                        "float",
                                                        "for",
                                                        "foreign",
                                                        "freeze",
                                                        "from",
                                                        "full",
                                                        "grant",
                                                        "greatest",
                                                        "group",
                                                        "grouping",
                                                        "having",
                                                        "ilike",
                                                        "in",
                                                        "initially",
                                                        "inner",
                                                        "inout",
                                                        "int",
                                                        "integer",
                                                        "intersect",
                                                        "interval",
                                                        "into",
                                                        "is",
                                                        "isnull",
                                                        "join",
                                                        "lateral",
                                                        "leading",
                                                        "least",
                                                        "left",
                                                        "like",
                                                        "limit",
                                                        "localtime",
                                                        "localtimestamp",
                                                        "national",
                                                        "natural",
                                                        "nchar",
                                                        "none",
                                                        "normalize",
                                                        "not",
                                                        "notnull",
                                                        "null",
                                                        "nullif",
                                                        "numeric",
                                                        "offset",
                                                        "on",
                                                        "only",
                                                        "or",
                                                        "order",
                                                        "out",
                                                        "outer",
                                                        "overlaps",
                                                        "overlay",
                                                        "placing",
                                                        "position",
                                                        "precision",
                                                        "primary",
                                                        "real",
                                                        "references",
                                                        "returning",
                                                        "right",
                                                        "row",
                                                        "select",
                                                        "session_user",
                                                        "setof",
                                                        "similar",
                                                        "smallint",
                                                        "some",
                                                        "substring",
                                                        "symmetric",
                                                        "table",
                                                        "tablesample",
                                                        "then",
                                                        "time",
                                                        "timestamp",
                                                        "to",
                                                        "trailing",
                                                        "treat",
                                                        "trim",
                                                        "true",
                                                        "union",
                                                        "unique",
                                                        "user",
                                                        "using",
                                                        "values",
                                                        "varchar",
                                                        "variadic",
                                                        "verbose",
                                                        "when",
                                                        "where",
                                                        "window",
                                                        "with",
                                                        "xmlattributes",
                                                        "xmlconcat",
                                                        "xmlelement",
                                                        "xmlexists",
                                                        "xmlforest",
                                                        "xmlnamespaces",
                                                        "xmlparse",
                                                        "xmlpi",
                                                        "xmlroot",
                                                        "xmlserialize",
                                                        "xmltable"};
  return words.count(w) > 0;
}

void fn_quote_ident(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  auto* t = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  std::string s = t ? t : "";
  bool plain = !s.empty() && ((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_');
  for (char c : s)
    plain =
      plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  std::string out = s;
  if (!plain || keyword(s)) {
    out = "\"";
    for (char c : s)
      out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += "\"";
  }
  sqlite3_result_text(ctx, out.data(), static_cast<int>(out.size()),
                      SQLITE_TRANSIENT);
}

} // namespace

void register_dump_functions(sqlite3* db) {
  sqlite3_create_function_v2(db, "themis_quote_ident", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             fn_quote_ident, nullptr, nullptr, nullptr);
}

} // namespace themis::sql
