/// ThemisDB's HTTP transactions: POST /transaction/begin, /commit,
/// /rollback and GET /transaction/stats, over the staged transactions of
/// handlers/http_tx_store.hpp. Ids are strings (ThemisDB's SDKs all read
/// and send them as strings); commit and rollback also take the id as a
/// JSON number or from X-Transaction-Id.

#include <nlohmann/json.hpp>

#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/themisdb_compat.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// The transaction id of a commit/rollback: body `transaction_id` (string
/// or number), else X-Transaction-Id. Empty if neither; sets `bad` on a
/// body that is not JSON.
std::string tx_id_of(const api_request& req, std::optional<api_response>& bad) {
  if (!req.body.empty()) {
    json body;
    if ((bad = parse_json_body(req.body, body)))
      return {};
    if (body.is_discarded() || !body.is_object()) {
      bad = error_response(400, "body must be a JSON object");
      return {};
    }
    if (auto it = body.find("transaction_id"); it != body.end()) {
      if (it->is_string())
        return it->get<std::string>();
      if (it->is_number_unsigned())
        return std::to_string(it->get<uint64_t>());
      bad = error_response(400, "'transaction_id' must be a string");
      return {};
    }
  }
  auto h = req.header("X-Transaction-Id");
  return h ? *h : std::string();
}

std::string tenant_prefix(const principal& who) {
  return who.tenant.empty() ? std::string() : who.tenant + ".";
}

bool unavailable(route_context& ctx) {
  if (ctx.env.transactions)
    return false;
  ctx.respond(error_response(404, "HTTP transactions are not enabled"));
  return true;
}

/// The id a commit or rollback names; false if the answer (an error) has
/// been sent.
bool named_tx(route_context& ctx, std::string& id) {
  if (unavailable(ctx))
    return false;
  std::optional<api_response> bad;
  id = tx_id_of(ctx.req, bad);
  if (bad)
    ctx.respond(std::move(*bad));
  else if (id.empty())
    ctx.respond(error_response(400, "Missing 'transaction_id'"));
  return !bad && !id.empty();
}

} // namespace

void transaction_begin(route_context& ctx) {
  if (unavailable(ctx))
    return;
  json body = json::object();
  if (!ctx.req.body.empty()) {
    if (auto bad = parse_json_body(ctx.req.body, body))
      return ctx.respond(std::move(*bad));
    if (body.is_discarded() || !body.is_object())
      return ctx.respond(error_response(400, "body must be a JSON object"));
  }
  // Python/JavaScript send "isolation":"read_committed"|"snapshot", Go
  // "isolation_level":"READ_COMMITTED"|"SNAPSHOT"
  std::string level = "read_committed";
  for (auto name : {"isolation", "isolation_level"})
    if (auto it = body.find(name); it != body.end()) {
      if (!it->is_string())
        return ctx.respond(
          error_response(400, std::string("'") + name + "' must be a string"));
      level.clear();
      for (char c : it->get<std::string>())
        level.push_back(
          static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  http_tx::isolation iso;
  if (level == "read_committed")
    iso = http_tx::isolation::read_committed;
  else if (level == "snapshot")
    iso = http_tx::isolation::snapshot;
  else
    return ctx.respond(error_response(
      400, "Invalid isolation level. Use 'read_committed' or 'snapshot'"));
  std::chrono::milliseconds timeout{0};
  if (auto it = body.find("timeout"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() <= 0 || it->get<double>() > 86400)
      return ctx.respond(error_response(
        400, "'timeout' must be a number of seconds in (0, 86400]"));
    timeout = std::chrono::milliseconds(
      static_cast<int64_t>(it->get<double>() * 1000.0 + 0.5));
  }
  std::string error;
  auto tx = ctx.env.transactions->begin(ctx.req.who, iso, timeout, error);
  if (!tx) {
    return ctx.respond(too_many_response(error, 1));
  }
  ctx.respond(json_response(200, dump({{"transaction_id", tx->id()},
                                       {"isolation", tx->level_name()},
                                       {"status", "active"}})));
}

void transaction_commit(route_context& ctx) {
  std::string id;
  if (!named_tx(ctx, id))
    return;
  auto* store = ctx.env.transactions;
  auto tx = store->take_for_commit(id, ctx.req.who);
  if (!tx) {
    auto r = json_response(
      404, dump({{"error", true},
                 {"message", "Transaction not found or already completed"},
                 {"status", "failed"},
                 {"status_code", 404},
                 {"transaction_id", id}}));
    return ctx.respond(std::move(r));
  }
  auto batch = tx->commit_batch(tenant_prefix(ctx.req.who));
  // the marker is not an operation of the caller's
  auto n = batch.ops.empty() ? 0 : batch.ops.size() - 1;
  auto committed = [id, n] {
    return json_response(
      200, dump({{"message", "Transaction committed successfully"},
                 {"status", "committed"},
                 {"transaction_id", id},
                 {"operations", n}}));
  };
  if (batch.ops.empty()) {
    store->finish_commit(tx, true, true);
    return ctx.respond(committed());
  }
  ctx.writer.submit(std::move(batch), [respond = ctx.respond, store, tx, id,
                                       committed](engine::write_result res) {
    if (res.committed) {
      store->finish_commit(tx, true, true);
      return respond(committed());
    }
    if (res.overloaded || res.results.empty()) {
      // nothing reached the engine: the transaction stays open to retry
      store->finish_commit(tx, false, false);
      return respond(unavailable_response(res));
    }
    std::string why = res.error;
    for (auto& r : res.results)
      if (r.status != engine::op_status::ok &&
          r.status != engine::op_status::created &&
          r.status != engine::op_status::not_executed) {
        why = r.message;
        break;
      }
    store->finish_commit(tx, true, false);
    respond(json_response(
      409, dump({{"error", true},
                 {"message", "transaction aborted: a key it read or wrote "
                             "changed since (" +
                               why + "); nothing was committed"},
                 {"status", "aborted"},
                 {"status_code", 409},
                 {"transaction_id", id}})));
  });
}

void transaction_rollback(route_context& ctx) {
  std::string id;
  if (!named_tx(ctx, id))
    return;
  auto tx = ctx.env.transactions->rollback(id, ctx.req.who);
  auto answer = [id, found = tx != nullptr] {
    // as in ThemisDB, rolling back an unknown (or expired) transaction
    // succeeds: nothing of it is committed either way
    return json_response(
      200, dump({{"message", "Transaction rolled back successfully"},
                 {"status", "rolled_back"},
                 {"transaction_id", id},
                 {"found", found}}));
  };
  if (!tx || tx->staged_keys() == 0)
    return ctx.respond(answer());
  engine::write_batch b;
  engine::write_op marker;
  marker.kind = engine::op_kind::marker;
  marker.event_type = "TRANSACTION_ROLLBACK";
  marker.collection = tenant_prefix(ctx.req.who);
  marker.key = id;
  marker.doc = json{{"transaction_id", id}, {"operations", 0}}.dump();
  b.ops.push_back(std::move(marker));
  ctx.writer.submit(
    std::move(b), [respond = ctx.respond, answer](engine::write_result) {
      respond(answer()); // the marker is best effort; the rollback is done
    });
}

void transaction_stats(route_context& ctx) {
  if (unavailable(ctx))
    return;
  auto s = ctx.env.transactions->stats();
  ctx.respond(json_response(
    200, dump({{"active_count", s.active},
               {"avg_duration_ms",
                s.completed ? s.total_duration_ms / s.completed : 0},
               {"max_duration_ms", s.max_duration_ms},
               {"success_rate", s.begun ? static_cast<double>(s.committed) /
                                            static_cast<double>(s.begun)
                                        : 0.0},
               {"total_aborted", s.aborted},
               {"total_begun", s.begun},
               {"total_committed", s.committed}})));
}

} // namespace themis
