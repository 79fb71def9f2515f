/// The catalogs pg_dump 15 reads (issue 36) that hold nothing here:
/// themisd has no operator classes, text search objects, foreign data
/// wrappers, publications, event triggers, large objects or initial
/// privileges, so each is an empty relation with PostgreSQL 15's columns
/// (pg_dump's queries select them by name). pg_description holds the
/// comments COMMENT ON stores in table definitions.

#include <unordered_set>

#include "engine/sql/catalog_views_internal.hpp"

namespace themis::sql::catv {

namespace {

struct empty_catalog {
  const char* name;
  std::vector<std::pair<const char*, uint32_t>> cols;
};

/// Generated from PostgreSQL 15's pg_attribute (aclitem[] and
/// pg_node_tree read as text, as in the other catalog views).
const std::vector<empty_catalog>& empty_catalogs() {
  static const std::vector<empty_catalog> all = {
    {"pg_aggregate",
     {{"aggfnoid", oid::regproc},       {"aggkind", oid::char_t},
      {"aggnumdirectargs", oid::int2},  {"aggtransfn", oid::regproc},
      {"aggfinalfn", oid::regproc},     {"aggcombinefn", oid::regproc},
      {"aggserialfn", oid::regproc},    {"aggdeserialfn", oid::regproc},
      {"aggmtransfn", oid::regproc},    {"aggminvtransfn", oid::regproc},
      {"aggmfinalfn", oid::regproc},    {"aggfinalextra", oid::boolean},
      {"aggmfinalextra", oid::boolean}, {"aggfinalmodify", oid::char_t},
      {"aggmfinalmodify", oid::char_t}, {"aggsortop", oid::oid_t},
      {"aggtranstype", oid::oid_t},     {"aggtransspace", oid::int4},
      {"aggmtranstype", oid::oid_t},    {"aggmtransspace", oid::int4},
      {"agginitval", oid::text},        {"aggminitval", oid::text}}},
    {"pg_amop",
     {{"oid", oid::oid_t},
      {"amopfamily", oid::oid_t},
      {"amoplefttype", oid::oid_t},
      {"amoprighttype", oid::oid_t},
      {"amopstrategy", oid::int2},
      {"amoppurpose", oid::char_t},
      {"amopopr", oid::oid_t},
      {"amopmethod", oid::oid_t},
      {"amopsortfamily", oid::oid_t}}},
    {"pg_amproc",
     {{"oid", oid::oid_t},
      {"amprocfamily", oid::oid_t},
      {"amproclefttype", oid::oid_t},
      {"amprocrighttype", oid::oid_t},
      {"amprocnum", oid::int2},
      {"amproc", oid::regproc}}},
    {"pg_cast",
     {{"oid", oid::oid_t},
      {"castsource", oid::oid_t},
      {"casttarget", oid::oid_t},
      {"castfunc", oid::oid_t},
      {"castcontext", oid::char_t},
      {"castmethod", oid::char_t}}},
    {"pg_conversion",
     {{"oid", oid::oid_t},
      {"conname", oid::name},
      {"connamespace", oid::oid_t},
      {"conowner", oid::oid_t},
      {"conforencoding", oid::int4},
      {"contoencoding", oid::int4},
      {"conproc", oid::regproc},
      {"condefault", oid::boolean}}},
    {"pg_db_role_setting",
     {{"setdatabase", oid::oid_t},
      {"setrole", oid::oid_t},
      {"setconfig", oid::text_array}}},
    {"pg_default_acl",
     {{"oid", oid::oid_t},
      {"defaclrole", oid::oid_t},
      {"defaclnamespace", oid::oid_t},
      {"defaclobjtype", oid::char_t},
      {"defaclacl", oid::text}}},
    {"pg_event_trigger",
     {{"oid", oid::oid_t},
      {"evtname", oid::name},
      {"evtevent", oid::name},
      {"evtowner", oid::oid_t},
      {"evtfoid", oid::oid_t},
      {"evtenabled", oid::char_t},
      {"evttags", oid::text_array}}},
    {"pg_foreign_data_wrapper",
     {{"oid", oid::oid_t},
      {"fdwname", oid::name},
      {"fdwowner", oid::oid_t},
      {"fdwhandler", oid::oid_t},
      {"fdwvalidator", oid::oid_t},
      {"fdwacl", oid::text},
      {"fdwoptions", oid::text_array}}},
    {"pg_foreign_server",
     {{"oid", oid::oid_t},
      {"srvname", oid::name},
      {"srvowner", oid::oid_t},
      {"srvfdw", oid::oid_t},
      {"srvtype", oid::text},
      {"srvversion", oid::text},
      {"srvacl", oid::text},
      {"srvoptions", oid::text_array}}},
    {"pg_foreign_table",
     {{"ftrelid", oid::oid_t},
      {"ftserver", oid::oid_t},
      {"ftoptions", oid::text_array}}},
    {"pg_init_privs",
     {{"objoid", oid::oid_t},
      {"classoid", oid::oid_t},
      {"objsubid", oid::int4},
      {"privtype", oid::char_t},
      {"initprivs", oid::text}}},
    {"pg_largeobject",
     {{"loid", oid::oid_t}, {"pageno", oid::int4}, {"data", oid::bytea}}},
    {"pg_largeobject_metadata",
     {{"oid", oid::oid_t}, {"lomowner", oid::oid_t}, {"lomacl", oid::text}}},
    {"pg_opclass",
     {{"oid", oid::oid_t},
      {"opcmethod", oid::oid_t},
      {"opcname", oid::name},
      {"opcnamespace", oid::oid_t},
      {"opcowner", oid::oid_t},
      {"opcfamily", oid::oid_t},
      {"opcintype", oid::oid_t},
      {"opcdefault", oid::boolean},
      {"opckeytype", oid::oid_t}}},
    {"pg_operator",
     {{"oid", oid::oid_t},
      {"oprname", oid::name},
      {"oprnamespace", oid::oid_t},
      {"oprowner", oid::oid_t},
      {"oprkind", oid::char_t},
      {"oprcanmerge", oid::boolean},
      {"oprcanhash", oid::boolean},
      {"oprleft", oid::oid_t},
      {"oprright", oid::oid_t},
      {"oprresult", oid::oid_t},
      {"oprcom", oid::oid_t},
      {"oprnegate", oid::oid_t},
      {"oprcode", oid::regproc},
      {"oprrest", oid::regproc},
      {"oprjoin", oid::regproc}}},
    {"pg_opfamily",
     {{"oid", oid::oid_t},
      {"opfmethod", oid::oid_t},
      {"opfname", oid::name},
      {"opfnamespace", oid::oid_t},
      {"opfowner", oid::oid_t}}},
    {"pg_partitioned_table",
     {{"partrelid", oid::oid_t},
      {"partstrat", oid::char_t},
      {"partnatts", oid::int2},
      {"partdefid", oid::oid_t},
      {"partattrs", oid::int2vector},
      {"partclass", oid::oidvector},
      {"partcollation", oid::oidvector},
      {"partexprs", oid::text}}},
    {"pg_policy",
     {{"oid", oid::oid_t},
      {"polname", oid::name},
      {"polrelid", oid::oid_t},
      {"polcmd", oid::char_t},
      {"polpermissive", oid::boolean},
      {"polroles", oid::oid_array},
      {"polqual", oid::text},
      {"polwithcheck", oid::text}}},
    {"pg_publication",
     {{"oid", oid::oid_t},
      {"pubname", oid::name},
      {"pubowner", oid::oid_t},
      {"puballtables", oid::boolean},
      {"pubinsert", oid::boolean},
      {"pubupdate", oid::boolean},
      {"pubdelete", oid::boolean},
      {"pubtruncate", oid::boolean},
      {"pubviaroot", oid::boolean}}},
    {"pg_publication_namespace",
     {{"oid", oid::oid_t}, {"pnpubid", oid::oid_t}, {"pnnspid", oid::oid_t}}},
    {"pg_publication_rel",
     {{"oid", oid::oid_t},
      {"prpubid", oid::oid_t},
      {"prrelid", oid::oid_t},
      {"prqual", oid::text},
      {"prattrs", oid::int2vector}}},
    {"pg_replication_origin", {{"roident", oid::oid_t}, {"roname", oid::text}}},
    {"pg_seclabel",
     {{"objoid", oid::oid_t},
      {"classoid", oid::oid_t},
      {"objsubid", oid::int4},
      {"provider", oid::text},
      {"label", oid::text}}},
    {"pg_seclabels",
     {{"objoid", oid::oid_t},
      {"classoid", oid::oid_t},
      {"objsubid", oid::int4},
      {"objtype", oid::text},
      {"objnamespace", oid::oid_t},
      {"objname", oid::text},
      {"provider", oid::text},
      {"label", oid::text}}},
    {"pg_shdescription",
     {{"objoid", oid::oid_t},
      {"classoid", oid::oid_t},
      {"description", oid::text}}},
    {"pg_shseclabel",
     {{"objoid", oid::oid_t},
      {"classoid", oid::oid_t},
      {"provider", oid::text},
      {"label", oid::text}}},
    {"pg_statistic_ext",
     {{"oid", oid::oid_t},
      {"stxrelid", oid::oid_t},
      {"stxname", oid::name},
      {"stxnamespace", oid::oid_t},
      {"stxowner", oid::oid_t},
      {"stxstattarget", oid::int4},
      {"stxkeys", oid::int2vector},
      {"stxkind", oid::char_array},
      {"stxexprs", oid::text}}},
    {"pg_subscription",
     {{"oid", oid::oid_t},
      {"subdbid", oid::oid_t},
      {"subskiplsn", oid::text},
      {"subname", oid::name},
      {"subowner", oid::oid_t},
      {"subenabled", oid::boolean},
      {"subbinary", oid::boolean},
      {"substream", oid::boolean},
      {"subtwophasestate", oid::char_t},
      {"subdisableonerr", oid::boolean},
      {"subconninfo", oid::text},
      {"subslotname", oid::name},
      {"subsynccommit", oid::text},
      {"subpublications", oid::text_array}}},
    {"pg_subscription_rel",
     {{"srsubid", oid::oid_t},
      {"srrelid", oid::oid_t},
      {"srsubstate", oid::char_t},
      {"srsublsn", oid::text}}},
    {"pg_transform",
     {{"oid", oid::oid_t},
      {"trftype", oid::oid_t},
      {"trflang", oid::oid_t},
      {"trffromsql", oid::regproc},
      {"trftosql", oid::regproc}}},
    {"pg_ts_config",
     {{"oid", oid::oid_t},
      {"cfgname", oid::name},
      {"cfgnamespace", oid::oid_t},
      {"cfgowner", oid::oid_t},
      {"cfgparser", oid::oid_t}}},
    {"pg_ts_config_map",
     {{"mapcfg", oid::oid_t},
      {"maptokentype", oid::int4},
      {"mapseqno", oid::int4},
      {"mapdict", oid::oid_t}}},
    {"pg_ts_dict",
     {{"oid", oid::oid_t},
      {"dictname", oid::name},
      {"dictnamespace", oid::oid_t},
      {"dictowner", oid::oid_t},
      {"dicttemplate", oid::oid_t},
      {"dictinitoption", oid::text}}},
    {"pg_ts_parser",
     {{"oid", oid::oid_t},
      {"prsname", oid::name},
      {"prsnamespace", oid::oid_t},
      {"prsstart", oid::regproc},
      {"prstoken", oid::regproc},
      {"prsend", oid::regproc},
      {"prsheadline", oid::regproc},
      {"prslextype", oid::regproc}}},
    {"pg_ts_template",
     {{"oid", oid::oid_t},
      {"tmplname", oid::name},
      {"tmplnamespace", oid::oid_t},
      {"tmplinit", oid::regproc},
      {"tmpllexize", oid::regproc}}},
    {"pg_user_mapping",
     {{"oid", oid::oid_t},
      {"umuser", oid::oid_t},
      {"umserver", oid::oid_t},
      {"umoptions", oid::text_array}}},
  };
  return all;
}

/// pg_description: the public schema's comment (as in every PostgreSQL
/// database, so pg_dump leaves it out) and every COMMENT ON.
view_sql description_view(const catalog& cat) {
  builder v;
  v.col("objoid", oid::oid_t)
    .col("classoid", oid::oid_t)
    .col("objsubid", oid::int4)
    .col("description", oid::text);
  v.row(
    {num(public_ns), num(pg_namespace_oid), "0", "'standard public schema'"});
  auto add = [&](uint32_t o, uint32_t cls, int64_t sub,
                 const std::string& text) {
    if (!text.empty())
      v.row({num(o), num(cls), num(sub), lit(text)});
  };
  for (auto& [n, t] : all_tables(cat)) {
    add(t.oid, pg_class_oid, 0, t.comment);
    for (size_t i = 0; i < t.columns.size(); ++i)
      add(t.oid, pg_class_oid, static_cast<int64_t>(i + 1),
          t.columns[i].comment);
    // a constraint's comment is on its pg_constraint row, a plain
    // index's on its pg_class row
    for (auto& i : t.indexes)
      add(index_oid(t, i), i.index_only ? pg_class_oid : pg_constraint_oid, 0,
          i.comment);
    for (auto& f : t.foreign_keys)
      add(constraint_oid(t, f.name), pg_constraint_oid, 0, f.comment);
    for (auto& c : t.checks)
      add(constraint_oid(t, c.name), pg_constraint_oid, 0, c.comment);
  }
  return v.build();
}

} // namespace

void add_default_depends(builder& v, const catalog& cat) {
  auto seqs = all_sequences(cat);
  for (auto& [n, t] : all_tables(cat))
    for (size_t i = 0; i < t.columns.size(); ++i) {
      auto& d = t.columns[i].default_text;
      auto at = d.find("nextval('");
      if (at == std::string::npos)
        continue;
      auto start = at + 9, end = d.find('\'', start);
      if (end == std::string::npos)
        continue;
      auto name = d.substr(start, end - start);
      if (name.rfind("public.", 0) == 0)
        name = name.substr(7);
      for (auto& s : seqs)
        if (s.name == name) // the oid pg_attrdef gives the default
          v.row({num(pg_attrdef_oid),
                 num(table_oid(t.name + "#" + std::to_string(i))), "0",
                 num(pg_class_oid), num(s.oid), "0", "'n'"});
    }
}

bool is_dump_catalog(const std::string& name) {
  // named without a schema by pg_dump; catalog_views.cpp has their rows
  static const std::unordered_set<std::string> others = {
    "pg_language", "pg_trigger", "pg_rewrite"};
  if (others.count(name))
    return true;
  for (auto& c : empty_catalogs())
    if (name == c.name)
      return true;
  return false;
}

std::optional<view_sql> dump_view(const std::string& name, const catalog& cat) {
  if (name == "pg_description")
    return description_view(cat);
  for (auto& c : empty_catalogs())
    if (name == c.name) {
      builder v;
      for (auto& [col, type] : c.cols)
        v.col(col, type);
      return v.build();
    }
  return std::nullopt;
}

} // namespace themis::sql::catv
