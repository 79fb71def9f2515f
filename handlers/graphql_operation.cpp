/// From request parameters to an executed operation, the same for every
/// transport: persisted queries, limits, parse, validate, operation
/// selection, transport rules, scopes, then an operation_run.

#include <deque>
#include <map>
#include <mutex>
#include <openssl/evp.h>

#include "handlers/graphql_doc_cache.hpp"
#include "handlers/graphql_http.hpp"
#include "engine/graphql/parser.hpp"
#include "engine/graphql/validator.hpp"

namespace themis::gql {

namespace {

using json = nlohmann::json;

std::string sha256_hex(const std::string& s) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), d, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[d[i] >> 4]);
    out.push_back(hex[d[i] & 15]);
  }
  return out;
}

/// Automatic persisted queries: documents by tenant and sha256, bounded
/// (the oldest is forgotten first).
class persisted_store {
public:
  std::optional<std::string> find(const std::string& key) {
    std::lock_guard g(mtx_);
    auto it = docs_.find(key);
    if (it == docs_.end())
      return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const std::string& doc, size_t max) {
    std::lock_guard g(mtx_);
    if (docs_.count(key))
      return;
    while (docs_.size() >= max && !order_.empty()) {
      docs_.erase(order_.front());
      order_.pop_front();
    }
    docs_.emplace(key, doc);
    order_.push_back(key);
  }

private:
  std::mutex mtx_;
  std::map<std::string, std::string> docs_;
  std::deque<std::string> order_;
};

persisted_store& persisted() {
  static persisted_store s;
  return s;
}

outcome refuse(const std::string& msg, const std::string& code,
               int status = 200) {
  outcome o;
  o.body = request_error(msg, code);
  o.request_error = true;
  o.status = status;
  return o;
}

/// APQ: fills p.query from the store, or stores it under its hash.
std::optional<outcome> persisted_query(request_params& p, const principal& who,
                                       const graphql_section& cfg) {
  auto pq = p.extensions.find("persistedQuery");
  if (pq == p.extensions.end() || pq->is_null())
    return std::nullopt;
  if (!cfg.persisted_queries)
    return refuse("PersistedQueryNotSupported",
                  "PERSISTED_QUERY_NOT_SUPPORTED");
  if (!pq->is_object() || pq->value("version", 0) != 1 ||
      !pq->contains("sha256Hash") || !(*pq)["sha256Hash"].is_string())
    return refuse("persistedQuery: expected {version: 1, sha256Hash}",
                  "BAD_REQUEST", 400);
  auto hash = (*pq)["sha256Hash"].get<std::string>();
  auto key = who.tenant + "\n" + hash;
  if (p.query.empty()) {
    auto doc = persisted().find(key);
    if (!doc)
      return refuse("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND");
    p.query = *doc;
    return std::nullopt;
  }
  if (sha256_hex(p.query) != hash)
    return refuse("provided sha does not match query", "BAD_REQUEST", 400);
  persisted().put(key, p.query, cfg.max_persisted);
  return std::nullopt;
}

/// The scope an operation's root fields need at least (the resolvers
/// check each field's own): refused with 403 when the principal holds none.
std::optional<outcome> check_scopes(const graphql::operation_definition& op,
                                    const principal& who) {
  std::vector<const char*> any;
  switch (op.op) {
    case graphql::operation_type::query:
      any = {"data:read", "query", "jobs"};
      break;
    case graphql::operation_type::mutation:
      any = {"data:write", "jobs"};
      break;
    case graphql::operation_type::subscription:
      any = {"cdc:read", "jobs"};
      break;
  }
  for (auto s : any)
    if (who.has_scope(s))
      return std::nullopt;
  return refuse(std::string("the token lacks the scope ") + any[0] + " for a " +
                  graphql::to_string(op.op),
                "FORBIDDEN", 403);
}

} // namespace

json request_error(const std::string& message, const std::string& code) {
  return {{"errors", json::array({{{"message", message},
                                   {"extensions", {{"code", code}}}}})}};
}

void strip_tenant(json& body, const std::string& tenant) {
  if (tenant.empty() || !body.contains("errors"))
    return;
  for (auto& e : body["errors"])
    if (e.contains("message") && e["message"].is_string()) {
      auto m = e["message"].get<std::string>();
      strip_tenant_prefix(m, tenant);
      e["message"] = m;
    }
}

std::string read_params(const json& j, request_params& out) {
  if (!j.is_object())
    return "expected a JSON object {query, variables, operationName, "
           "extensions}";
  if (auto q = j.find("query"); q != j.end() && !q->is_null()) {
    if (!q->is_string())
      return "query must be a string";
    out.query = q->get<std::string>();
  }
  if (auto o = j.find("operationName"); o != j.end() && !o->is_null()) {
    if (!o->is_string())
      return "operationName must be a string";
    out.operation_name = o->get<std::string>();
  }
  if (auto v = j.find("variables"); v != j.end() && !v->is_null()) {
    if (!v->is_object())
      return "variables must be an object";
    out.variables = *v;
  }
  if (auto e = j.find("extensions"); e != j.end() && !e->is_null()) {
    if (!e->is_object())
      return "extensions must be an object";
    out.extensions = *e;
  }
  if (out.query.empty() && !out.extensions.contains("persistedQuery"))
    return "query is required";
  return {};
}

prepared prepare(request_params& p, const principal& who, handler_env& env,
                 transport_rules rules) {
  prepared out;
  auto& cfg = env.config.graphql;
  if (auto r = persisted_query(p, who, cfg)) {
    out.refused = std::move(*r);
    return out;
  }
  if (p.query.size() > cfg.max_query_bytes) {
    out.refused = refuse("the query is " + std::to_string(p.query.size()) +
                           " bytes; graphql.max_query_bytes is " +
                           std::to_string(cfg.max_query_bytes),
                         graphql::codes::limit);
    return out;
  }
  out.bundle = schema_for(env, who.tenant);
  graphql::validate_limits vl;
  vl.max_depth = cfg.max_depth;
  vl.max_aliases = cfg.max_aliases;
  vl.max_complexity = cfg.max_complexity;
  vl.introspection = cfg.introspection;
  // a repeated query text skips parse and validation (doc_cache.hpp)
  auto key = doc_cache::key(
    who.tenant, out.bundle->epoch,
    std::to_string(vl.max_depth) + "/" + std::to_string(vl.max_aliases) + "/" +
      std::to_string(vl.max_complexity) + "/" + (vl.introspection ? "i" : "-") +
      std::to_string(cfg.max_query_bytes),
    p.query);
  std::shared_ptr<const graphql::document> doc = doc_cache::shared().find(key);
  if (!doc) {
    graphql::parse_limits pl;
    pl.max_bytes = cfg.max_query_bytes;
    pl.max_depth = std::max<size_t>(cfg.max_depth + 8, 32);
    pl.max_tokens = std::max<size_t>(cfg.max_query_bytes / 2, 1000);
    auto parsed = graphql::parse(p.query, pl);
    if (!parsed.ok()) {
      outcome o;
      o.request_error = true;
      o.body = {{"errors", graphql::errors_to_json({*parsed.err})}};
      out.refused = std::move(o);
      return out;
    }
    auto fresh = std::make_shared<graphql::document>(std::move(*parsed.doc));
    auto errs = graphql::validate(out.bundle->schema, *fresh, vl, &p.variables);
    if (!errs.empty()) {
      outcome o;
      o.request_error = true;
      o.body = {{"errors", graphql::errors_to_json(errs)}};
      out.refused = std::move(o);
      return out;
    }
    if (!validation_reads_variables(*fresh))
      doc_cache::shared().put(key, p.query.size(), fresh);
    doc = std::move(fresh);
  }
  graphql::error err;
  auto* op = graphql::select_operation(*doc, p.operation_name, err);
  if (!op) {
    outcome o;
    o.request_error = true;
    o.body = {{"errors", graphql::errors_to_json({err})}};
    out.refused = std::move(o);
    return out;
  }
  if (rules.get && op->op != graphql::operation_type::query) {
    auto o = refuse(std::string("a ") + graphql::to_string(op->op) +
                      " needs POST (GET runs queries only)",
                    "METHOD_NOT_ALLOWED", 405);
    o.allow = "POST";
    out.refused = std::move(o);
    return out;
  }
  if (!rules.subscriptions && op->op == graphql::operation_type::subscription) {
    out.refused = refuse("subscriptions run over WebSocket "
                         "(graphql-transport-ws) at /graphql",
                         "BAD_REQUEST");
    return out;
  }
  if (auto r = check_scopes(*op, who)) {
    out.refused = std::move(*r);
    return out;
  }
  out.doc = std::move(doc);
  out.op = op;
  return out;
}

void run_operation(request_params p, const principal& who, run_ports ports,
                   transport_rules rules, std::function<void(outcome)> done) {
  prepared prep;
  try {
    prep = prepare(p, who, *ports.env, rules);
  } catch (const std::exception& e) {
    return done(refuse(std::string("internal error: ") + e.what(),
                       graphql::codes::internal, 500));
  }
  if (prep.refused) {
    strip_tenant(prep.refused->body, who.tenant);
    return done(std::move(*prep.refused));
  }
  graphql::execute_options opts;
  opts.operation_name = p.operation_name;
  opts.variables = std::move(p.variables);
  opts.introspection = ports.env->config.graphql.introspection;
  auto deadline =
    std::chrono::steady_clock::now() +
    std::chrono::milliseconds(ports.env->config.graphql.timeout_ms);
  auto run = std::make_shared<operation_run>(
    prep.bundle, prep.doc, std::move(opts), who, ports, deadline);
  // extensions.stats: the answer's extensions.engineReads (docs/graphql.md)
  auto st = p.extensions.find("stats");
  bool stats = st != p.extensions.end() && st->is_boolean() && st->get<bool>();
  if (rules.text && !stats)
    run->answer_as_text();
  // the callback is only called by the run itself: a plain pointer to it
  run->start([done = std::move(done), tenant = who.tenant, stats,
              at = run.get()](json body, bool request_error, std::string text) {
    outcome o;
    if (text.empty()) {
      strip_tenant(body, tenant); // error messages only
      if (stats && !request_error)
        body["extensions"]["engineReads"] = at->engine_reads();
      o.body = std::move(body);
    } else {
      o.text = std::move(text);
    }
    o.request_error = request_error;
    done(std::move(o));
  });
}

} // namespace themis::gql
