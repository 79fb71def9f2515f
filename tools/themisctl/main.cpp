/// themisctl: the themisd admin CLI (issue 28). Talks to the HTTP admin
/// API (`--url`/THEMIS_URL, `--token`/THEMIS_TOKEN); `init` and `restore`
/// work on a data directory while the server is stopped. Tables for
/// people, `--json` for scripts. Exit codes: 0 ok, 1 failed or
/// unreachable, 2 refused or misused.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "tools/themisctl/admin_client.hpp"
#include "tools/themisctl/offline.hpp"
#include "tools/themisctl/table.hpp"
#include "tools/themisctl/usb_login.hpp"

namespace {

using json = nlohmann::json;
using themisctl::admin_client;
using themisctl::http_reply;
using themisctl::table;

const char* usage = R"(usage: themisctl [options] COMMAND [args]

Commands (over the HTTP admin API unless marked offline):
  init --data-dir DIR [--name NAME] [--force]
                                      offline: create the first admin API key
                                      and print it once (exit 2 if one exists;
                                      --force: add one anyway)
  status                              health, version, listeners, sequence
  keys create --scope S [--scope S] [--name N] [--user U] [--tenant T]
              [--expires-in SECONDS]  prints the new token once
  keys list
  keys revoke ID
  users                               password and certificate principals
                                      (names, protocols, tenant, scopes)
  jobs list [--status S]
  jobs cancel ID
  backup --to DIR [--no-wait]         online backup into a new or empty
                                      directory on the server host
  restore --from DIR --data-dir DIR   offline: a backup into an empty data dir
  reload                              re-read the configuration (as SIGHUP)
  drain                               stop gracefully (as SIGTERM)
  config check [--config FILE] [-- THEMISD_ARGS...]
                                      themisd --check-config
  admin login --key FILE [--require-removable]
                                      USB admin login: sign the server's
                                      nonce with the private key FILE (on the
                                      USB volume); prints a short-lived admin
                                      token (--json: the whole answer)

Options:
  --url URL        server (THEMIS_URL, default http://127.0.0.1:8080)
  --token TOKEN    bearer token: an API key or a JWT (THEMIS_TOKEN)
  --cacert FILE    CA bundle (PEM) to verify an https:// server
  --json           machine-readable output
  --timeout S      per request (default 30)
  --themisd PATH   the themisd binary for `config check`
)";

struct args {
  std::vector<std::string> words;
  std::map<std::string, std::vector<std::string>> opts;
  std::vector<std::string> passthrough; ///< after "--"
  bool json = false;
  bool no_wait = false;
  bool force = false;
  bool require_removable = false;

  std::string opt(const std::string& k, std::string def = "") const {
    auto i = opts.find(k);
    return i == opts.end() || i->second.empty() ? def : i->second.back();
  }
  bool has(const std::string& k) const { return opts.count(k) > 0; }
};

bool parse_args(int argc, char** argv, args& a, std::string& error) {
  static const std::vector<std::string> with_value = {
    "url",    "token",      "timeout", "data-dir", "to",
    "from",   "name",       "user",    "tenant",   "scope",
    "status", "expires-in", "config",  "themisd",  "cacert", "key"};
  for (int i = 1; i < argc; ++i) {
    std::string w = argv[i];
    if (w == "--") {
      for (++i; i < argc; ++i)
        a.passthrough.push_back(argv[i]);
      break;
    }
    if (w == "--json") {
      a.json = true;
    } else if (w == "--force") {
      a.force = true;
    } else if (w == "--no-wait") {
      a.no_wait = true;
    } else if (w == "--require-removable") {
      a.require_removable = true;
    } else if (w == "-h" || w == "--help") {
      a.words = {"help"};
      return true;
    } else if (w.rfind("--", 0) == 0) {
      auto k = w.substr(2);
      std::string v;
      auto eq = k.find('=');
      if (eq != std::string::npos) {
        v = k.substr(eq + 1);
        k = k.substr(0, eq);
      } else if (std::find(with_value.begin(), with_value.end(), k) !=
                 with_value.end()) {
        if (i + 1 >= argc) {
          error = "--" + k + " needs a value";
          return false;
        }
        v = argv[++i];
      }
      if (std::find(with_value.begin(), with_value.end(), k) ==
          with_value.end()) {
        error = "unknown option --" + k;
        return false;
      }
      a.opts[k].push_back(v);
    } else {
      a.words.push_back(w);
    }
  }
  return true;
}

std::string env_or(const char* name, const std::string& def) {
  auto* v = std::getenv(name);
  return v && *v ? std::string(v) : def;
}

/// The message of an error body ({"message": …}) or the raw text.
std::string message_of(const http_reply& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    return j["message"].get<std::string>();
  return r.body.size() > 200 ? r.body.substr(0, 200) + "…" : r.body;
}

/// Reports a failed call; returns the exit code (1 unreachable or server
/// error, 2 refused).
int fail(const admin_client& c, const http_reply& r, const char* what) {
  if (r.status == 0) {
    std::fprintf(stderr, "themisctl %s: cannot reach %s: %s\n", what,
                 c.base_url().c_str(), r.error.c_str());
    return 1;
  }
  std::fprintf(stderr, "themisctl %s: HTTP %ld: %s\n", what, r.status,
               message_of(r).c_str());
  if (r.status == 401)
    std::fprintf(stderr, "(pass an admin token with --token or "
                         "THEMIS_TOKEN; `themisctl init` creates the first)\n");
  return r.status >= 500 ? 1 : 2;
}

bool parse_body(const http_reply& r, json& out) {
  out = json::parse(r.body, nullptr, false);
  return !out.is_discarded();
}

std::string str(const json& j, const char* k) {
  if (!j.contains(k) || j[k].is_null())
    return "-";
  if (j[k].is_string())
    return j[k].get<std::string>();
  return j[k].dump();
}

std::string join_scopes(const json& arr) {
  std::string s;
  if (!arr.is_array())
    return s;
  for (auto& x : arr) {
    if (!s.empty())
      s += ',';
    s += x.is_string() ? x.get<std::string>() : x.dump();
  }
  return s;
}

// -- commands -----------------------------------------------------------------

int cmd_status(admin_client& c, const args& a) {
  auto ready = c.get("/health/ready");
  if (ready.status == 0)
    return fail(c, ready, "status");
  json rj;
  parse_body(ready, rj);
  auto st = c.get("/api/v1/admin/status");
  json sj;
  if (st.status != 200 || !parse_body(st, sj))
    return fail(c, st, "status");
  sj["ready"] = ready.status == 200;
  sj["checks"] = rj.value("checks", json::object());
  if (a.json) {
    std::printf("%s\n", sj.dump(2).c_str());
  } else {
    table t({"FIELD", "VALUE"});
    t.add({"url", c.base_url()});
    t.add({"status", str(sj, "status") +
                       (ready.status == 200 ? " (ready)" : " (not ready)")});
    t.add({"version", str(sj, "version")});
    t.add({"uptime", str(sj, "uptime_seconds") + " s"});
    t.add({"data dir", str(sj, "data_dir")});
    t.add({"last sequence", str(sj, "last_sequence")});
    t.add({"auth", sj.value("auth_required", false)
                     ? std::string("required") +
                         (sj.value("api_keys", false) ? " (API keys on)" : "")
                     : std::string("off")});
    auto& b = sj["backup"];
    if (b.is_object() && str(b, "state") != "none")
      t.add({"last backup", str(b, "state") + " to " + str(b, "to") +
                              " (sequence " + str(b, "sequence") + ")"});
    for (auto& [k, v] : sj["checks"].items())
      t.add({"check " + k, v.is_string() ? v.get<std::string>() : v.dump()});
    std::printf("%s\n", t.render().c_str());
    table l({"LISTENER", "ADDRESS"});
    for (auto& e : sj["listeners"])
      l.add({str(e, "name"), str(e, "address")});
    std::printf("%s", l.render().c_str());
  }
  return ready.status == 200 ? 0 : 1;
}

int cmd_keys(admin_client& c, const args& a) {
  auto sub = a.words.size() > 1 ? a.words[1] : "";
  if (sub == "create") {
    if (!a.has("scope")) {
      std::fprintf(stderr, "themisctl keys create: at least one --scope "
                           "(data:read, data:write, query, jobs, cdc:read, "
                           "admin)\n");
      return 2;
    }
    json body = json::object();
    json scopes = json::array();
    for (auto& s : a.opts.at("scope")) {
      size_t i = 0;
      while (i <= s.size()) { // --scope a,b as well as --scope a --scope b
        auto j = s.find(',', i);
        if (j == std::string::npos)
          j = s.size();
        if (j > i)
          scopes.push_back(s.substr(i, j - i));
        i = j + 1;
      }
    }
    body["scopes"] = scopes;
    for (auto k : {"name", "user", "tenant"})
      if (a.has(k))
        body[k] = a.opt(k);
    if (a.has("expires-in")) {
      char* end = nullptr;
      auto n = std::strtoull(a.opt("expires-in").c_str(), &end, 10);
      if (!end || *end) {
        std::fprintf(stderr, "themisctl: --expires-in takes seconds\n");
        return 2;
      }
      body["expires_in_s"] = n;
    }
    auto r = c.post("/api/v1/keys", body.dump());
    json j;
    if (r.status != 201 || !parse_body(r, j))
      return fail(c, r, "keys create");
    if (a.json) {
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("%s\n", str(j, "token").c_str());
      std::fprintf(stderr,
                   "created API key %s (user %s, tenant %s, scopes %s); the "
                   "token is shown once\n",
                   str(j, "id").c_str(), str(j, "user").c_str(),
                   str(j, "tenant").c_str(), join_scopes(j["scopes"]).c_str());
    }
    return 0;
  }
  if (sub == "list") {
    auto r = c.get("/api/v1/keys");
    json j;
    if (r.status != 200 || !parse_body(r, j))
      return fail(c, r, "keys list");
    if (a.json) {
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    table t({"ID", "NAME", "USER", "TENANT", "SCOPES", "CREATED", "EXPIRES",
             "STATE"});
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
    for (auto& k : j["keys"]) {
      auto exp = k.value("expires_ms", json(nullptr));
      std::string state = "live";
      if (!k["revoked_ms"].is_null())
        state = "revoked";
      else if (exp.is_number() && exp.get<long long>() <= now)
        state = "expired";
      t.add(
        {str(k, "id"), str(k, "name"), str(k, "user"), str(k, "tenant"),
         join_scopes(k["scopes"]),
         themisctl::utc_time(k.value("created_ms", 0LL)),
         exp.is_number() ? themisctl::utc_time(exp.get<long long>()) : "never",
         state});
    }
    std::printf("%s", t.render().c_str());
    return 0;
  }
  if (sub == "revoke" && a.words.size() == 3) {
    auto r = c.del("/api/v1/keys/" + a.words[2]);
    json j;
    if (r.status != 200 || !parse_body(r, j))
      return fail(c, r, "keys revoke");
    if (a.json)
      std::printf("%s\n", j.dump(2).c_str());
    else
      std::printf("revoked API key %s\n", a.words[2].c_str());
    return 0;
  }
  std::fprintf(stderr, "themisctl keys: create|list|revoke ID\n");
  return 2;
}

int cmd_users(admin_client& c, const args& a) {
  auto r = c.get("/api/v1/admin/users");
  json j;
  if (r.status != 200 || !parse_body(r, j))
    return fail(c, r, "users");
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  table t({"NAME", "PROTOCOLS", "TENANT", "SCOPES", "MAPPED"});
  for (auto& u : j["users"]) {
    std::string protocols;
    for (auto& p : u["protocols"])
      protocols += (protocols.empty() ? "" : ",") + p.get<std::string>();
    t.add({str(u, "name"), protocols,
           str(u, "tenant").empty() ? "(global)" : str(u, "tenant"),
           join_scopes(u["scopes"]),
           u.value("mapped", false) ? "auth.principals" : "no"});
  }
  std::printf("%s", t.render().c_str());
  return 0;
}

int cmd_jobs(admin_client& c, const args& a) {
  auto sub = a.words.size() > 1 ? a.words[1] : "";
  if (sub == "list") {
    std::string path = "/v1/jobs?limit=1000";
    if (a.has("status"))
      path += "&status=" + a.opt("status");
    auto r = c.get(path);
    json j;
    if (r.status != 200 || !parse_body(r, j))
      return fail(c, r, "jobs list");
    if (a.json) {
      std::printf("%s\n", j.dump(2).c_str());
      return 0;
    }
    table t({"ID", "STATUS", "CREATED", "FINISHED", "ROWS", "QUERY"});
    for (auto& e : j["jobs"]) {
      auto q = str(e, "query");
      if (q.size() > 60)
        q = q.substr(0, 57) + "...";
      t.add({str(e, "job_id"), str(e, "status"), str(e, "created_at"),
             str(e, "finished_at"), str(e, "result_count"), q});
    }
    std::printf("%s", t.render().c_str());
    return 0;
  }
  if (sub == "cancel" && a.words.size() == 3) {
    auto r = c.del("/v2/jobs/" + a.words[2]);
    json j;
    if ((r.status != 200 && r.status != 202) || !parse_body(r, j))
      return fail(c, r, "jobs cancel");
    if (a.json)
      std::printf("%s\n", j.dump(2).c_str());
    else
      std::printf("job %s: %s\n", a.words[2].c_str(), str(j, "status").c_str());
    return 0;
  }
  std::fprintf(stderr, "themisctl jobs: list|cancel ID\n");
  return 2;
}

void print_backup(const json& b, bool as_json) {
  if (as_json) {
    std::printf("%s\n", b.dump(2).c_str());
    return;
  }
  table t({"FIELD", "VALUE"});
  t.add({"backup", str(b, "id")});
  t.add({"state", str(b, "state")});
  t.add({"to", str(b, "to")});
  t.add({"consistent to sequence", str(b, "sequence")});
  t.add({"bytes", str(b, "bytes")});
  auto started = b.value("started_ms", 0LL);
  auto finished =
    b["finished_ms"].is_number() ? b["finished_ms"].get<long long>() : 0LL;
  if (finished)
    t.add({"duration", std::to_string(finished - started) + " ms"});
  if (b.contains("error"))
    t.add({"error", str(b, "error")});
  std::printf("%s", t.render().c_str());
}

int cmd_backup(admin_client& c, const args& a) {
  if (!a.has("to")) {
    std::fprintf(stderr, "themisctl backup: --to DIR (absolute, new or "
                         "empty, on the server host)\n");
    return 2;
  }
  json body = {{"to", a.opt("to")}, {"wait", false}};
  auto r = c.post("/api/v1/admin/backup", body.dump());
  json j;
  if (r.status != 202 || !parse_body(r, j))
    return fail(c, r, "backup");
  auto id = str(j, "id");
  if (a.no_wait) {
    print_backup(j, a.json);
    return 0;
  }
  // progress on stderr while it runs; bounded by the server's own work
  int last_pct = -1;
  while (true) {
    auto s = c.get("/api/v1/admin/backup");
    if (s.status != 200 || !parse_body(s, j))
      return fail(c, s, "backup");
    if (str(j, "id") != id) {
      std::fprintf(stderr, "themisctl backup: another backup replaced %s\n",
                   id.c_str());
      return 1;
    }
    auto state = str(j, "state");
    if (state != "running")
      break;
    int pct = static_cast<int>(j.value("progress", 0.0) * 100);
    if (pct != last_pct && !a.json && isatty(2)) {
      std::fprintf(stderr, "\rbackup %s: %3d%% (sequence %s)", id.c_str(), pct,
                   str(j, "sequence").c_str());
      last_pct = pct;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (last_pct >= 0)
    std::fprintf(stderr, "\n");
  print_backup(j, a.json);
  return str(j, "state") == "completed" ? 0 : 1;
}

int cmd_simple_post(admin_client& c, const char* path, const char* what,
                    const args& a) {
  auto r = c.post(path, "{}");
  json j;
  if (r.status != 202 || !parse_body(r, j))
    return fail(c, r, what);
  if (a.json)
    std::printf("%s\n", j.dump(2).c_str());
  else
    std::printf("%s requested\n", what);
  return 0;
}

int cmd_reload(admin_client& c, const args& a) {
  auto r = c.post("/api/v1/admin/reload", "{}");
  json j;
  if ((r.status != 200 && r.status != 422) || !parse_body(r, j))
    return fail(c, r, "reload");
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else if (r.status == 422) {
    std::fprintf(stderr, "themisctl reload: %s\n", message_of(r).c_str());
  } else {
    auto list = [](const json& arr) {
      std::string s = join_scopes(arr);
      return s.empty() ? std::string("nothing") : s;
    };
    std::printf("reloaded: changed %s", list(j["changed"]).c_str());
    if (!j["restart_needed"].empty())
      std::printf("; needs a restart: %s", list(j["restart_needed"]).c_str());
    std::printf("\n");
  }
  return r.status == 200 ? 0 : 2;
}

/// themisd next to this binary, else on PATH.
std::string find_themisd(const args& a) {
  if (a.has("themisd"))
    return a.opt("themisd");
  if (auto* e = std::getenv("THEMISD"); e && *e)
    return e;
  char self[4096];
  auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    for (auto cand : {dir + "/themisd", dir + "/../themisd"})
      if (::access(cand.c_str(), X_OK) == 0)
        return cand;
  }
  return "themisd";
}

int cmd_config_check(const args& a) {
  auto bin = find_themisd(a);
  std::vector<std::string> argv_s = {bin, "--check-config"};
  if (a.has("config")) {
    argv_s.push_back("--config");
    argv_s.push_back(a.opt("config"));
  }
  for (auto& p : a.passthrough)
    argv_s.push_back(p);
  std::vector<char*> argv;
  for (auto& s : argv_s)
    argv.push_back(s.data());
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  std::fprintf(stderr,
               "themisctl config check: cannot run %s (pass "
               "--themisd PATH)\n",
               bin.c_str());
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  args a;
  std::string error;
  if (!parse_args(argc, argv, a, error)) {
    std::fprintf(stderr, "themisctl: %s\n%s", error.c_str(), usage);
    return 2;
  }
  if (a.words.empty() || a.words[0] == "help") {
    std::fprintf(a.words.empty() ? stderr : stdout, "%s", usage);
    return a.words.empty() ? 2 : 0;
  }
  auto& cmd = a.words[0];
  if (cmd == "version") {
    std::printf("themisctl %s\n", THEMIS_VERSION);
    return 0;
  }
  if (cmd == "init") {
    auto dir = a.opt("data-dir", env_or("THEMIS_DATA_DIR", ""));
    if (dir.empty()) {
      std::fprintf(stderr, "themisctl init: --data-dir DIR (the server's "
                           "engine.data_dir, while it is stopped)\n");
      return 2;
    }
    return themisctl::init_data_dir(dir, a.opt("name", "admin"), a.force,
                                    a.json);
  }
  if (cmd == "restore") {
    if (!a.has("from") || !a.has("data-dir")) {
      std::fprintf(stderr, "themisctl restore: --from BACKUP_DIR --data-dir "
                           "NEW_OR_EMPTY_DIR\n");
      return 2;
    }
    return themisctl::restore_data_dir(a.opt("from"), a.opt("data-dir"),
                                       a.json);
  }
  if (cmd == "config") {
    if (a.words.size() != 2 || a.words[1] != "check") {
      std::fprintf(stderr, "themisctl config: check\n");
      return 2;
    }
    return cmd_config_check(a);
  }
  long timeout = std::strtol(a.opt("timeout", "30").c_str(), nullptr, 10);
  admin_client c(a.opt("url", env_or("THEMIS_URL", "http://127.0.0.1:8080")),
                 a.opt("token", env_or("THEMIS_TOKEN", "")),
                 timeout > 0 ? timeout : 30, a.opt("cacert"));
  if (cmd == "status")
    return cmd_status(c, a);
  if (cmd == "keys")
    return cmd_keys(c, a);
  if (cmd == "jobs")
    return cmd_jobs(c, a);
  if (cmd == "users")
    return cmd_users(c, a);
  if (cmd == "backup")
    return cmd_backup(c, a);
  if (cmd == "reload")
    return cmd_reload(c, a);
  if (cmd == "drain")
    return cmd_simple_post(c, "/api/v1/admin/drain", "drain", a);
  if (cmd == "admin") { // issue 24: USB admin login
    if (a.words.size() != 2 || a.words[1] != "login" || !a.has("key")) {
      std::fprintf(stderr, "themisctl admin login --key FILE\n");
      return 2;
    }
    // no bearer token: the key is the credential (a stale THEMIS_TOKEN
    // must not get the login refused)
    admin_client anon(c.base_url(), "", timeout > 0 ? timeout : 30,
                      a.opt("cacert"));
    return themisctl::usb_admin_login(anon, a.opt("key"), a.require_removable,
                                      a.json);
  }
  std::fprintf(stderr, "themisctl: unknown command %s\n%s", cmd.c_str(), usage);
  return 2;
}
