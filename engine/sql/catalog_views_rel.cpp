/// pg_class, pg_index, pg_constraint, pg_attrdef, pg_sequence(s) and
/// pg_depend (issue 36): the relation catalogs reflection tools (SQLAlchemy's
/// Inspector, Alembic, psql's \d, pg_dump) join, with PostgreSQL 15's
/// column names and types (conkey int2[], indkey int2vector, indclass
/// oidvector …) because drivers decode by type OID.

#include <algorithm>
#include <set>

#include "engine/sql/catalog_views_internal.hpp"
#include "engine/sql/catalog_views_view.hpp"
#include "engine/sql/pg_array.hpp"
#include "engine/sql/temp_tables.hpp"

namespace themis::sql::catv {

namespace {

/// btree's default operator classes by column type (indclass), so psql and
/// pg_dump see the default opclass and print none.
uint32_t default_opclass(uint32_t type) {
  switch (type) { // PostgreSQL 15's pg_opclass oids
    case oid::int2:
      return 1979;
    case oid::int4:
      return 1978;
    case oid::int8:
      return 3124;
    case oid::oid_t:
      return 1981;
    case oid::boolean:
      return 10003;
    case oid::float4:
      return 10012;
    case oid::float8:
      return 3123;
    case oid::numeric:
      return 3125;
    case oid::bpchar:
      return 10004;
    case oid::char_t:
      return 10007;
    case oid::name:
      return 10028;
    case oid::date:
      return 3122;
    case oid::timestamp:
      return 3128;
    case oid::timestamptz:
      return 3127;
    case oid::time:
      return 10038;
    case oid::uuid:
      return 10065;
    case oid::jsonb:
      return 10088;
    case oid::bytea:
      return 10006;
    default:
      return 3126; // text_ops (varchar uses it too)
  }
}

std::string vector_of(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return lit(s + "]");
}

/// One pg_class row in PostgreSQL 15's column order (plus nothing else).
struct class_row {
  uint32_t oid = 0;
  std::string name;
  uint32_t ns = public_ns;
  char kind = 'r';
  uint32_t am = 2;
  bool has_index = false;
  std::string persistence = "'p'";
  int64_t natts = 0;
  int64_t checks = 0;
  bool has_triggers = false;
  bool has_rules = false; ///< a view's _RETURN rule (issue 36)
};

void class_columns(builder& v) {
  v.col("oid", oid::oid_t)
    .col("relname", oid::name)
    .col("relnamespace", oid::oid_t)
    .col("reltype", oid::oid_t)
    .col("reloftype", oid::oid_t)
    .col("relowner", oid::oid_t)
    .col("relam", oid::oid_t)
    .col("relfilenode", oid::oid_t)
    .col("reltablespace", oid::oid_t)
    .col("relpages", oid::int4)
    .col("reltuples", oid::float4)
    .col("relallvisible", oid::int4)
    .col("reltoastrelid", oid::oid_t)
    .col("relhasindex", oid::boolean)
    .col("relisshared", oid::boolean)
    .col("relpersistence", oid::char_t)
    .col("relkind", oid::char_t)
    .col("relnatts", oid::int2)
    .col("relchecks", oid::int2)
    .col("relhasrules", oid::boolean)
    .col("relhastriggers", oid::boolean)
    .col("relhassubclass", oid::boolean)
    .col("relrowsecurity", oid::boolean)
    .col("relforcerowsecurity", oid::boolean)
    .col("relispopulated", oid::boolean)
    .col("relreplident", oid::char_t)
    .col("relispartition", oid::boolean)
    .col("relrewrite", oid::oid_t)
    .col("relfrozenxid", oid::oid_t)
    .col("relminmxid", oid::oid_t)
    .col("relacl", oid::text)
    .col("reloptions", oid::text_array)
    .col("relpartbound", oid::text);
}

void class_add(builder& v, const class_row& r) {
  v.row({num(r.oid),
         lit(r.name),
         num(r.ns),
         "0",
         "0",
         "10",
         num(r.am),
         num(r.oid),
         "0",
         "0",
         "-1",
         "0",
         "0",
         b(r.has_index),
         "0",
         r.persistence,
         lit(std::string(1, r.kind)),
         num(r.natts),
         num(r.checks),
         b(r.has_rules),
         b(r.has_triggers),
         "0",
         "0",
         "0",
         "1",
         r.kind == 'r' ? "'d'" : "'n'",
         "0",
         "0",
         r.kind == 'r' ? "'1'" : "'0'",
         r.kind == 'r' ? "'1'" : "'0'",
         "NULL",
         "NULL",
         "NULL"});
}

view_sql pg_class_view(const catalog& cat) {
  builder v;
  class_columns(v);
  for (auto& [n, t] : all_tables(cat)) {
    class_row r;
    r.oid = t.oid;
    r.name = n;
    r.ns = ns_of(t);
    r.has_index = !t.indexes.empty();
    r.persistence = persistence(t);
    r.natts = static_cast<int64_t>(t.columns.size());
    r.checks = static_cast<int64_t>(t.checks.size());
    // PostgreSQL's RI triggers sit on both ends of a foreign key; psql
    // prints "Referenced by" only for a table with triggers
    r.has_triggers = !t.foreign_keys.empty();
    for (auto& [on, o] : all_tables(cat))
      for (auto& f : o.foreign_keys)
        r.has_triggers = r.has_triggers || f.ref_table == t.name;
    class_add(v, r);
    if (!t.typed)
      continue;
    for (auto& i : t.indexes) {
      class_row x;
      x.oid = index_oid(t, i);
      x.name = i.name;
      x.ns = ns_of(t);
      x.kind = 'i';
      x.am = 403;
      x.persistence = persistence(t);
      x.natts = static_cast<int64_t>(i.columns.size());
      class_add(v, x);
    }
  }
  for (auto& [n, t] : view_tables(cat)) { // views (issue 36)
    class_row x;
    x.oid = t.oid;
    x.name = n;
    x.ns = ns_of(t);
    x.kind = 'v';
    x.am = 0;
    x.persistence = persistence(t);
    x.natts = static_cast<int64_t>(t.columns.size());
    x.has_rules = true;
    class_add(v, x);
  }
  for (auto& s : all_sequences(cat)) {
    class_row x;
    x.oid = s.oid;
    x.name = s.name;
    x.ns = s.ns;
    x.kind = 'S';
    x.am = 0;
    x.natts = 3;
    if (s.temp) // issue 36: temp sequences
      x.persistence = "'t'";
    class_add(v, x);
  }
  return v.build();
}

view_sql pg_index_view(const catalog& cat) {
  builder v;
  v.col("indexrelid", oid::oid_t)
    .col("indrelid", oid::oid_t)
    .col("indnatts", oid::int2)
    .col("indnkeyatts", oid::int2)
    .col("indisunique", oid::boolean)
    .col("indnullsnotdistinct", oid::boolean)
    .col("indisprimary", oid::boolean)
    .col("indisexclusion", oid::boolean)
    .col("indimmediate", oid::boolean)
    .col("indisclustered", oid::boolean)
    .col("indisvalid", oid::boolean)
    .col("indcheckxmin", oid::boolean)
    .col("indisready", oid::boolean)
    .col("indislive", oid::boolean)
    .col("indisreplident", oid::boolean)
    .col("indkey", oid::int2vector)
    .col("indcollation", oid::oidvector)
    .col("indclass", oid::oidvector)
    .col("indoption", oid::int2vector)
    .col("indexprs", oid::text)
    .col("indpred", oid::text);
  for (auto& [n, t] : all_tables(cat)) {
    if (!t.typed)
      continue;
    for (auto& i : t.indexes) {
      std::vector<int64_t> coll, cls, opt;
      for (auto c : i.columns) {
        auto type = t.columns[static_cast<size_t>(c)].type_oid;
        coll.push_back(collatable(type) ? 100 : 0);
        cls.push_back(default_opclass(type));
        opt.push_back(0);
      }
      auto nat = num(static_cast<int64_t>(i.columns.size()));
      v.row({num(index_oid(t, i)),
             num(t.oid),
             nat,
             nat,
             b(i.unique),
             "0",
             b(i.primary),
             "0",
             "1",
             "0",
             "1",
             "0",
             "1",
             "1",
             "0",
             attnums(i.columns),
             vector_of(coll),
             vector_of(cls),
             vector_of(opt),
             "NULL",
             "NULL"});
    }
  }
  return v.build();
}

view_sql pg_constraint_view(const catalog& cat) {
  builder v;
  v.col("oid", oid::oid_t)
    .col("conname", oid::name)
    .col("connamespace", oid::oid_t)
    .col("contype", oid::char_t)
    .col("condeferrable", oid::boolean)
    .col("condeferred", oid::boolean)
    .col("convalidated", oid::boolean)
    .col("conrelid", oid::oid_t)
    .col("contypid", oid::oid_t)
    .col("conindid", oid::oid_t)
    .col("conparentid", oid::oid_t)
    .col("confrelid", oid::oid_t)
    .col("confupdtype", oid::char_t)
    .col("confdeltype", oid::char_t)
    .col("confmatchtype", oid::char_t)
    .col("conislocal", oid::boolean)
    .col("coninhcount", oid::int4)
    .col("connoinherit", oid::boolean)
    .col("conkey", oid::int2_array)
    .col("confkey", oid::int2_array)
    .col("conpfeqop", oid::oid_array)
    .col("conppeqop", oid::oid_array)
    .col("conffeqop", oid::oid_array)
    .col("confdelsetcols", oid::int2_array)
    .col("conexclop", oid::oid_array)
    .col("conbin", oid::text);
  for (auto& [n, t] : all_tables(cat)) {
    if (!t.typed)
      continue;
    for (auto& i : t.indexes)
      if ((i.primary || i.unique) && !i.index_only)
        v.row({num(index_oid(t, i)),
               lit(i.name),
               num(ns_of(t)),
               i.primary ? "'p'" : "'u'",
               "0",
               "0",
               "1",
               num(t.oid),
               "0",
               num(index_oid(t, i)),
               "0",
               "0",
               "' '",
               "' '",
               "' '",
               "1",
               "0",
               "1",
               attnums(i.columns),
               "NULL",
               "NULL",
               "NULL",
               "NULL",
               "NULL",
               "NULL",
               "NULL"});
    for (auto& f : t.foreign_keys) {
      auto ref = table_oid(f.ref_table);
      uint32_t ref_index = 0; // the referenced unique index
      for (auto& [rn, r] : all_tables(cat))
        if (r.name == f.ref_table)
          for (auto& i : r.indexes)
            if (i.unique &&
                std::is_permutation(i.columns.begin(), i.columns.end(),
                                    f.ref_columns.begin(), f.ref_columns.end()))
              ref_index = index_oid(r, i);
      v.row({num(constraint_oid(t, f.name)),
             lit(f.name),
             num(ns_of(t)),
             "'f'",
             b(f.deferrable),
             b(f.deferred),
             "1",
             num(t.oid),
             "0",
             num(ref_index),
             "0",
             num(ref),
             lit(std::string(1, f.on_update)),
             lit(std::string(1, f.on_delete)),
             lit(std::string(1, f.match)),
             "1",
             "0",
             "1",
             attnums(f.columns),
             attnums(f.ref_columns),
             "NULL",
             "NULL",
             "NULL",
             "NULL",
             "NULL",
             "NULL"});
    }
    for (auto& c : t.checks) {
      std::vector<int> used; // columns the condition names
      for (size_t i = 0; i < t.columns.size(); ++i)
        if (c.sql.find(json_path(t.columns[i].name)) != std::string::npos)
          used.push_back(static_cast<int>(i));
      v.row({num(constraint_oid(t, c.name)),
             lit(c.name),
             num(ns_of(t)),
             "'c'",
             "0",
             "0",
             "1",
             num(t.oid),
             "0",
             "0",
             "0",
             "0",
             "' '",
             "' '",
             "' '",
             "1",
             "0",
             "0",
             attnums(used),
             "NULL",
             "NULL",
             "NULL",
             "NULL",
             "NULL",
             "NULL",
             lit(c.text)});
    }
  }
  return v.build();
}

view_sql pg_attrdef_view(const catalog& cat) {
  builder v;
  v.col("oid", oid::oid_t)
    .col("adrelid", oid::oid_t)
    .col("adnum", oid::int2)
    .col("adbin", oid::text);
  for (auto& [n, t] : all_tables(cat))
    for (size_t i = 0; i < t.columns.size(); ++i)
      if (!t.columns[i].default_text.empty())
        v.row({num(table_oid(t.name + "#" + std::to_string(i))), num(t.oid),
               num(static_cast<int64_t>(i + 1)),
               lit(t.columns[i].default_text)});
  return v.build();
}

view_sql pg_sequence_view(const catalog& cat) {
  builder v;
  v.col("seqrelid", oid::oid_t)
    .col("seqtypid", oid::oid_t)
    .col("seqstart", oid::int8)
    .col("seqincrement", oid::int8)
    .col("seqmax", oid::int8)
    .col("seqmin", oid::int8)
    .col("seqcache", oid::int8)
    .col("seqcycle", oid::boolean);
  for (auto& s : all_sequences(cat))
    v.row({num(s.oid), num(s.type), num(s.start), num(s.increment),
           num(s.max), num(s.min), num(s.cache), s.cycle ? "1" : "0"});
  return v.build();
}

/// pg_sequences: last_value read from the sequence's row (NULL before the
/// first nextval, as in PostgreSQL).
view_sql pg_sequences_view(const catalog& cat, const session_info& info) {
  builder v;
  v.col("schemaname", oid::name)
    .col("sequencename", oid::name)
    .col("sequenceowner", oid::name)
    .col("data_type", oid::regtype)
    .col("start_value", oid::int8)
    .col("min_value", oid::int8)
    .col("max_value", oid::int8)
    .col("increment_by", oid::int8)
    .col("cycle", oid::boolean)
    .col("cache_size", oid::int8)
    .col("last_value", oid::int8);
  for (auto& s : all_sequences(cat))
    v.row({lit(s.schema), lit(s.name), lit(info.user), num(s.type),
           num(s.start), num(s.min), num(s.max), num(s.increment),
           s.cycle ? "1" : "0", num(s.cache),
           "(SELECT CASE WHEN called THEN last END FROM sql_sequences WHERE "
           "name = " +
             lit(s.key) + ")"});
  return v.build();
}

/// pg_depend: a serial's sequence is owned by its column ('a'), a
/// constraint's index depends on the constraint ('i'), a foreign key on
/// the referenced index ('n') — what pg_dump orders by and psql shows.
view_sql pg_depend_view(const catalog& cat) {
  builder v;
  v.col("classid", oid::oid_t)
    .col("objid", oid::oid_t)
    .col("objsubid", oid::int4)
    .col("refclassid", oid::oid_t)
    .col("refobjid", oid::oid_t)
    .col("refobjsubid", oid::int4)
    .col("deptype", oid::char_t);
  for (auto& s : all_sequences(cat))
    if (s.owner_column) // OWNED BY ('a'), an identity's ('i')
      v.row({num(pg_class_oid), num(s.oid), "0", num(pg_class_oid),
             num(s.owner_table), num(s.owner_column),
             s.deptype == 'i' ? "'i'" : "'a'"});
  add_view_depends(v, cat); // views' rules (catalog_views_view.cpp)
  add_default_depends(v, cat); // nextval defaults (catalog_views_dump.cpp)
  return v.build();
}

} // namespace

int64_t sequence_max(uint32_t type) {
  return type == oid::int2 ? 32767 : type == oid::int4 ? 2147483647 : INT64_MAX;
}

std::vector<sequence_info> all_sequences(const catalog& cat) {
  std::vector<sequence_info> out;
  // CREATE SEQUENCE's, and identities' (issue 36; sql_sequences.hpp)
  std::set<std::string> explicit_keys;
  for (auto& [n, d] : cat.sequences()) {
    sequence_info s;
    s.name = n;
    s.key = d.key;
    s.oid = d.oid;
    s.temp = is_temp_table(d.name);
    s.schema = s.temp ? temp_schema_of(d.name) : "public";
    s.ns = s.temp ? temp_namespace_oid(s.schema) : 2200;
    s.type = d.type;
    s.start = d.start;
    s.increment = d.increment;
    s.min = d.min;
    s.max = d.max;
    s.cache = d.cache;
    s.cycle = d.cycle;
    s.deptype = d.identity ? 'i' : 'a';
    for (auto& [tn, t] : all_tables(cat))
      if (!d.owner_table.empty() && t.name == d.owner_table &&
          t.find(d.owner_column) >= 0) {
        s.owner_table = t.oid;
        s.owner_column = t.find(d.owner_column) + 1;
      }
    explicit_keys.insert(d.key);
    out.push_back(std::move(s));
  }
  for (auto& [n, t] : all_tables(cat)) {
    if (!t.typed)
      continue;
    for (size_t i = 0; i < t.columns.size(); ++i) {
      auto& c = t.columns[i];
      if (!c.serial || explicit_keys.count(t.name + "." + c.name))
        continue;
      sequence_info s;
      s.name = n + "_" + c.name + "_seq";
      s.key = t.name + "." + c.name;
      s.oid = table_oid(t.name + "#seq:" + c.name);
      s.ns = ns_of(t);
      s.schema = schema_of(t);
      s.type = c.type_oid;
      s.owner_table = t.oid;
      s.owner_column = static_cast<int>(i + 1);
      s.max = sequence_max(s.type);
      s.temp = is_temp_table(t.name);
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::optional<view_sql> relation_view(const std::string& name,
                                      const catalog& cat,
                                      const session_info& info) {
  if (name == "pg_class")
    return pg_class_view(cat);
  if (name == "pg_index")
    return pg_index_view(cat);
  if (name == "pg_constraint")
    return pg_constraint_view(cat);
  if (name == "pg_attrdef")
    return pg_attrdef_view(cat);
  if (name == "pg_sequence")
    return pg_sequence_view(cat);
  if (name == "pg_sequences")
    return pg_sequences_view(cat, info);
  if (name == "pg_depend")
    return pg_depend_view(cat);
  if (auto r = attribute_view(name, cat)) // catalog_views_attr.cpp
    return r;
  return std::nullopt;
}

} // namespace themis::sql::catv
