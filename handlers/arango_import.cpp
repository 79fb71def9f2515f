/// ArangoDB's POST /_api/import (issue 22): JSON Lines (type=documents),
/// one JSON array (type=list) or either (type=auto), each document an
/// insert planned like /_api/document's (onDuplicate = error | update |
/// replace | ignore), all sent to the store writer as one batch: atomic
/// with complete=true, each document on its own otherwise.

#include <cstdint>
#include <string_view>

#include "handlers/arango_doc_ops.hpp"
#include "handlers/arango_routes.hpp"
#include "handlers/arango_util.hpp"
#include "handlers/http_json.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// Documents one import request may carry (the body limit bounds bytes;
/// this bounds the planned writes and the details list).
constexpr size_t max_import_documents = 100000;

struct parsed_line {
  json doc; ///< discarded: not valid JSON
  bool empty = false;
  size_t line = 0;
};

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

/// The documents of the body; "" or why the body is refused.
std::string parse_body(const api_request& req, const std::string& type,
                       std::vector<parsed_line>& out) {
  std::string_view body = req.body;
  auto first = body.find_first_not_of(" \t\r\n");
  bool list =
    type == "list" ||
    (type == "auto" && first != std::string_view::npos && body[first] == '[');
  if (list) {
    json arr;
    if (auto bad = parse_json_body(body, arr))
      return "the body is nested too deeply";
    if (arr.is_discarded() || !arr.is_array())
      return "expecting a JSON array of documents";
    if (arr.size() > max_import_documents)
      return "at most " + std::to_string(max_import_documents) +
             " documents an import";
    for (size_t i = 0; i < arr.size(); ++i)
      out.push_back({std::move(arr[i]), false, i + 1});
    return {};
  }
  size_t line = 0;
  while (!body.empty()) {
    auto nl = body.find('\n');
    auto text = body.substr(0, nl);
    body =
      nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    ++line;
    if (out.size() >= max_import_documents)
      return "at most " + std::to_string(max_import_documents) +
             " documents an import";
    if (blank(text)) {
      if (!body.empty()) // the newline that ends the last line is no line
        out.push_back({json(), true, line});
      continue;
    }
    json doc;
    if (parse_json_body(text, doc))
      doc = json(json::value_t::discarded);
    out.push_back({std::move(doc), false, line});
  }
  return {};
}

void import(route_context& ctx) {
  using namespace arango_errnum;
  auto shown = query_param(ctx.req.query, "collection").value_or("");
  auto stored = stored_collection(ctx.req, shown);
  if (stored.empty())
    return ctx.respond(
      arango_error(400, illegal_name, "expecting a collection name"));
  if (!ctx.env.reader.collection_exists(stored))
    return ctx.respond(
      arango_error(404, collection_not_found, "collection or view not found"));
  auto type = query_param(ctx.req.query, "type").value_or("");
  if (type != "documents" && type != "list" && type != "auto")
    return ctx.respond(arango_error(
      501, not_implemented,
      "type must be documents, list or auto (header-line arrays are not "
      "supported)"));
  if (arango_flag(ctx.req, "overwrite", false))
    return ctx.respond(arango_error(
      501, not_implemented,
      "overwrite=true is not supported: truncate the collection first"));
  auto dup = query_param(ctx.req.query, "onDuplicate").value_or("error");
  arango_write_opts opts;
  if (dup == "update" || dup == "replace" || dup == "ignore")
    opts.overwrite_mode = dup;
  else if (dup != "error")
    return ctx.respond(
      arango_error(400, bad_parameter, "invalid onDuplicate: " + dup));
  bool complete = arango_flag(ctx.req, "complete", false);
  bool details = arango_flag(ctx.req, "details", false);
  std::vector<parsed_line> lines;
  if (auto e = parse_body(ctx.req, type, lines); !e.empty())
    return ctx.respond(arango_error(400, corrupted_json, e));

  struct state {
    std::vector<arango_planned> plans;
    std::vector<size_t> line_of; ///< plan index → line (position)
    size_t empty = 0;
  };
  auto st = std::make_shared<state>();
  for (auto& l : lines) {
    if (l.empty) {
      ++st->empty;
      continue;
    }
    st->line_of.push_back(l.line);
    if (l.doc.is_discarded()) {
      arango_planned p;
      p.err_status = 400;
      p.err_num = corrupted_json;
      p.err_msg = "invalid JSON type (expecting object)";
      st->plans.push_back(std::move(p));
      continue;
    }
    st->plans.push_back(
      arango_plan_insert(ctx.env.reader, stored, std::move(l.doc), opts));
  }
  if (complete)
    for (size_t i = 0; i < st->plans.size(); ++i)
      if (st->plans[i].err_status)
        return ctx.respond(
          arango_error(st->plans[i].err_status, st->plans[i].err_num,
                       "at position " + std::to_string(st->line_of[i]) + ": " +
                         st->plans[i].err_msg));
  engine::write_batch b;
  b.atomic = complete;
  std::vector<size_t> slot(st->plans.size(), SIZE_MAX);
  for (size_t i = 0; i < st->plans.size(); ++i)
    if (!st->plans[i].err_status && !st->plans[i].skip) {
      slot[i] = b.ops.size();
      b.ops.push_back(st->plans[i].op);
    }
  auto finish = [st, slot, shown, opts, complete, details,
                 respond = ctx.respond](const engine::write_result* res) {
    json out = {{"created", 0},
                {"errors", 0},
                {"empty", st->empty},
                {"updated", 0},
                {"ignored", 0}};
    json msgs = json::array();
    if (complete && res && !res->committed) {
      // all or nothing: the document that failed (the others were not
      // executed or rolled back) is the answer
      for (size_t i = 0; i < st->plans.size(); ++i) {
        if (slot[i] >= res->results.size())
          continue;
        auto& r = res->results[slot[i]];
        if (r.status == engine::op_status::not_executed ||
            http_status(r.status) < 400)
          continue;
        auto o = arango_outcome_of(st->plans[i], &r, shown, opts);
        return respond(arango_error(o.status, o.err_num,
                                    "at position " +
                                      std::to_string(st->line_of[i]) + ": " +
                                      o.body.get<std::string>()));
      }
      return respond(unavailable_response(*res));
    }
    for (size_t i = 0; i < st->plans.size(); ++i) {
      auto& p = st->plans[i];
      const engine::op_result* r = nullptr;
      if (res && slot[i] < res->results.size())
        r = &res->results[slot[i]];
      if (r && !res->committed && http_status(r->status) < 400)
        r = nullptr;
      auto o = arango_outcome_of(p, r, shown, opts);
      if (!o.ok) {
        out["errors"] = out["errors"].get<int64_t>() + 1;
        if (details && msgs.size() < 1000)
          msgs.push_back("at position " + std::to_string(st->line_of[i]) +
                         ": creating document failed with error '" +
                         o.body.get<std::string>() + "'");
      } else if (p.skip) {
        out["ignored"] = out["ignored"].get<int64_t>() + 1;
      } else if (p.updated) {
        out["updated"] = out["updated"].get<int64_t>() + 1;
      } else {
        out["created"] = out["created"].get<int64_t>() + 1;
      }
    }
    if (details)
      out["details"] = msgs;
    respond(arango_ok(201, std::move(out)));
  };
  if (b.ops.empty())
    return finish(nullptr);
  ctx.writer.submit(std::move(b),
                    [finish, respond = ctx.respond](engine::write_result res) {
                      if (res.results.empty())
                        return respond(unavailable_response(res));
                      finish(&res);
                    });
}

} // namespace

void arango_import(route_context& ctx) {
  arango_enter(ctx, import);
}

} // namespace themis
