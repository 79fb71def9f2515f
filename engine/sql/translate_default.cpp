/// A column default as pg_get_expr prints it (issue 36): reflection tools
/// (SQLAlchemy, Alembic, psql's \d, pg_dump) read pg_attrdef.adbin through
/// pg_get_expr and compare or replay it, so it must be PostgreSQL's
/// spelling: `0`, `false`, `'x'::text`, `'x'::character varying`,
/// `'2020-01-01'::date`, `now()`.

#include "engine/sql/pg_types.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

bool numeric_type(uint32_t t) {
  return t == oid::int2 || t == oid::int4 || t == oid::int8 ||
         t == oid::float4 || t == oid::float8 || t == oid::numeric ||
         t == oid::oid_t;
}

/// A constant's text for column type `type`.
std::string const_default(const json& c, uint32_t type) {
  auto& b = body(c);
  if (b.contains("isnull") && b.value("isnull", false))
    return "NULL";
  if (b.contains("boolval"))
    return b.at("boolval").value("boolval", false) ? "true" : "false";
  if (b.contains("ival"))
    return std::to_string(b.at("ival").value("ival", int64_t{0}));
  if (b.contains("fval"))
    return b.at("fval").value("fval", "");
  if (!b.contains("sval"))
    return "NULL";
  auto s = b.at("sval").value("sval", "");
  if (numeric_type(type))
    return s;
  if (type == oid::boolean) {
    auto l = s;
    for (auto& ch : l)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return l == "t" || l == "true" || l == "y" || l == "yes" || l == "on" ||
               l == "1"
             ? "true"
             : "false";
  }
  return quote_literal(s) + "::" + type_name(type);
}

} // namespace

std::string translator::default_text(const json& raw, uint32_t type) {
  auto& t = node_type(raw);
  if (t == "A_Const")
    return const_default(raw, type);
  if (t == "TypeCast" && node_type(body(raw).at("arg")) == "A_Const")
    return const_default(body(raw).at("arg"), type);
  return output_name(raw) + "()";
}

} // namespace themis::sql::detail
