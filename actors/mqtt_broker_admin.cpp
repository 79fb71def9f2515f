/// The broker as the admin API shows it (mqtt_broker::overview, GET
/// /api/v1/mqtt, issue 29): copied under the lock, serialized after it,
/// so routing does not wait for the JSON.

#include <chrono>
#include <nlohmann/json.hpp>

#include "actors/mqtt_broker.hpp"
#include "protocols/mqtt/mqtt_namespace.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// Retained payload bytes shown (the rest is counted, not copied).
constexpr size_t preview_bytes = 256;

/// Whether `name` (a client id, topic or `$share/g/filter`) lies in the
/// view, and its name there.
bool in_view(const std::string& root, bool all, std::string name,
             std::string& shown) {
  if (all) {
    shown = std::move(name);
    return true;
  }
  std::string_view inner = name;
  std::string group;
  bool shared = name.rfind("$share/", 0) == 0;
  if (shared) {
    auto slash = name.find('/', 7);
    if (slash == std::string::npos)
      return false;
    group = name.substr(0, slash + 1);
    inner = std::string_view(name).substr(slash + 1);
  }
  if (root.empty()) {
    if (inner.rfind("$tenants/", 0) == 0)
      return false;
  } else if (inner.substr(0, root.size()) != root) {
    return false;
  }
  shown = group + mqtt::to_client_topic(root, inner);
  return true;
}

} // namespace

void mqtt_broker::describe(const std::string& client_id, const caf::actor& a,
                           mqtt_client_facts f) {
  std::lock_guard<std::mutex> g(mtx_);
  auto it = clients_.find(client_id);
  if (it != clients_.end() && it->second.actor == a)
    it->second.facts = std::move(f);
}

std::string mqtt_broker::overview(const std::string& root, bool all,
                                  size_t max_items) const {
  struct session_row {
    std::string id;
    bool connected;
    mqtt_client_facts facts;
    uint32_t expiry_s;
    int64_t expires_in_ms;
    std::vector<std::pair<std::string, sub>> subs;
    size_t queued, inflight;
  };
  std::vector<session_row> rows;
  std::vector<std::shared_ptr<const mqtt::message>> retained;
  bool truncated = false;
  {
    std::lock_guard<std::mutex> g(mtx_);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now().time_since_epoch())
                 .count();
    for (auto& [id, c] : clients_) {
      std::string shown;
      if (!in_view(root, all, id, shown))
        continue;
      if (rows.size() >= max_items) {
        truncated = true;
        break;
      }
      rows.push_back({shown, c.actor != nullptr, c.facts, c.expiry_s,
                      c.expires_ms ? c.expires_ms - now : -1,
                      subscriptions_of(id, c), c.offline.size(),
                      c.resend.size()});
    }
    for (auto& [topic, m] : retained_) {
      std::string shown;
      if (!in_view(root, all, topic, shown))
        continue;
      if (retained.size() >= max_items) {
        truncated = true;
        break;
      }
      retained.push_back(m);
    }
  }
  json clients = json::array();
  for (auto& r : rows) {
    json subs = json::array();
    for (auto& [filter, su] : r.subs) {
      std::string shown;
      in_view(root, all, filter, shown);
      subs.push_back({{"filter", shown}, {"qos", su.opts.qos}, {"id", su.id}});
    }
    clients.push_back({
      {"client_id", r.id},
      {"connected", r.connected},
      {"user", r.facts.user},
      {"remote", r.facts.remote},
      {"transport", r.facts.transport},
      {"version", r.facts.version == 5 ? "5.0" : "3.1.1"},
      {"connected_at_ms", r.facts.since_ms},
      {"session_expiry_s", r.expiry_s},
      {"expires_in_ms", r.connected ? json(nullptr) : json(r.expires_in_ms)},
      {"subscriptions", std::move(subs)},
      {"queued", r.queued},
      {"inflight", r.inflight},
    });
  }
  json kept = json::array();
  for (auto& m : retained) {
    std::string shown;
    in_view(root, all, m->topic, shown);
    auto head = m->payload.substr(0, preview_bytes);
    json o = {{"topic", shown}, {"qos", m->qos}, {"bytes", m->payload.size()}};
    try {
      (void)json(head).dump(); // throws if not UTF-8
      o["payload"] = head;
    } catch (const json::exception&) {
      o["payload"] = nullptr; // not UTF-8 (or cut inside a character)
    }
    kept.push_back(std::move(o));
  }
  return json{{"clients", std::move(clients)},
              {"retained", std::move(kept)},
              {"truncated", truncated}}
    .dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace themis
