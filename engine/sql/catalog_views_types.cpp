/// pg_type (issue 36): the built-in types themisd knows, with PostgreSQL
/// 15's own pg_type values (copied from a PostgreSQL 15 catalog) so
/// drivers and pg_dump see the lengths, categories, I/O functions,
/// alignment and array links they expect; pg_enum and the enum
/// types' rows come from CREATE TYPE … AS ENUM.

#include "engine/sql/catalog_views_internal.hpp"

namespace themis::sql::catv {

namespace {

struct type_row {
  uint32_t oid;
  const char* name;
  int len;
  bool byval;
  char type;
  char category;
  bool preferred;
  char delim;
  const char* subscript;
  uint32_t elem, array;
  const char* in;
  const char* out;
  const char* recv;
  const char* send;
  const char* modin;
  const char* modout;
  const char* analyze;
  char align, storage;
  uint32_t collation;
};

// clang-format off
constexpr type_row types[] = {
    {16, "bool", 1, true, 'b', 'B', true, ',', "-", 0, 1000, "boolin", "boolout", "boolrecv", "boolsend", "-", "-", "-", 'c', 'p', 0},
    {17, "bytea", -1, false, 'b', 'U', false, ',', "-", 0, 1001, "byteain", "byteaout", "bytearecv", "byteasend", "-", "-", "-", 'i', 'x', 0},
    {18, "char", 1, true, 'b', 'Z', false, ',', "-", 0, 1002, "charin", "charout", "charrecv", "charsend", "-", "-", "-", 'c', 'p', 0},
    {19, "name", 64, false, 'b', 'S', false, ',', "raw_array_subscript_handler", 18, 1003, "namein", "nameout", "namerecv", "namesend", "-", "-", "-", 'c', 'p', 950},
    {20, "int8", 8, true, 'b', 'N', false, ',', "-", 0, 1016, "int8in", "int8out", "int8recv", "int8send", "-", "-", "-", 'd', 'p', 0},
    {21, "int2", 2, true, 'b', 'N', false, ',', "-", 0, 1005, "int2in", "int2out", "int2recv", "int2send", "-", "-", "-", 's', 'p', 0},
    {22, "int2vector", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 21, 1006, "int2vectorin", "int2vectorout", "int2vectorrecv", "int2vectorsend", "-", "-", "-", 'i', 'p', 0},
    {23, "int4", 4, true, 'b', 'N', false, ',', "-", 0, 1007, "int4in", "int4out", "int4recv", "int4send", "-", "-", "-", 'i', 'p', 0},
    {24, "regproc", 4, true, 'b', 'N', false, ',', "-", 0, 1008, "regprocin", "regprocout", "regprocrecv", "regprocsend", "-", "-", "-", 'i', 'p', 0},
    {25, "text", -1, false, 'b', 'S', true, ',', "-", 0, 1009, "textin", "textout", "textrecv", "textsend", "-", "-", "-", 'i', 'x', 100},
    {26, "oid", 4, true, 'b', 'N', true, ',', "-", 0, 1028, "oidin", "oidout", "oidrecv", "oidsend", "-", "-", "-", 'i', 'p', 0},
    {30, "oidvector", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 26, 1013, "oidvectorin", "oidvectorout", "oidvectorrecv", "oidvectorsend", "-", "-", "-", 'i', 'p', 0},
    {114, "json", -1, false, 'b', 'U', false, ',', "-", 0, 199, "json_in", "json_out", "json_recv", "json_send", "-", "-", "-", 'i', 'x', 0},
    {199, "_json", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 114, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {700, "float4", 4, true, 'b', 'N', false, ',', "-", 0, 1021, "float4in", "float4out", "float4recv", "float4send", "-", "-", "-", 'i', 'p', 0},
    {701, "float8", 8, true, 'b', 'N', true, ',', "-", 0, 1022, "float8in", "float8out", "float8recv", "float8send", "-", "-", "-", 'd', 'p', 0},
    {705, "unknown", -2, false, 'p', 'X', false, ',', "-", 0, 0, "unknownin", "unknownout", "unknownrecv", "unknownsend", "-", "-", "-", 'c', 'p', 0},
    {1000, "_bool", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 16, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1001, "_bytea", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 17, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1002, "_char", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 18, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1003, "_name", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 19, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 950},
    {1005, "_int2", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 21, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1007, "_int4", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 23, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1008, "_regproc", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 24, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1009, "_text", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 25, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 100},
    {1014, "_bpchar", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 1042, 0, "array_in", "array_out", "array_recv", "array_send", "bpchartypmodin", "bpchartypmodout", "array_typanalyze", 'i', 'x', 100},
    {1015, "_varchar", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 1043, 0, "array_in", "array_out", "array_recv", "array_send", "varchartypmodin", "varchartypmodout", "array_typanalyze", 'i', 'x', 100},
    {1016, "_int8", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 20, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'd', 'x', 0},
    {1021, "_float4", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 700, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1022, "_float8", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 701, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'd', 'x', 0},
    {1028, "_oid", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 26, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1042, "bpchar", -1, false, 'b', 'S', false, ',', "-", 0, 1014, "bpcharin", "bpcharout", "bpcharrecv", "bpcharsend", "bpchartypmodin", "bpchartypmodout", "-", 'i', 'x', 100},
    {1043, "varchar", -1, false, 'b', 'S', false, ',', "-", 0, 1015, "varcharin", "varcharout", "varcharrecv", "varcharsend", "varchartypmodin", "varchartypmodout", "-", 'i', 'x', 100},
    {1082, "date", 4, true, 'b', 'D', false, ',', "-", 0, 1182, "date_in", "date_out", "date_recv", "date_send", "-", "-", "-", 'i', 'p', 0},
    {1083, "time", 8, true, 'b', 'D', false, ',', "-", 0, 1183, "time_in", "time_out", "time_recv", "time_send", "timetypmodin", "timetypmodout", "-", 'd', 'p', 0},
    {1114, "timestamp", 8, true, 'b', 'D', false, ',', "-", 0, 1115, "timestamp_in", "timestamp_out", "timestamp_recv", "timestamp_send", "timestamptypmodin", "timestamptypmodout", "-", 'd', 'p', 0},
    {1115, "_timestamp", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 1114, 0, "array_in", "array_out", "array_recv", "array_send", "timestamptypmodin", "timestamptypmodout", "array_typanalyze", 'd', 'x', 0},
    {1182, "_date", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 1082, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {1183, "_time", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 1083, 0, "array_in", "array_out", "array_recv", "array_send", "timetypmodin", "timetypmodout", "array_typanalyze", 'd', 'x', 0},
    {1184, "timestamptz", 8, true, 'b', 'D', true, ',', "-", 0, 1185, "timestamptz_in", "timestamptz_out", "timestamptz_recv", "timestamptz_send", "timestamptztypmodin", "timestamptztypmodout", "-", 'd', 'p', 0},
    {1185, "_timestamptz", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 1184, 0, "array_in", "array_out", "array_recv", "array_send", "timestamptztypmodin", "timestamptztypmodout", "array_typanalyze", 'd', 'x', 0},
    {1231, "_numeric", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 1700, 0, "array_in", "array_out", "array_recv", "array_send", "numerictypmodin", "numerictypmodout", "array_typanalyze", 'i', 'x', 0},
    {1700, "numeric", -1, false, 'b', 'N', false, ',', "-", 0, 1231, "numeric_in", "numeric_out", "numeric_recv", "numeric_send", "numerictypmodin", "numerictypmodout", "-", 'i', 'm', 0},
    {2205, "regclass", 4, true, 'b', 'N', false, ',', "-", 0, 2210, "regclassin", "regclassout", "regclassrecv", "regclasssend", "-", "-", "-", 'i', 'p', 0},
    {2206, "regtype", 4, true, 'b', 'N', false, ',', "-", 0, 2211, "regtypein", "regtypeout", "regtyperecv", "regtypesend", "-", "-", "-", 'i', 'p', 0},
    {2210, "_regclass", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 2205, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {2211, "_regtype", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 2206, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {2950, "uuid", 16, false, 'b', 'U', false, ',', "-", 0, 2951, "uuid_in", "uuid_out", "uuid_recv", "uuid_send", "-", "-", "-", 'c', 'p', 0},
    {2951, "_uuid", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 2950, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
    {3802, "jsonb", -1, false, 'b', 'U', false, ',', "jsonb_subscript_handler", 0, 3807, "jsonb_in", "jsonb_out", "jsonb_recv", "jsonb_send", "-", "-", "-", 'i', 'x', 0},
    {3807, "_jsonb", -1, false, 'b', 'A', false, ',', "array_subscript_handler", 3802, 0, "array_in", "array_out", "array_recv", "array_send", "-", "-", "array_typanalyze", 'i', 'x', 0},
};
// clang-format on

} // namespace

std::optional<view_sql> type_view(const std::string& name, const catalog& cat) {
  builder v;
  if (name == "pg_type") {
    v.col("oid", oid::oid_t)
      .col("typname", oid::name)
      .col("typnamespace", oid::oid_t)
      .col("typowner", oid::oid_t)
      .col("typlen", oid::int2)
      .col("typbyval", oid::boolean)
      .col("typtype", oid::char_t)
      .col("typcategory", oid::char_t)
      .col("typispreferred", oid::boolean)
      .col("typisdefined", oid::boolean)
      .col("typdelim", oid::char_t)
      .col("typrelid", oid::oid_t)
      .col("typsubscript", oid::text)
      .col("typelem", oid::oid_t)
      .col("typarray", oid::oid_t)
      .col("typinput", oid::text)
      .col("typoutput", oid::text)
      .col("typreceive", oid::text)
      .col("typsend", oid::text)
      .col("typmodin", oid::text)
      .col("typmodout", oid::text)
      .col("typanalyze", oid::text)
      .col("typalign", oid::char_t)
      .col("typstorage", oid::char_t)
      .col("typnotnull", oid::boolean)
      .col("typbasetype", oid::oid_t)
      .col("typtypmod", oid::int4)
      .col("typndims", oid::int4)
      .col("typcollation", oid::oid_t)
      .col("typdefaultbin", oid::text)
      .col("typdefault", oid::text)
      .col("typacl", oid::text);
    for (auto& t : types)
      v.row({num(t.oid),
             lit(t.name),
             num(catalog_ns),
             "10",
             num(t.len),
             b(t.byval),
             lit(std::string(1, t.type)),
             lit(std::string(1, t.category)),
             b(t.preferred),
             "1",
             lit(std::string(1, t.delim)),
             "0",
             lit(t.subscript),
             num(t.elem),
             num(t.array),
             lit(t.in),
             lit(t.out),
             lit(t.recv),
             lit(t.send),
             lit(t.modin),
             lit(t.modout),
             lit(t.analyze),
             lit(std::string(1, t.align)),
             lit(std::string(1, t.storage)),
             "0",
             "0",
             "-1",
             "0",
             num(t.collation),
             "NULL",
             "NULL",
             "NULL"});
    for (auto& [n, e] : cat.enums()) // CREATE TYPE … AS ENUM
      v.row({num(e.oid),    lit(n),       num(public_ns),
             "10",          "4",          "1",
             "'e'",         "'E'",        "0",
             "1",           "','",        "0",
             "'-'",         "0",          "0",
             "'enum_in'",   "'enum_out'", "'enum_recv'",
             "'enum_send'", "'-'",        "'-'",
             "'-'",         "'i'",        "'p'",
             "0",           "0",          "-1",
             "0",           "0",          "NULL",
             "NULL",        "NULL"});
    return v.build();
  }
  if (name == "pg_enum") {
    v.col("oid", oid::oid_t)
      .col("enumtypid", oid::oid_t)
      .col("enumsortorder", oid::float4)
      .col("enumlabel", oid::name);
    for (auto& [n, e] : cat.enums())
      for (size_t i = 0; i < e.labels.size(); ++i)
        v.row({num(table_oid(e.name + "#" + std::to_string(i))), num(e.oid),
               num(static_cast<int64_t>(i + 1)), lit(e.labels[i])});
    return v.build();
  }
  return std::nullopt;
}

} // namespace themis::sql::catv
