#include "handlers/graphql_schema.hpp"

#include <map>
#include <mutex>

#include "engine/store_schema.hpp"
#include "handlers/graphql_resolvers.hpp"
#include "handlers/handler_env.hpp"

namespace themis::gql {

namespace {

using graphql::field_def;
using graphql::input_value_def;
using graphql::type_def;
using graphql::type_kind;
using graphql::type_ref;
using json = nlohmann::json;

type_ref named(const std::string& n) {
  return type_ref::named_type(n);
}
type_ref nn(const std::string& n) {
  return type_ref::non_null_of(named(n));
}
type_ref nn_list(const std::string& n) {
  return type_ref::non_null_of(type_ref::list_of(nn(n)));
}

input_value_def arg(std::string name, type_ref t, std::string desc = {},
                    std::optional<json> def = std::nullopt) {
  input_value_def a;
  a.name = std::move(name);
  a.type = std::move(t);
  a.description = std::move(desc);
  a.default_value = std::move(def);
  return a;
}

field_def fld(std::string name, type_ref t, std::string desc = {}) {
  field_def f;
  f.name = std::move(name);
  f.type = std::move(t);
  f.description = std::move(desc);
  return f;
}

type_def object(std::string name, std::string desc) {
  type_def t;
  t.kind = type_kind::object;
  t.name = std::move(name);
  t.description = std::move(desc);
  return t;
}

/// The fixed types every namespace's schema has.
void add_fixed_types(graphql::schema& s) {
  type_def js;
  js.kind = type_kind::scalar;
  js.name = "JSON";
  js.description = "Any JSON value (RFC 8259), passed through unchanged.";
  js.specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259";
  s.add_type(std::move(js));

  type_def dir;
  dir.kind = type_kind::enum_;
  dir.name = "SortDirection";
  dir.enum_values = {{"ASC", "ascending", {}}, {"DESC", "descending", {}}};
  s.add_type(std::move(dir));

  type_def sort;
  sort.kind = type_kind::input_object;
  sort.name = "SortInput";
  sort.description = "One sort key: a (dotted) document field path.";
  sort.input_fields = {arg("field", nn("String")),
                       arg("direction", named("SortDirection"), {}, "ASC")};
  s.add_type(std::move(sort));

  auto page = object("PageInfo", "Relay cursor connection page information.");
  page.fields = {
    fld("hasNextPage", nn("Boolean")), fld("hasPreviousPage", nn("Boolean")),
    fld("startCursor", named("String")), fld("endCursor", named("String"))};
  s.add_type(std::move(page));

  auto info = object("CollectionInfo", "A collection this principal sees.");
  info.fields = {
    fld("name", nn("String")), fld("typeName", nn("String")),
    fld("typed", nn("Boolean"), "true for an SQL table (declared fields)"),
    fld("count", nn("Int"), "documents stored")};
  s.add_type(std::move(info));

  auto job = object("Job", "An async AQL job (docs/jobs.md).");
  auto result = fld("result", named("JSON"), "A page of the result rows.");
  result.args = {arg("offset", named("Int"), {}, 0),
                 arg("limit", named("Int"), {}, 100)};
  result.resolve = resolve_job_result();
  job.fields = {fld("id", nn("ID")),
                fld("status", nn("String"),
                    "pending, running, completed, failed or cancelled"),
                fld("query", named("String")),
                fld("createdAt", named("String")),
                fld("startedAt", named("String")),
                fld("finishedAt", named("String")),
                fld("resultCount", named("Float")),
                fld("rowsScanned", named("Float")),
                fld("rowsProduced", named("Float")),
                fld("error", named("String")),
                std::move(result)};
  s.add_type(std::move(job));

  auto ev = object("ChangeEvent", "One committed change (the changefeed).");
  ev.fields = {
    fld("sequence", nn("String"), "the change log sequence (resume after it)"),
    fld("type", nn("String"), "PUT or DELETE"),
    fld("collection", nn("String")),
    fld("key", nn("String")),
    fld("document", named("JSON"), "the new document (PUT)"),
    fld("timestampMs", named("Float"))};
  s.add_type(std::move(ev));

  auto del = object("DeleteResult", "What a delete removed.");
  del.fields = {fld("_key", nn("ID")), fld("_rev", named("String")),
                fld("deleted", nn("Boolean"))};
  s.add_type(std::move(del));
}

/// T, TEdge, TConnection for one collection.
void add_collection_types(graphql::schema& s, const collection_type& c) {
  auto t = object(c.type_name, "Documents of the collection \"" + c.collection +
                                 "\"" + (c.typed ? " (SQL table)" : ""));
  t.fields = {fld("_id", nn("ID"), "collection/key"), fld("_key", nn("ID")),
              fld("_rev", nn("String"))};
  if (c.typed) {
    for (auto& f : c.fields)
      t.fields.push_back(fld(f.name, f.non_null ? nn(f.type) : named(f.type),
                             "column " + f.column));
  } else {
    t.fields.push_back(
      fld("doc", named("JSON"), "the whole document (with _key and _rev)"));
  }
  s.add_type(std::move(t));
  auto edge = object(c.type_name + "Edge", "");
  edge.fields = {fld("node", nn(c.type_name)), fld("cursor", nn("String"))};
  s.add_type(std::move(edge));
  auto conn = object(c.type_name + "Connection", "");
  conn.fields = {fld("edges", nn_list(c.type_name + "Edge")),
                 fld("nodes", nn_list(c.type_name)),
                 fld("pageInfo", nn("PageInfo")),
                 fld("totalCount", nn("Int"),
                     "documents matching the filter (costs a count)")};
  s.add_type(std::move(conn));
}

} // namespace

const collection_type* schema_bundle::by_type(const std::string& n) const {
  for (auto& t : cat.types)
    if (t.type_name == n)
      return &t;
  return nullptr;
}

const collection_type*
schema_bundle::by_collection(const std::string& n) const {
  for (auto& t : cat.types)
    if (t.collection == n)
      return &t;
  return nullptr;
}

std::shared_ptr<schema_bundle> build_schema(catalog cat, std::string tenant,
                                            std::string db_path) {
  auto b = std::make_shared<schema_bundle>();
  b->cat = std::move(cat);
  b->tenant = std::move(tenant);
  b->db_path = std::move(db_path);
  auto& s = b->schema;
  s.set_description("themisd: the collections of this namespace");
  add_fixed_types(s);
  auto query = object("Query", "");
  auto mutation = object("Mutation", "");
  auto subscription = object("Subscription", "");
  for (auto& c : b->cat.types) {
    add_collection_types(s, c);
    auto one = fld(c.field, named(c.type_name), "One document by key.");
    one.args = {arg("key", nn("ID"))};
    one.resolve_batch = resolve_document(c);
    query.fields.push_back(std::move(one));
    auto list = fld(c.field + "List", nn(c.type_name + "Connection"),
                    "Documents as a Relay connection (filter: see "
                    "docs/graphql.md).");
    list.args = {arg("filter", named("JSON")),
                 arg("sort", type_ref::list_of(nn("SortInput"))),
                 arg("first", named("Int")),
                 arg("after", named("String")),
                 arg("last", named("Int")),
                 arg("before", named("String"))};
    list.resolve = resolve_list(c);
    list.cost = 2;
    query.fields.push_back(std::move(list));

    auto ins = fld("insert" + c.type_name, named(c.type_name));
    ins.args = {arg("doc", nn("JSON"))};
    ins.resolve = resolve_insert(c);
    auto upd = fld("update" + c.type_name, named(c.type_name),
                   "JSON merge patch; ifRev: only if the revision matches.");
    upd.args = {arg("key", nn("ID")), arg("patch", nn("JSON")),
                arg("ifRev", named("String"))};
    upd.resolve = resolve_update(c, false);
    auto rep = fld("replace" + c.type_name, named(c.type_name));
    rep.args = {arg("key", nn("ID")), arg("doc", nn("JSON")),
                arg("ifRev", named("String"))};
    rep.resolve = resolve_update(c, true);
    auto del = fld("delete" + c.type_name, named("DeleteResult"));
    del.args = {arg("key", nn("ID")), arg("ifRev", named("String"))};
    del.resolve = resolve_delete(c);
    for (auto* f : {&ins, &upd, &rep, &del})
      mutation.fields.push_back(std::move(*f));
  }
  auto colls = fld("collections", nn_list("CollectionInfo"));
  colls.resolve = resolve_collections();
  auto aql = fld("aql", named("JSON"),
                 "Runs an AQL query (bounded like POST /query/aql); the "
                 "result rows as a list.");
  aql.args = {arg("query", nn("String")), arg("bindVars", named("JSON"))};
  aql.resolve = resolve_aql();
  aql.cost = 10;
  auto job = fld("job", named("Job"));
  job.args = {arg("id", nn("ID"))};
  job.resolve = resolve_job();
  auto jobs =
    fld("jobs", nn_list("Job"), "This principal's jobs, oldest first.");
  jobs.args = {arg("status", named("String")),
               arg("first", named("Int"), {}, 100)};
  jobs.resolve = resolve_jobs();
  for (auto* f : {&colls, &aql, &job, &jobs})
    query.fields.push_back(std::move(*f));

  auto submit = fld("submitJob", named("Job"));
  submit.args = {arg("query", nn("String")), arg("bindVars", named("JSON")),
                 arg("idempotencyKey", named("String"))};
  submit.resolve = resolve_submit_job();
  auto cancel = fld("cancelJob", named("Job"));
  cancel.args = {arg("id", nn("ID"))};
  cancel.resolve = resolve_cancel_job();
  mutation.fields.push_back(std::move(submit));
  mutation.fields.push_back(std::move(cancel));

  // source streams are the WebSocket's (graphql_ws.cpp); the root value
  // of each event is the event itself
  auto changes = fld("changes", nn("ChangeEvent"),
                     "Committed changes of a collection, resumable after "
                     "fromSequence (exclusive).");
  changes.args = {arg("collection", nn("String")), arg("filter", named("JSON")),
                  arg("fromSequence", named("String"))};
  auto progress = fld("jobProgress", nn("Job"),
                      "A job's record whenever it changes, until it ends.");
  progress.args = {arg("id", nn("ID"))};
  subscription.fields = {std::move(changes), std::move(progress)};

  s.add_type(std::move(query));
  s.add_type(std::move(mutation));
  s.add_type(std::move(subscription));
  s.set_mutation_type("Mutation");
  s.set_subscription_type("Subscription");
  return b;
}

std::shared_ptr<const schema_bundle> schema_for(handler_env& env,
                                                const std::string& tenant) {
  static std::mutex mtx;
  static std::map<std::string, std::shared_ptr<const schema_bundle>> cache;
  auto epoch = engine::schema_epoch().load();
  engine::store_options so;
  so.data_dir = env.config.engine.data_dir;
  auto path = engine::database_path(so);
  {
    std::lock_guard g(mtx);
    if (auto it = cache.find(tenant); it != cache.end() &&
                                      it->second->epoch == epoch &&
                                      it->second->db_path == path)
      return it->second;
  }
  // built outside the lock: two requests may both build; either is right
  auto b = build_schema(load_catalog(path, tenant), tenant, path);
  b->epoch = epoch;
  std::lock_guard g(mtx);
  if (cache.size() >= 256 && !cache.count(tenant))
    cache.erase(cache.begin());
  cache[tenant] = b;
  return b;
}

} // namespace themis::gql
