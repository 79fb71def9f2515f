#include "engine/sql/catalog_functions.hpp"

#include "engine/sql/catalog_views_internal.hpp"

namespace themis::sql {

std::pair<std::string, uint32_t>
serial_sequence_sql(const catalog& cat, const std::string& table,
                    const std::string& column) {
  auto seqs = catv::all_sequences(cat);
  if (seqs.empty())
    return {"NULL", oid::text};
  std::string out = "CASE";
  for (auto& s : seqs) {
    std::string tname;
    for (auto& [n, t] : catv::all_tables(cat))
      if (t.oid == s.owner_table)
        tname = n;
    if (!s.owner_column || !cat.find(tname))
      continue; // a sequence not OWNED BY a column (issue 36)
    auto& t = *cat.find(tname);
    auto& col = t.columns[static_cast<size_t>(s.owner_column - 1)].name;
    out += " WHEN CAST(" + table + " AS TEXT) IN (" + quote_literal(tname) +
           ", " + quote_literal(s.schema + "." + tname) + ", " +
           quote_literal(std::to_string(s.owner_table)) + ", " +
           quote_literal(quote_ident(tname)) + ") AND " + column + " = " +
           quote_literal(col) + " THEN " +
           quote_literal(s.schema + "." + s.name);
  }
  if (out == "CASE")
    return {"NULL", oid::text};
  return {out + " END", oid::text};
}

std::optional<uint32_t> relation_oid(const catalog& cat,
                                     const std::string& name) {
  static const std::pair<const char*, uint32_t> catalogs[] = {
    {"pg_class", 1259},
    {"pg_attribute", 1249},
    {"pg_proc", 1255},
    {"pg_type", 1247},
    {"pg_namespace", 2615},
    {"pg_constraint", 2606},
    {"pg_attrdef", 2604},
    {"pg_index", 2610},
    {"pg_database", 1262},
    {"pg_authid", 1260},
    {"pg_auth_members", 1261},
    {"pg_extension", 3079},
    {"pg_description", 2609},
    {"pg_depend", 2608},
    {"pg_collation", 3456},
    {"pg_am", 2601},
    {"pg_opclass", 2616},
    {"pg_operator", 2617},
    {"pg_trigger", 2620},
    {"pg_rewrite", 2618},
    {"pg_cast", 2605},
    {"pg_language", 2612},
    {"pg_tablespace", 1213},
    {"pg_event_trigger", 3466},
    {"pg_policy", 3256},
    {"pg_publication", 6104},
    {"pg_statistic_ext", 3381},
    {"pg_shdescription", 2396},
    {"pg_conversion", 2607},
    {"pg_opfamily", 2753},
    {"pg_inherits", 2611},
    {"pg_enum", 3501},
    {"pg_range", 3541},
    {"pg_sequence", 2224},
    {"pg_init_privs", 3394},
    {"pg_default_acl", 826},
    {"pg_seclabel", 3596},
    {"pg_transform", 3576},
    {"pg_largeobject", 2613},
    {"pg_largeobject_metadata", 2995},
    {"pg_foreign_data_wrapper", 2328},
    {"pg_foreign_server", 1417},
    {"pg_user_mapping", 1418},
    {"pg_ts_config", 3602},
    {"pg_ts_dict", 3600},
    {"pg_ts_parser", 3601},
    {"pg_ts_template", 3764},
    {"pg_partitioned_table", 3350},
    {"pg_subscription", 6100},
    // the other catalogs pg_dump reads (tableoid, ::regclass; issue 36)
    {"pg_publication_rel", 6106},
    {"pg_publication_namespace", 6237},
    {"pg_amop", 2602},
    {"pg_amproc", 2603},
    {"pg_aggregate", 2600},
    {"pg_shseclabel", 3592},
    {"pg_ts_config_map", 3603},
    {"pg_foreign_table", 3118},
    {"pg_subscription_rel", 6102},
    {"pg_db_role_setting", 2964},
    {"pg_replication_origin", 6000}};
  for (auto& [n, o] : catalogs)
    if (name == n)
      return o;
  for (auto& [tn, t] : catv::all_tables(cat))
    for (auto& i : t.indexes)
      if (i.name == name)
        return catv::index_oid(t, i);
  for (auto& s : catv::all_sequences(cat))
    if (s.name == name)
      return s.oid;
  if (auto v = cat.find_view(name)) // issue 36 (views)
    return v->oid;
  return std::nullopt;
}

} // namespace themis::sql
