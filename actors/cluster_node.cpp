#include "actors/cluster_node.hpp"

#include <mutex>

#include <caf/all.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "actors/gateway_hub.hpp"
#include "actors/redis_limiter.hpp"
#include "actors/server_context.hpp"
#include "cluster/cluster_config.hpp"
#include "cluster/etcd_session.hpp"
#include "cluster/hash_ring.hpp"
#include "gateway/gateway_config.hpp"
#include "handlers/cluster_admin.hpp"
#include "handlers/http_json.hpp"
#include "handlers/metrics_registry.hpp"
#include "handlers/prometheus_text.hpp"
#include "themis/clock.hpp"

namespace themis {

std::shared_ptr<const limits::limiter_config>
limiter_config_of(const rate_limiting_section& rl); // actors/server.cpp

namespace {

using json = nlohmann::json;
using status_atom = caf::atom_constant<caf::atom("t_clstat")>;
using beat_atom = caf::atom_constant<caf::atom("t_clbeat")>;

/// The running session and what it produced; the actor may restart, the
/// routes and the duty checks read the current one.
struct cluster_globals {
  std::mutex mtx;
  std::shared_ptr<cluster::etcd_session> session;
  std::vector<std::string> nodes; ///< last logged membership
  std::string leader;
  std::map<std::string, std::string> applied; ///< section → JSON in effect
  std::map<std::string, uint64_t> duties;     ///< runs while leading
};

cluster_globals& globals() {
  static cluster_globals g;
  return g;
}

std::shared_ptr<cluster::etcd_session> current_session() {
  auto& g = globals();
  std::lock_guard<std::mutex> lk(g.mtx);
  return g.session;
}

std::string node_id_of(const server_config& cfg) {
  if (!cfg.cluster.node_id.empty())
    return cfg.cluster.node_id;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return std::string(host) + "-" + std::to_string(cfg.http.port);
}

/// An API key between the store's record and the replicated one: the same
/// fields, listed once, so a field added to one shows up here.
template <class To, class From>
To copy_key(const From& f) {
  To t;
  t.id = f.id;
  t.name = f.name;
  t.user = f.user;
  t.tenant = f.tenant;
  t.scopes = f.scopes;
  t.created_ms = f.created_ms;
  t.expires_ms = f.expires_ms;
  t.revoked_ms = f.revoked_ms;
  t.created_by = f.created_by;
  t.digest = f.digest;
  return t;
}

/// Applies one checked section; "" text: back to the file's values.
std::optional<std::string> apply_section(server_context& ctx,
                                         const std::string& name,
                                         const std::string& text) {
  auto live = ctx.live.get();
  cluster::replicated_section sec;
  if (!text.empty()) {
    auto errors = cluster::parse_section(name, text, sec);
    if (!errors.empty()) {
      std::string all;
      for (auto& e : errors)
        all += (all.empty() ? "" : "; ") + e;
      return all;
    }
  }
  if (cluster::is_api_key_section(name)) {
    if (!ctx.api_keys)
      return std::string("API keys are off on this node");
    if (text.empty()) { // removed from the cluster: no longer honoured here
      ctx.api_keys->revoke(name.substr(8), unix_now_ms());
      return std::nullopt;
    }
    auto r = copy_key<engine::api_key_record>(sec.api_key);
    return ctx.api_keys->import(r);
  }
  if (name == "rate_limiting") {
    auto rl = live->config.rate_limiting;
    auto& o = sec.rate_limiting;
    if (o.enabled)
      rl.enabled = *o.enabled;
    if (o.dry_run)
      rl.dry_run = *o.dry_run;
    if (o.rules)
      rl.rules = *o.rules;
    if (o.groups)
      rl.groups = *o.groups;
    if (o.whitelist)
      rl.whitelist = *o.whitelist;
    ctx.limiter.configure(limiter_config_of(rl));
  } else if (name == "tenant_quotas") {
    if (!ctx.quotas)
      return std::string("tenant quotas are off on this node");
    std::map<std::string, limits::tenant_quota> q;
    auto& entries =
      text.empty() ? live->config.auth.tenant_quotas : sec.tenant_quotas;
    if (auto e = limits::tenant_quotas::parse(entries, q))
      return e;
    ctx.quotas->replace(std::move(q));
  } else if (name == "api_keys") {
    if (!text.empty() && !ctx.api_keys)
      return std::string("API keys are off on this node");
    size_t revoked = 0;
    for (auto& id : sec.revoked_keys) // ids of other nodes' keys: no-op
      revoked += ctx.api_keys->revoke(id, unix_now_ms());
    if (revoked)
      spdlog::info("cluster: {} API key(s) revoked", revoked);
  } else if (name == "principals") {
    // "" : back to the file's auth.principals
    std::string err;
    if (!ctx.authn->set_principals(
          text.empty() ? live->config.auth.principals : sec.principals, err))
      return "principals: " + err;
  } else if (name == "gateway") {
    if (!ctx.gateway)
      return std::string("the gateway is off on this node");
    std::shared_ptr<const gateway::gateway_config> next;
    if (text.empty()) { // back to the file's routes
      if (auto e = ctx.gateway->prepare(live->config.gateway.file, next))
        return e;
      ctx.gateway->install(next, live->config.gateway.file);
    } else {
      std::string err;
      auto parsed = gateway::parse_gateway_yaml(sec.gateway_yaml, err);
      if (!parsed)
        return "gateway: " + err;
      ctx.gateway->install(
        std::make_shared<const gateway::gateway_config>(std::move(*parsed)),
        "etcd " + ctx.config.cluster.etcd_prefix + "/config/gateway");
    }
  } else if (!text.empty()) {
    return std::string("unknown section");
  }
  auto& g = globals();
  std::lock_guard<std::mutex> lk(g.mtx);
  if (text.empty())
    g.applied.erase(name);
  else
    g.applied[name] = text;
  return std::nullopt;
}

void on_view(const cluster::cluster_view& v) {
  auto& g = globals();
  std::vector<std::string> ids;
  for (auto& n : v.nodes) // sorted by id (the session's map)
    ids.push_back(n.id);
  {
    std::lock_guard<std::mutex> lk(g.mtx);
    if (g.nodes != ids) {
      std::string list;
      for (auto& id : ids)
        list += (list.empty() ? "" : ", ") + id;
      spdlog::info("cluster: {} live node(s): {}", ids.size(), list);
      g.nodes = ids;
    }
    if (g.leader != v.leader) {
      spdlog::info("cluster: leader is now {}",
                   v.leader.empty() ? "(none)" : v.leader);
      g.leader = v.leader;
    }
  }
  if (!v.nodes.empty())
    set_redis_limiter_live_nodes(static_cast<uint32_t>(v.nodes.size()));
}

json node_json(const cluster::etcd_node& n) {
  return {{"id", n.id},
          {"address", n.address},
          {"create_revision", n.create_revision}};
}

class etcd_cluster_admin final : public cluster_admin {
public:
  explicit etcd_cluster_admin(std::shared_ptr<server_context> ctx) :
    ctx_(std::move(ctx)) {}

  std::string status_json() const override {
    auto s = current_session();
    json j;
    j["node_id"] = node_id_of(ctx_->config);
    if (!s) {
      j["etcd"] = {{"state", "starting"}};
      return j.dump();
    }
    auto v = s->view();
    j["nodes"] = json::array();
    for (auto& n : v.nodes)
      j["nodes"].push_back(node_json(n));
    j["leader"] = v.leader;
    j["is_leader"] = s->is_leader();
    int64_t config_rev = 0;
    for (auto& [name, e] : v.config)
      config_rev = std::max(config_rev, e.mod_revision);
    j["config_revision"] = config_rev;
    j["etcd"] = {{"state", v.quorum_lost ? "unavailable"
                           : v.etcd_up   ? "up"
                                         : "connecting"},
                 {"revision", v.revision},
                 {"registered", v.registered},
                 {"lease", v.lease},
                 {"lease_ttl_s", v.lease_ttl},
                 {"endpoint", v.endpoint},
                 {"quorum_lost_episodes", v.episodes},
                 {"prefix", s->prefix()}};
    auto rs = redis_limiter_state();
    static const char* names[] = {"down", "connecting", "up"};
    j["redis"] = {{"backend", ctx_->config.rate_limiting.backend},
                  {"state", rs < 0 ? "none" : names[rs]}};
    auto& g = globals();
    std::lock_guard<std::mutex> lk(g.mtx);
    j["duties"] = g.duties;
    j["leader_duties"] = ctx_->config.cluster.leader_duties;
    return j.dump();
  }

  std::string config_json() const override {
    auto s = current_session();
    json j = {{"sections", json::object()}};
    if (!s)
      return j.dump();
    auto v = s->view();
    j["revision"] = v.revision;
    j["read_only"] = v.quorum_lost;
    for (auto& [name, e] : v.config) {
      auto value = json::parse(e.text, nullptr, false);
      json entry = {{"mod_revision", e.mod_revision}, {"applied", e.applied}};
      entry["value"] = value.is_discarded() ? json(e.text) : value;
      if (!e.error.empty())
        entry["error"] = e.error;
      j["sections"][name] = entry;
    }
    return j.dump();
  }

  std::optional<std::string>
  publish_api_key(const engine::api_key_record& r) override {
    auto s = current_session();
    if (!s)
      return std::string("the cluster session is starting");
    auto k = copy_key<cluster::replicated_api_key>(r);
    // the id is unique (random): an unconditional put, last writer wins
    auto w = s->put_config(cluster::api_key_section(r.id),
                           cluster::api_key_text(k), -1);
    if (w.status != 200)
      return w.error;
    return std::nullopt;
  }

  api_response put_config(const std::string& body,
                          const std::string* if_match) override {
    auto s = current_session();
    if (!s)
      return error_response(503, "the cluster session is starting");
    if (body.size() > (1u << 20))
      return error_response(413, "configuration larger than 1 MiB");
    json req;
    if (auto bad = parse_json_body(body, req))
      return *bad;
    if (!req.is_object() || !req.contains("section") ||
        !req["section"].is_string() || !req.contains("value"))
      return error_response(
        400, "expected {\"section\": name, \"value\": {...}, \"revision\": N}");
    auto section = req["section"].get<std::string>();
    int64_t expected = -1;
    if (auto r = req.find("revision"); r != req.end()) {
      if (!r->is_number_integer() || r->get<int64_t>() < 0)
        return error_response(400, "revision: expected an integer >= 0");
      expected = r->get<int64_t>();
    } else if (if_match) {
      auto t = parse_etag(*if_match); // "12", W/"12" or 12
      uint64_t n = 0;
      if (!parse_uint(t, n))
        return error_response(400, "If-Match: expected a revision number");
      expected = static_cast<int64_t>(n);
    }
    if (expected < 0)
      return error_response(400, "revision required (the section's "
                                 "mod_revision from GET, 0 to create it)");
    auto text = req["value"].dump();
    cluster::replicated_section parsed;
    auto errors = cluster::parse_section(section, text, parsed);
    if (errors.empty() && section == "gateway") { // the gateway's own parser
      std::string err;
      if (!gateway::parse_gateway_yaml(parsed.gateway_yaml, err))
        errors.push_back("yaml: " + err);
    }
    if (errors.empty() && section == "principals")
      for (auto& entry : parsed.principals) {
        std::string user, tenant, err;
        std::vector<std::string> scopes;
        if (!auth::parse_principal_entry(entry, user, tenant, scopes, err))
          errors.push_back("entries: '" + entry + "': " + err);
      }
    if (!errors.empty()) {
      json e = {{"error", true},
                {"message", "invalid configuration: " + errors.front()},
                {"errors", errors},
                {"status_code", 400}};
      return json_response(400, e.dump());
    }
    auto w = s->put_config(section, text, expected);
    if (w.status == 200)
      return json_response(
        200, json{{"section", section}, {"revision", w.revision}}.dump());
    json e = {{"error", true}, {"message", w.error}, {"status_code", w.status}};
    if (w.status == 409) {
      e["current_revision"] = w.current_revision;
      auto cur = json::parse(w.current, nullptr, false);
      e["current"] = cur.is_discarded() ? json(w.current) : cur;
    }
    auto r = json_response(w.status, e.dump());
    if (w.status == 503)
      r.set_header("Retry-After", "1");
    return r;
  }

  std::string ring_json(const std::string& key) const override {
    auto s = current_session();
    json j = {{"key", key}};
    if (!s)
      return j.dump();
    auto v = s->view();
    std::vector<std::string> ids;
    for (auto& n : v.nodes)
      ids.push_back(n.id);
    auto ring = ring_of(ids);
    auto& owner = ring->owner(key);
    j["owner"] = owner;
    for (auto& n : v.nodes)
      if (n.id == owner)
        j["address"] = n.address;
    j["nodes"] = ring->nodes();
    j["vnodes"] = ctx_->config.cluster.ring_vnodes;
    return j.dump();
  }

private:
  /// The ring of these live nodes, rebuilt only when membership changed
  /// (vnodes × nodes hashes and a sort per build).
  std::shared_ptr<const cluster::hash_ring>
  ring_of(const std::vector<std::string>& ids) const {
    std::lock_guard lk(ring_mu_);
    if (!ring_ || ids != ring_ids_) {
      ring_ = std::make_shared<const cluster::hash_ring>(
        ids, ctx_->config.cluster.ring_vnodes);
      ring_ids_ = ids;
    }
    return ring_;
  }

  std::shared_ptr<server_context> ctx_;
  mutable std::mutex ring_mu_;
  mutable std::vector<std::string> ring_ids_;
  mutable std::shared_ptr<const cluster::hash_ring> ring_;
};

caf::behavior cluster_node(caf::event_based_actor* self,
                           std::shared_ptr<server_context> ctx) {
  auto& cc = ctx->config.cluster;
  cluster::etcd_session::config sc;
  sc.http.endpoints = cc.etcd_endpoints;
  sc.http.user = cc.etcd_user;
  sc.http.password = cc.etcd_password;
  sc.http.ca_file = cc.etcd_ca_file;
  sc.prefix = cc.etcd_prefix;
  sc.node_id = node_id_of(ctx->config);
  sc.address = !cc.advertise.empty()   ? cc.advertise
               : ctx->config.http.port ? ctx->config.server.bind + ":" +
                                           std::to_string(ctx->config.http.port)
                                       : "";
  sc.ttl_s = cc.lease_ttl_s;
  sc.request_timeout_ms = static_cast<int>(cc.request_timeout_ms);
  // a scheduler stuck this long gives up the lease (hung leader, issue 25)
  sc.stall_ms = static_cast<int>(
    std::max<int64_t>(2000, 2 * 1000 * static_cast<int64_t>(cc.lease_ttl_s)));
  auto c = ctx.get(); // the context outlives every actor
  auto session = std::make_shared<cluster::etcd_session>(
    sc,
    [c](const std::string& section, const std::string& text) {
      return apply_section(*c, section, text);
    },
    on_view);
  {
    auto& g = globals();
    std::lock_guard<std::mutex> lk(g.mtx);
    g.session = session;
  }
  session->start();
  self->attach_functor([session] {
    {
      auto& g = globals();
      std::lock_guard<std::mutex> lk(g.mtx);
      if (g.session == session)
        g.session.reset();
    }
    session->stop();
  });
  auto admin = std::make_shared<etcd_cluster_admin>(ctx);
  // this actor's tick proves the scheduler runs (etcd_session::stall_ms)
  self->send(self, beat_atom::value);
  return {
    [admin](status_atom) { return admin->status_json(); },
    [self, session](beat_atom) {
      session->heartbeat();
      self->delayed_send(self, std::chrono::milliseconds(100),
                         beat_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_cluster_node(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx) {
  return sys.spawn(cluster_node, std::move(ctx));
}

std::shared_ptr<cluster_admin>
make_cluster_admin(std::shared_ptr<server_context> ctx) {
  return std::make_shared<etcd_cluster_admin>(std::move(ctx));
}

void add_cluster_collector(metrics_registry& m) {
  m.add_collector(
    [](prometheus_text& out) {
      auto s = current_session();
      if (!s)
        return;
      auto v = s->view();
      auto gauge = [&](const char* name, const char* help, int64_t x) {
        out.family(name, "gauge", help);
        out.sample(name, x);
      };
      gauge("themis_cluster_nodes", "Live cluster nodes seen through etcd.",
            static_cast<int64_t>(v.nodes.size()));
      gauge("themis_cluster_is_leader", "1 while this node leads.",
            s->is_leader() ? 1 : 0);
      gauge("themis_cluster_etcd_state",
            "etcd session: 0 unavailable (no quorum), 1 connecting, 2 up",
            v.quorum_lost ? 0
            : v.etcd_up   ? 2
                          : 1);
      int64_t rev = 0;
      for (auto& [name, e] : v.config)
        rev = std::max(rev, e.mod_revision);
      gauge("themis_cluster_config_revision",
            "Highest etcd mod revision among the replicated sections.", rev);
      out.family("themis_cluster_quorum_lost_episodes_total", "counter",
                 "Times this node lost etcd (or its quorum).");
      out.sample("themis_cluster_quorum_lost_episodes_total", v.episodes);
      auto& g = globals();
      std::lock_guard<std::mutex> lk(g.mtx);
      out.family("themis_cluster_leader_duty_runs_total", "counter",
                 "Singleton duty runs on this node while it led.");
      for (auto& [duty, n] : g.duties)
        out.sample("themis_cluster_leader_duty_runs_total", n,
                   {{"duty", duty}});
    },
    &globals());
}

bool cluster_duty_allowed(const server_context& ctx, const char* duty) {
  auto& cc = ctx.config.cluster;
  if (cc.etcd_endpoints.empty() ||
      std::find(cc.leader_duties.begin(), cc.leader_duties.end(), duty) ==
        cc.leader_duties.end())
    return true;
  auto s = current_session();
  if (!s || !s->is_leader())
    return false;
  auto& g = globals();
  std::lock_guard<std::mutex> lk(g.mtx);
  ++g.duties[duty];
  return true;
}

void cluster_reapply(server_context& ctx) {
  std::map<std::string, std::string> applied;
  {
    auto& g = globals();
    std::lock_guard<std::mutex> lk(g.mtx);
    applied = g.applied;
  }
  for (auto& [name, text] : applied)
    // revocations and imported keys are durable already
    if (name != "api_keys" && !cluster::is_api_key_section(name))
      if (auto e = apply_section(ctx, name, text))
        spdlog::error("cluster: {} not re-applied after reload: {}", name, *e);
}

} // namespace themis
