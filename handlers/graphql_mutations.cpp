/// Write resolvers (through the store writer, with revision preconditions)
/// and the job fields (through the job manager, as /v1/jobs).

#include "engine/names.hpp"
#include "handlers/graphql_resolvers.hpp"
#include "handlers/graphql_run.hpp"
#include "handlers/http_json.hpp"
#include "limits/tenant_quotas.hpp"

namespace themis::gql {

namespace {

using engine::op_kind;
using engine::op_status;
using graphql::field_result;
using json = nlohmann::json;

/// The field error for a failed write: extensions.code names the cause
/// (PRECONDITION_FAILED for a stale ifRev, NOT_FOUND, CONFLICT …).
field_result write_error(const engine::write_result& res) {
  if (res.overloaded)
    return field_result::fail("the server is busy; retry later", "UNAVAILABLE");
  if (res.results.empty())
    return field_result::fail("write failed: " + res.error, "INTERNAL");
  auto& r = res.results[0];
  const char* code = "INTERNAL";
  switch (r.status) {
    case op_status::precondition_failed:
      code = "PRECONDITION_FAILED";
      break;
    case op_status::not_found:
    case op_status::collection_not_found:
      code = "NOT_FOUND";
      break;
    case op_status::conflict:
      code = "CONFLICT";
      break;
    case op_status::invalid:
      code = "BAD_USER_INPUT";
      break;
    default:
      break;
  }
  return field_result::fail(std::string(engine::to_string(r.status)) +
                              (r.message.empty() ? "" : ": " + r.message),
                            code);
}

bool write_ok(const engine::write_result& res) {
  return res.committed && !res.results.empty() &&
         (res.results[0].status == op_status::ok ||
          res.results[0].status == op_status::created);
}

/// One document write with the answer as the collection's object value.
field_result submit(graphql::resolve_context& ctx, const collection_type& t,
                    engine::write_op op) {
  auto& run = run_of(ctx.user);
  bool is_delete = op.kind == op_kind::remove;
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  auto h = ctx.defer();
  run.write(h, std::move(b), [t, is_delete](const engine::write_result& res) {
    if (!write_ok(res))
      return write_error(res);
    auto& r = res.results[0];
    if (is_delete)
      return field_result::of(
        {{"_key", r.key}, {"_rev", r.rev}, {"deleted", true}});
    return field_result::of(node_of(t, r.doc));
  });
  return field_result::pending(h);
}

/// `doc`/`patch` must be objects; the key must be a valid document key.
bool check_input(const json& args, const char* name, std::string& text,
                 field_result& bad) {
  auto it = args.find(name);
  if (it == args.end() || !it->is_object()) {
    bad = field_result::fail(std::string(name) + " must be a JSON object",
                             "BAD_USER_INPUT");
    return false;
  }
  text = dump(*it);
  return true;
}

/// The documents quota (auth.tenant_quotas), as REST writes check it.
bool within_quota(operation_run& run, field_result& over) {
  auto* q = run.env().quotas;
  auto& tenant = run.who().tenant;
  if (!q || tenant.empty())
    return true;
  auto limit = q->of(tenant).documents;
  if (!limit ||
      run.env().reader.tenant_documents(tenant) < static_cast<int64_t>(limit))
    return true;
  over = field_result::fail("tenant " + tenant + " is over its quota of " +
                              std::to_string(limit) + " documents",
                            "QUOTA_EXCEEDED");
  return false;
}

/// The job API's answer as a field result: the record (or null on 404).
field_result job_answer(const api_response& r) {
  if (r.status == 404)
    return field_result::of(nullptr);
  auto j = json::parse(r.body, nullptr, false);
  if (r.status >= 400 || !j.is_object())
    return field_result::fail(j.is_object() ? j.value("message", r.body)
                                            : r.body,
                              r.status == 429   ? "QUOTA_EXCEEDED"
                              : r.status == 503 ? "UNAVAILABLE"
                              : r.status < 500  ? "BAD_USER_INPUT"
                                                : "INTERNAL");
  return field_result::of(job_value(j));
}

api_request job_request(std::string method, std::string path,
                        std::string query = {}, std::string body = {}) {
  api_request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  if (!r.body.empty())
    r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

bool job_id_ok(const std::string& id) {
  return !id.empty() && id.size() <= 128 &&
         id.find_first_of("/?#%& ") == std::string::npos;
}

} // namespace

json job_value(const json& rec) {
  auto str = [&](const char* k) {
    auto it = rec.find(k);
    return it == rec.end() ? json() : *it;
  };
  json progress = rec.value("progress", json::object());
  return {{"id", rec.value("job_id", "")},
          {"status", rec.value("status", "")},
          {"query", str("query")},
          {"createdAt", str("created_at")},
          {"startedAt", str("started_at")},
          {"finishedAt", str("finished_at")},
          {"resultCount", str("result_count")},
          {"rowsScanned", progress.value("rows_scanned", json())},
          {"rowsProduced", progress.value("rows_produced", json())},
          {"error", str("error")}};
}

graphql::resolver_fn resolve_insert(const collection_type& t) {
  return [t](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result bad;
    engine::write_op op;
    if (!run.allowed("data:write", bad) ||
        !check_input(ctx.args, "doc", op.doc, bad) || !within_quota(run, bad))
      return bad;
    op.kind = op_kind::insert;
    op.collection = t.stored;
    return submit(ctx, t, std::move(op));
  };
}

graphql::resolver_fn resolve_update(const collection_type& t, bool replace) {
  return [t, replace](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result bad;
    engine::write_op op;
    if (!run.allowed("data:write", bad) ||
        !check_input(ctx.args, replace ? "doc" : "patch", op.doc, bad))
      return bad;
    op.kind = replace ? op_kind::replace : op_kind::patch;
    op.collection = t.stored;
    op.key = ctx.args.value("key", std::string());
    if (!engine::valid_key(op.key))
      return field_result::fail("invalid document key", "BAD_USER_INPUT");
    if (auto r = ctx.args.find("ifRev"); r != ctx.args.end() && r->is_string())
      op.if_match = r->get<std::string>();
    return submit(ctx, t, std::move(op));
  };
}

graphql::resolver_fn resolve_delete(const collection_type& t) {
  return [t](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result bad;
    if (!run.allowed("data:write", bad))
      return bad;
    engine::write_op op;
    op.kind = op_kind::remove;
    op.collection = t.stored;
    op.key = ctx.args.value("key", std::string());
    if (!engine::valid_key(op.key))
      return field_result::fail("invalid document key", "BAD_USER_INPUT");
    if (auto r = ctx.args.find("ifRev"); r != ctx.args.end() && r->is_string())
      op.if_match = r->get<std::string>();
    return submit(ctx, t, std::move(op));
  };
}

graphql::resolver_fn resolve_job() {
  return [](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result bad;
    if (!run.allowed("jobs", bad))
      return bad;
    auto id = ctx.args.value("id", std::string());
    if (!job_id_ok(id))
      return field_result::of(nullptr);
    auto h = ctx.defer();
    run.ask_jobs(h, job_request("GET", "/v1/jobs/" + id), job_answer);
    return field_result::pending(h);
  };
}

graphql::resolver_fn resolve_jobs() {
  return [](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result bad;
    if (!run.allowed("jobs", bad))
      return bad;
    auto first = ctx.args.value("first", json(100));
    if (!first.is_number_integer() || first.get<int64_t>() < 1 ||
        first.get<int64_t>() > 1000)
      return field_result::fail("first must be in [1, 1000]", "BAD_USER_INPUT");
    std::string q = "limit=" + std::to_string(first.get<int64_t>());
    if (auto s = ctx.args.find("status"); s != ctx.args.end() && s->is_string())
      q += "&status=" + s->get<std::string>().substr(0, 16);
    auto h = ctx.defer();
    run.ask_jobs(h, job_request("GET", "/v1/jobs", q),
                 [](const api_response& r) {
                   auto j = json::parse(r.body, nullptr, false);
                   if (r.status != 200 || !j.is_object())
                     return job_answer(r);
                   json out = json::array();
                   for (auto& rec : j.value("jobs", json::array()))
                     out.push_back(job_value(rec));
                   return field_result::of(std::move(out));
                 });
    return field_result::pending(h);
  };
}

graphql::resolver_fn resolve_submit_job() {
  return [](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result bad;
    if (!run.allowed("jobs", bad))
      return bad;
    json body = {{"query", ctx.args.value("query", std::string())}};
    if (auto b = ctx.args.find("bindVars");
        b != ctx.args.end() && !b->is_null())
      body["bindVars"] = *b;
    if (auto k = ctx.args.find("idempotencyKey");
        k != ctx.args.end() && k->is_string())
      body["idempotency_key"] = *k;
    auto h = ctx.defer();
    run.ask_jobs(h, job_request("POST", "/v1/jobs", {}, dump(body)),
                 job_answer);
    return field_result::pending(h);
  };
}

graphql::resolver_fn resolve_cancel_job() {
  return [](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result bad;
    if (!run.allowed("jobs", bad))
      return bad;
    auto id = ctx.args.value("id", std::string());
    if (!job_id_ok(id))
      return field_result::of(nullptr);
    auto h = ctx.defer();
    run.ask_jobs(h, job_request("DELETE", "/v1/jobs/" + id), job_answer);
    return field_result::pending(h);
  };
}

graphql::resolver_fn resolve_job_result() {
  return [](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    auto id = ctx.parent.value("id", std::string());
    auto offset = ctx.args.value("offset", json(0));
    auto limit = ctx.args.value("limit", json(100));
    if (!offset.is_number_integer() || offset.get<int64_t>() < 0 ||
        !limit.is_number_integer() || limit.get<int64_t>() < 1 ||
        limit.get<int64_t>() > 10000)
      return field_result::fail("offset >= 0, limit in [1, 10000]",
                                "BAD_USER_INPUT");
    if (!job_id_ok(id))
      return field_result::of(nullptr);
    auto h = ctx.defer();
    run.ask_jobs(
      h,
      job_request("GET", "/v1/jobs/" + id + "/result",
                  "page_token=" + std::to_string(offset.get<int64_t>()) +
                    "&page_size=" + std::to_string(limit.get<int64_t>())),
      [](const api_response& r) {
        auto j = json::parse(r.body, nullptr, false);
        if (r.status == 409 || r.status == 404)
          return field_result::of(nullptr);
        if (r.status != 200 || !j.is_object())
          return job_answer(r);
        return field_result::of(j.value("result", json::array()));
      });
    return field_result::pending(h);
  };
}

} // namespace themis::gql
