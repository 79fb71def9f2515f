#include "handlers/consumer_offsets.hpp"

#include <filesystem>

#include "engine/sqlite_db.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

std::mutex registry_mtx;

} // namespace

consumer_offsets& consumer_offsets::of(const std::string& data_dir) {
  static std::map<std::string, std::unique_ptr<consumer_offsets>> stores;
  std::lock_guard lock(registry_mtx);
  auto& s = stores[data_dir];
  if (!s)
    s = std::make_unique<consumer_offsets>(
      (std::filesystem::path(data_dir) / "changefeed_consumers.db").string());
  return *s;
}

bool consumer_offsets::valid_id(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
          c == '-'))
      return false;
  return true;
}

consumer_offsets::consumer_offsets(const std::string& path) :
  db_(std::make_unique<engine::sqlite_db>(path, false, 5000)) {
  db_->exec("PRAGMA journal_mode=WAL");
  db_->exec("PRAGMA synchronous=FULL");
  db_->exec(R"sql(
    CREATE TABLE IF NOT EXISTS consumers(
      tenant TEXT NOT NULL,
      id TEXT NOT NULL,
      acked INTEGER NOT NULL,
      updated_ms INTEGER NOT NULL,
      PRIMARY KEY(tenant, id)) WITHOUT ROWID;
  )sql");
}

consumer_offsets::~consumer_offsets() = default;

consumer_offsets::state* consumer_offsets::find(const std::string& tenant,
                                                const std::string& id) {
  auto it = mem_.find({tenant, id});
  if (it != mem_.end())
    return &it->second;
  auto s =
    db_->prepare("SELECT acked FROM consumers WHERE tenant=?1 AND id=?2");
  s.bind(1, tenant).bind(2, id);
  if (!s.step())
    return nullptr;
  state st;
  st.acked = st.sent = static_cast<uint64_t>(s.int64(0));
  return &mem_.emplace(std::make_pair(tenant, id), std::move(st)).first->second;
}

void consumer_offsets::persist(const std::string& tenant, const std::string& id,
                               uint64_t acked) {
  db_
    ->prepare("INSERT INTO consumers(tenant, id, acked, updated_ms) "
              "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(tenant, id) DO UPDATE "
              "SET acked = excluded.acked, updated_ms = excluded.updated_ms")
    .bind(1, tenant)
    .bind(2, id)
    .bind(3, static_cast<int64_t>(acked))
    .bind(4, unix_now_ms())
    .run();
}

std::optional<std::string> consumer_offsets::attach(const std::string& tenant,
                                                    const std::string& id,
                                                    uint64_t start,
                                                    position& out) {
  std::lock_guard lock(mtx_);
  if (auto* st = find(tenant, id)) {
    out = {true, st->acked, st->sent};
    return std::nullopt;
  }
  auto c = db_->prepare("SELECT COUNT(*) FROM consumers WHERE tenant=?1");
  c.bind(1, tenant);
  c.step();
  if (static_cast<size_t>(c.int64(0)) >= max_consumers)
    return "too many consumers: at most " + std::to_string(max_consumers) +
           " consumer_id values per tenant";
  persist(tenant, id, start);
  state st;
  st.acked = st.sent = start;
  mem_.emplace(std::make_pair(tenant, id), std::move(st));
  out = {false, start, start};
  return std::nullopt;
}

bool consumer_offsets::sent(const std::string& tenant, const std::string& id,
                            uint64_t seq, int64_t now_ms) {
  std::lock_guard lock(mtx_);
  auto* st = find(tenant, id);
  if (!st)
    return true; // not a tracked consumer
  if (seq <= st->acked)
    return true; // asked for again (an explicit from_seq): already acked
  if (!st->pending.count(seq) && st->pending.size() >= max_pending)
    return false;
  st->pending[seq] = now_ms;
  st->sent = std::max(st->sent, seq);
  return true;
}

std::vector<uint64_t> consumer_offsets::due(const std::string& tenant,
                                            const std::string& id,
                                            uint64_t timeout_ms,
                                            int64_t now_ms) {
  std::lock_guard lock(mtx_);
  std::vector<uint64_t> out;
  auto* st = find(tenant, id);
  if (!st)
    return out;
  for (auto& [seq, at] : st->pending)
    if (now_ms - at >= static_cast<int64_t>(timeout_ms)) {
      out.push_back(seq);
      at = now_ms;
    }
  return out;
}

uint64_t consumer_offsets::ack(const std::string& tenant, const std::string& id,
                               uint64_t up_to) {
  std::lock_guard lock(mtx_);
  auto* st = find(tenant, id);
  if (!st)
    return 0;
  uint64_t n = 0;
  while (!st->pending.empty() && st->pending.begin()->first <= up_to) {
    st->pending.erase(st->pending.begin());
    ++n;
  }
  if (up_to > st->acked) {
    st->acked = up_to;
    st->sent = std::max(st->sent, up_to);
    persist(tenant, id, up_to);
  }
  return n;
}

uint64_t consumer_offsets::acked(const std::string& tenant,
                                 const std::string& id) {
  std::lock_guard lock(mtx_);
  auto* st = find(tenant, id);
  return st ? st->acked : 0;
}

} // namespace themis
