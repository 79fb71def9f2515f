/// ArangoDB's /_api/document (issue 22): single and array inserts with
/// overwriteMode, reads with If-None-Match / If-Match, replace, update,
/// remove with _rev preconditions and returnNew/returnOld/silent. Reads
/// use the reader pool and writes the store writer, as /v1/collections
/// does (handlers/document_handlers.cpp); arango_doc_ops plans each write.

#include <cstdint>
#include <map>

#include "engine/reader_pool.hpp"
#include "handlers/arango_doc_ops.hpp"
#include "handlers/arango_routes.hpp"
#include "handlers/arango_util.hpp"
#include "handlers/http_json.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// Documents one array request may carry (ArangoDB has no such limit; the
/// body limit alone would let one request plan a million reads).
constexpr size_t max_array_documents = 10000;

/// The collection of the path in the principal's namespace; false after
/// answering 400 errorNum 1208 for an illegal name.
bool collection_of(route_context& ctx, std::string& stored) {
  stored = stored_collection(ctx.req, ctx.params.at(0));
  if (!stored.empty())
    return true;
  ctx.respond(arango_error(400, arango_errnum::illegal_name,
                           "illegal name: " + ctx.params[0]));
  return false;
}

/// The body as JSON; false after answering 400 errorNum 600.
bool body_json(route_context& ctx, json& out) {
  if (auto bad = parse_json_body(ctx.req.body, out)) {
    ctx.respond(std::move(*bad));
    return false;
  }
  if (!out.is_discarded())
    return true;
  ctx.respond(arango_error(400, arango_errnum::corrupted_json,
                           "VPackError error: body is not valid JSON"));
  return false;
}

std::string if_match_of(const api_request& req) {
  auto h = req.header("If-Match");
  return h && *h != "*" ? parse_etag(*h) : std::string();
}

/// The answer of a single write: metadata (or `{}` when silent), ETag,
/// 201 with waitForSync (ArangoDB's "synced") else 202.
api_response single_answer(const arango_outcome& o,
                           const arango_write_opts& opts) {
  if (!o.ok) {
    auto r = arango_error(o.status, o.err_num, o.body.get<std::string>());
    return r;
  }
  int status = opts.wait_for_sync ? 201 : 202;
  auto r = json_response(status, opts.silent ? "{}" : dump(o.body));
  r.set_header("ETag", make_etag(o.body.value("_rev", std::string())));
  return r;
}

/// Submits the planned writes that need the writer (non-atomic: each
/// stands alone, as ArangoDB's array operations do) and answers with
/// `finish(outcomes)` once they committed.
template <class Finish>
void submit_plans(route_context& ctx, std::vector<arango_planned> plans,
                  std::string shown, arango_write_opts opts, Finish finish) {
  engine::write_batch b;
  b.atomic = plans.size() == 1;
  std::vector<size_t> slot(plans.size(), SIZE_MAX);
  for (size_t i = 0; i < plans.size(); ++i)
    if (!plans[i].err_status && !plans[i].skip) {
      slot[i] = b.ops.size();
      b.ops.push_back(plans[i].op);
    }
  auto done = [plans = std::move(plans), slot, shown, opts,
               finish](const engine::write_result* res) {
    std::vector<arango_outcome> out;
    out.reserve(plans.size());
    for (size_t i = 0; i < plans.size(); ++i) {
      const engine::op_result* r = nullptr;
      if (res && slot[i] < res->results.size())
        r = &res->results[slot[i]];
      // a success that was not committed is a write that did not happen
      if (r && !res->committed && http_status(r->status) < 400)
        r = nullptr;
      out.push_back(arango_outcome_of(plans[i], r, shown, opts));
    }
    finish(std::move(out));
  };
  if (b.ops.empty())
    return done(nullptr);
  ctx.writer.submit(
    std::move(b), [done, respond = ctx.respond](engine::write_result res) {
      if (res.results.empty() || (!res.committed && res.overloaded))
        return respond(unavailable_response(res));
      done(&res);
    });
}

/// The answer of an array operation: one entry per document, errors
/// inline, X-Arango-Error-Codes counting them.
api_response array_answer(const std::vector<arango_outcome>& out,
                          const arango_write_opts& opts) {
  json arr = json::array();
  std::map<int, int> codes;
  for (auto& o : out) {
    if (o.ok) {
      arr.push_back(opts.silent ? json::object() : o.body);
      continue;
    }
    ++codes[o.err_num];
    arr.push_back(
      {{"error", true}, {"errorNum", o.err_num}, {"errorMessage", o.body}});
  }
  auto r = json_response(opts.wait_for_sync ? 201 : 202,
                         opts.silent && codes.empty() ? "[]" : dump(arr));
  std::string header;
  for (auto [num, n] : codes)
    header += (header.empty() ? "" : ",") + std::to_string(num) + ":" +
              std::to_string(n);
  if (!header.empty())
    r.set_header("X-Arango-Error-Codes", header);
  return r;
}

void document_insert(route_context& ctx) {
  std::string stored;
  json body;
  if (!collection_of(ctx, stored) || !body_json(ctx, body))
    return;
  auto opts = arango_read_write_opts(ctx.req);
  auto shown = ctx.params[0];
  if (!body.is_array()) {
    std::vector<arango_planned> plans;
    plans.push_back(
      arango_plan_insert(ctx.env.reader, stored, std::move(body), opts));
    return submit_plans(ctx, std::move(plans), shown, opts,
                        [respond = ctx.respond, opts](auto out) {
                          respond(single_answer(out.front(), opts));
                        });
  }
  if (body.size() > max_array_documents)
    return ctx.respond(arango_error(400, arango_errnum::resource_limit,
                                    "at most " +
                                      std::to_string(max_array_documents) +
                                      " documents a request"));
  if (!ctx.env.reader.collection_exists(stored))
    return ctx.respond(arango_error(404, arango_errnum::collection_not_found,
                                    "collection or view not found"));
  std::vector<arango_planned> plans;
  plans.reserve(body.size());
  for (auto& d : body)
    plans.push_back(arango_plan_insert(ctx.env.reader, stored, d, opts));
  submit_plans(ctx, std::move(plans), shown, opts,
               [respond = ctx.respond, opts](auto out) {
                 respond(array_answer(out, opts));
               });
}

void document_get(route_context& ctx) {
  std::string stored;
  if (!collection_of(ctx, stored))
    return;
  auto& key = ctx.params.at(1);
  auto doc =
    engine::valid_key(key) ? ctx.env.reader.get(stored, key) : std::nullopt;
  if (!doc) {
    if (!ctx.env.reader.collection_exists(stored))
      return ctx.respond(arango_error(404, arango_errnum::collection_not_found,
                                      "collection or view not found"));
    return ctx.respond(arango_error(404, arango_errnum::document_not_found,
                                    "document not found"));
  }
  auto etag = make_etag(doc->rev);
  if (auto inm = ctx.req.header("If-None-Match");
      inm && (*inm == "*" || parse_etag(*inm) == doc->rev)) {
    api_response r;
    r.status = 304;
    r.set_header("ETag", etag);
    return ctx.respond(std::move(r));
  }
  if (auto im = if_match_of(ctx.req); !im.empty() && im != doc->rev) {
    auto r = arango_error(412, arango_errnum::conflict,
                          "conflict, _rev values do not match");
    r.set_header("ETag", etag);
    return ctx.respond(std::move(r));
  }
  auto r =
    json_response(200, ctx.req.method == "HEAD"
                         ? std::string()
                         : dump(arango_document(doc->json, ctx.params[0])));
  r.set_header("ETag", etag);
  ctx.respond(std::move(r));
}

void document_write(route_context& ctx) {
  std::string stored;
  if (!collection_of(ctx, stored))
    return;
  json body;
  if (ctx.req.method != "DELETE" && !body_json(ctx, body))
    return;
  auto opts = arango_read_write_opts(ctx.req);
  std::vector<arango_planned> plans;
  plans.push_back(arango_plan_write(ctx.env.reader, stored, ctx.req.method,
                                    ctx.params.at(1), std::move(body),
                                    if_match_of(ctx.req), opts));
  bool remove = ctx.req.method == "DELETE";
  submit_plans(ctx, std::move(plans), ctx.params[0], opts,
               [respond = ctx.respond, opts, remove](auto out) {
                 auto r = single_answer(out.front(), opts);
                 if (remove && r.status == 202 && opts.wait_for_sync)
                   r.status = 200; // ArangoDB: a synced remove is 200
                 respond(std::move(r));
               });
}

/// PUT /_api/document/{c}?onlyget=true: the documents of an array of keys
/// (or objects with _key), a miss inline as errorNum 1202.
void document_lookup(route_context& ctx) {
  std::string stored;
  json body;
  if (!collection_of(ctx, stored) || !body_json(ctx, body))
    return;
  if (!arango_flag(ctx.req, "onlyget", false))
    return ctx.respond(arango_error(
      501, arango_errnum::not_implemented,
      "replacing many documents at once is not supported here; use AQL"));
  if (!body.is_array() || body.size() > max_array_documents)
    return ctx.respond(arango_error(400, arango_errnum::bad_parameter,
                                    "expecting an array of at most " +
                                      std::to_string(max_array_documents) +
                                      " keys"));
  if (!ctx.env.reader.collection_exists(stored))
    return ctx.respond(arango_error(404, arango_errnum::collection_not_found,
                                    "collection or view not found"));
  json out = json::array();
  for (auto& sel : body) {
    std::string key;
    if (sel.is_string())
      key = sel.get<std::string>();
    else if (sel.is_object() && sel.contains("_key") && sel["_key"].is_string())
      key = sel["_key"].get<std::string>();
    auto doc =
      engine::valid_key(key) ? ctx.env.reader.get(stored, key) : std::nullopt;
    if (doc)
      out.push_back(arango_document(doc->json, ctx.params[0]));
    else
      out.push_back({{"error", true},
                     {"errorNum", arango_errnum::document_not_found},
                     {"errorMessage", "document not found"},
                     {"_key", key}});
  }
  ctx.respond(json_response(200, dump(out)));
}

} // namespace

void arango_document_insert(route_context& ctx) {
  arango_enter(ctx, document_insert);
}

void arango_document_lookup(route_context& ctx) {
  arango_enter(ctx, document_lookup);
}

void arango_document_get(route_context& ctx) {
  arango_enter(ctx, document_get);
}

void arango_document_write(route_context& ctx) {
  arango_enter(ctx, document_write);
}

} // namespace themis
