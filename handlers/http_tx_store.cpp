#include "handlers/http_tx_store.hpp"

#include <nlohmann/json.hpp>

#include "engine/json_bounded.hpp"
#include "engine/names.hpp"
#include "handlers/cursor_store.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using engine::op_kind;
using engine::op_result;
using engine::op_status;
using key_id = std::pair<std::string, std::string>;

op_result fail(op_status s, std::string message, std::string key) {
  op_result r;
  r.status = s;
  r.message = std::move(message);
  r.key = std::move(key);
  return r;
}

std::string rev_of(const std::string& doc) {
  auto j = json::parse(doc, nullptr, false);
  if (j.is_object())
    if (auto it = j.find("_rev"); it != j.end() && it->is_string())
      return it->get<std::string>();
  return {};
}

} // namespace

bool same_principal(const principal& a, const principal& b) {
  return a.user == b.user && a.tenant == b.tenant && a.via == b.via &&
         a.key_id == b.key_id;
}

http_tx::http_tx(std::string id, principal owner, isolation iso,
                 std::chrono::milliseconds timeout) :
  id_(std::move(id)),
  owner_(std::move(owner)), iso_(iso), created_ms_(unix_now_ms()),
  timeout_(timeout), last_used_(std::chrono::steady_clock::now()) {}

std::optional<std::string> http_tx::view(const std::string& collection,
                                         const std::string& key,
                                         const committed_reader& committed) {
  if (auto staged = overlay_.find(collection, key))
    return *staged;
  key_id id{collection, key};
  if (iso_ == isolation::snapshot)
    if (auto it = snapshot_.find(id); it != snapshot_.end())
      return it->second;
  auto doc = committed(collection, key);
  std::optional<std::string> out;
  if (doc)
    out = doc->json;
  seen_.emplace(id, doc ? doc->rev : std::string());
  if (iso_ == isolation::snapshot)
    snapshot_.emplace(id, out);
  return out;
}

std::optional<std::string> http_tx::read(const std::string& collection,
                                         const std::string& key,
                                         const committed_reader& committed) {
  std::lock_guard<std::mutex> g(mtx_);
  return view(collection, key, committed);
}

op_result
http_tx::stage_one(const engine::write_op& op,
                   const committed_reader& committed,
                   const http_tx_limits& limits,
                   std::map<key_id, std::optional<std::string>>& pending) {
  if (op.kind != op_kind::put && op.kind != op_kind::insert &&
      op.kind != op_kind::replace && op.kind != op_kind::patch &&
      op.kind != op_kind::remove)
    return fail(op_status::invalid,
                "only document writes can run inside a transaction", op.key);
  if (!engine::valid_stored_collection_name(op.collection))
    return fail(op_status::invalid, "invalid collection name: " + op.collection,
                op.key);
  json body;
  bool needs_body = op.kind != op_kind::remove;
  if (needs_body) {
    if (engine::parse_untrusted_json(op.doc, body) ==
        engine::json_parse_status::too_deep)
      return fail(op_status::invalid, engine::json_too_deep_message(), op.key);
    if (!body.is_object())
      return fail(op_status::invalid, "document must be a JSON object", op.key);
  }
  std::string key = op.key;
  if (key.empty() && needs_body && op.kind != op_kind::patch) {
    if (auto it = body.find("_key"); it != body.end() && it->is_string())
      key = it->get<std::string>();
    else if (op.kind == op_kind::insert)
      key = engine::generate_key();
  }
  if (!engine::valid_key(key))
    return fail(op_status::invalid, "invalid document key: " + key, key);
  key_id id{op.collection, key};
  std::optional<std::string> current;
  if (auto p = pending.find(id); p != pending.end())
    current = p->second;
  else
    current = view(op.collection, key, committed);
  std::string cur_rev = current ? rev_of(*current) : std::string();
  if (!op.if_match.empty() && (!current || cur_rev != op.if_match))
    return fail(op_status::precondition_failed,
                current ? "revision mismatch: current is " + cur_rev
                        : "document not found: " + key,
                key);
  if (op.kind == op_kind::insert && current)
    return fail(op_status::conflict, "document already exists: " + key, key);
  if (!current && (op.kind == op_kind::replace || op.kind == op_kind::patch ||
                   op.kind == op_kind::remove))
    return fail(op_status::not_found, "document not found: " + key, key);
  if (!overlay_.find(op.collection, key) && !pending.count(id) &&
      staged_keys() + pending.size() >= limits.max_keys)
    return fail(op_status::invalid,
                "the transaction stages at most " +
                  std::to_string(limits.max_keys) + " keys",
                key);
  op_result r;
  r.key = key;
  if (op.kind == op_kind::remove) {
    pending[id] = std::nullopt;
    r.rev = cur_rev;
    return r;
  }
  if (op.kind == op_kind::patch) {
    auto doc = json::parse(*current, nullptr, false);
    doc.merge_patch(body);
    if (!doc.is_object())
      return fail(op_status::invalid, "patch must keep an object", key);
    body = std::move(doc);
  }
  r.rev = "tx-" + id_.substr(0, 8) + "-" + std::to_string(++counter_);
  body["_key"] = key;
  body["_rev"] = r.rev;
  r.doc = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (bytes_ + r.doc.size() > limits.max_bytes)
    return fail(op_status::invalid,
                "the transaction stages at most " +
                  std::to_string(limits.max_bytes) + " bytes",
                key);
  r.status = current ? op_status::ok : op_status::created;
  pending[id] = r.doc;
  return r;
}

engine::write_result http_tx::stage(const engine::write_batch& batch,
                                    const committed_reader& committed,
                                    const http_tx_limits& limits) {
  std::lock_guard<std::mutex> g(mtx_);
  last_used_ = std::chrono::steady_clock::now();
  engine::write_result out;
  std::map<key_id, std::optional<std::string>> pending;
  bool failed = false;
  for (auto& op : batch.ops) {
    if (failed && batch.atomic) {
      out.results.push_back(fail(op_status::not_executed, "", op.key));
      continue;
    }
    std::map<key_id, std::optional<std::string>> one;
    auto& target = batch.atomic ? pending : one;
    auto r = stage_one(op, committed, limits, target);
    if (r.status != op_status::ok && r.status != op_status::created)
      failed = true;
    else if (!batch.atomic)
      for (auto& [k, v] : one)
        pending[k] = v; // later ops of the batch see it
    out.results.push_back(std::move(r));
  }
  if (failed && batch.atomic) {
    for (auto& r : out.results)
      if (r.status == op_status::ok || r.status == op_status::created)
        r = fail(op_status::not_executed, "", r.key);
    out.error = "an operation failed; nothing was staged";
    return out;
  }
  for (auto& [id, doc] : pending) {
    auto& slot = overlay_.docs[id.first][id.second];
    if (slot)
      bytes_ -= std::min(bytes_, slot->size());
    if (doc)
      bytes_ += doc->size();
    slot = doc;
  }
  out.committed = true;
  return out;
}

std::shared_ptr<const engine::tx_overlay> http_tx::overlay() const {
  std::lock_guard<std::mutex> g(mtx_);
  return std::make_shared<const engine::tx_overlay>(overlay_);
}

size_t http_tx::staged_keys() const {
  size_t n = 0;
  for (auto& [c, keys] : overlay_.docs)
    n += keys.size();
  return n;
}

engine::write_batch
http_tx::commit_batch(const std::string& tenant_prefix) const {
  std::lock_guard<std::mutex> g(mtx_);
  engine::write_batch b;
  b.atomic = true;
  for (auto& [coll, keys] : overlay_.docs)
    for (auto& [key, doc] : keys) {
      auto seen = seen_.find({coll, key});
      bool existed = seen != seen_.end() && !seen->second.empty();
      engine::write_op op;
      op.collection = coll;
      op.key = key;
      op.create_collection = true;
      if (!doc) {
        if (seen == seen_.end() || !existed)
          continue; // created and deleted inside: nothing to commit
        op.kind = op_kind::remove;
        if (iso_ == isolation::snapshot)
          op.if_match = seen->second;
      } else {
        auto j = json::parse(*doc, nullptr, false);
        j.erase("_rev");
        op.doc = j.dump(-1, ' ', false, json::error_handler_t::replace);
        if (iso_ == isolation::snapshot && seen != seen_.end()) {
          // first committer wins: the key must be as this one saw it
          op.kind = existed ? op_kind::replace : op_kind::insert;
          op.if_match = existed ? seen->second : std::string();
        } else {
          op.kind = op_kind::put;
        }
      }
      b.ops.push_back(std::move(op));
    }
  if (b.ops.empty())
    return b;
  engine::write_op marker;
  marker.kind = op_kind::marker;
  marker.event_type = "TRANSACTION_COMMIT";
  marker.collection = tenant_prefix;
  marker.key = id_;
  marker.doc =
    json{{"transaction_id", id_}, {"operations", b.ops.size()}}.dump();
  b.ops.push_back(std::move(marker));
  return b;
}

std::shared_ptr<http_tx> http_tx_store::begin(const principal& who,
                                              http_tx::isolation iso,
                                              std::chrono::milliseconds timeout,
                                              std::string& error) {
  std::lock_guard<std::mutex> g(mtx_);
  expire_locked(std::chrono::steady_clock::now());
  if (open_.size() >= limits_.max_open) {
    error = "the server has " + std::to_string(open_.size()) +
            " open transactions; commit or roll back one first";
    return nullptr;
  }
  size_t mine = 0;
  for (auto& [id, tx] : open_)
    mine += same_principal(tx->owner(), who);
  if (mine >= limits_.max_per_principal) {
    error = "at most " + std::to_string(limits_.max_per_principal) +
            " open transactions per principal";
    return nullptr;
  }
  if (timeout.count() <= 0)
    timeout = limits_.default_timeout;
  timeout = std::min(timeout, limits_.max_timeout);
  auto tx = std::make_shared<http_tx>(random_handle(16), who, iso, timeout);
  open_.emplace(tx->id(), tx);
  ++stats_.begun;
  return tx;
}

void http_tx_store::expire_locked(std::chrono::steady_clock::time_point now) {
  for (auto it = open_.begin(); it != open_.end();) {
    auto& tx = *it->second;
    std::lock_guard<std::mutex> g(tx.mtx_);
    if (tx.state_ == http_tx::state::active &&
        now - tx.last_used_ > tx.timeout_) {
      ++stats_.aborted;
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<http_tx> http_tx_store::find(const std::string& id,
                                             const principal& who) {
  std::lock_guard<std::mutex> g(mtx_);
  auto now = std::chrono::steady_clock::now();
  expire_locked(now);
  auto it = open_.find(id);
  if (it == open_.end() || !same_principal(it->second->owner(), who))
    return nullptr;
  std::lock_guard<std::mutex> t(it->second->mtx_);
  if (it->second->state_ != http_tx::state::active)
    return nullptr;
  it->second->last_used_ = now;
  return it->second;
}

std::shared_ptr<http_tx> http_tx_store::take_for_commit(const std::string& id,
                                                        const principal& who) {
  auto tx = find(id, who);
  if (!tx)
    return nullptr;
  std::lock_guard<std::mutex> t(tx->mtx_);
  if (tx->state_ != http_tx::state::active)
    return nullptr;
  tx->state_ = http_tx::state::committing;
  return tx;
}

void http_tx_store::end_locked(const std::string& id, bool committed) {
  auto it = open_.find(id);
  if (it == open_.end())
    return;
  auto ms = static_cast<uint64_t>(
    std::max<int64_t>(0, unix_now_ms() - it->second->created_ms()));
  ++stats_.completed;
  stats_.total_duration_ms += ms;
  stats_.max_duration_ms = std::max(stats_.max_duration_ms, ms);
  ++(committed ? stats_.committed : stats_.aborted);
  open_.erase(it);
}

void http_tx_store::finish_commit(const std::shared_ptr<http_tx>& tx,
                                  bool ended, bool committed) {
  std::lock_guard<std::mutex> g(mtx_);
  if (ended) {
    end_locked(tx->id(), committed);
    return;
  }
  std::lock_guard<std::mutex> t(tx->mtx_);
  tx->state_ = http_tx::state::active;
  tx->last_used_ = std::chrono::steady_clock::now();
}

std::shared_ptr<http_tx> http_tx_store::rollback(const std::string& id,
                                                 const principal& who) {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = open_.find(id);
  if (it == open_.end() || !same_principal(it->second->owner(), who))
    return nullptr;
  {
    std::lock_guard<std::mutex> t(it->second->mtx_);
    if (it->second->state_ != http_tx::state::active)
      return nullptr;
  }
  auto tx = it->second;
  end_locked(id, false);
  return tx;
}

http_tx_stats http_tx_store::stats() {
  std::lock_guard<std::mutex> g(mtx_);
  expire_locked(std::chrono::steady_clock::now());
  auto s = stats_;
  s.active = open_.size();
  return s;
}

} // namespace themis
