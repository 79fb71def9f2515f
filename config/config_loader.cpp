#include "config/config_loader.hpp"
#include "config/config_settings.hpp"
#include "limits/rate_limiter.hpp"
#include "themis/user_list.hpp"

#include <CLI/CLI.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <tuple>
#include <type_traits>
#include <unistd.h>

namespace themis {

namespace {

using config_detail::field;
using config_detail::settings;

const std::map<std::string, std::string>& env_aliases() {
  static const std::map<std::string, std::string> m = {
    {"THEMIS_DATA_DIR", "engine.data_dir"},
    {"THEMIS_BIND", "server.bind"},
    {"THEMIS_LOG_LEVEL", "log.level"},
  };
  return m;
}

} // namespace

std::string env_name(const std::string& key) {
  std::string out = "THEMIS_";
  for (char c : key)
    out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

std::optional<std::string> apply_setting(server_config& cfg,
                                         const std::string& key,
                                         const std::string& value) {
  auto& table = settings();
  auto it = table.find(key);
  if (it == table.end())
    return "unknown configuration key '" + key + "'";
  if (auto err = it->second(cfg, value))
    return key + ": " + *err;
  return std::nullopt;
}

namespace {

/// "origin:LINE: " for a node of the file (yaml-cpp lines start at 0).
std::string at(const std::string& origin, const YAML::Mark& m) {
  if (m.is_null())
    return origin + ": ";
  return origin + ":" + std::to_string(m.line + 1) + ": ";
}

} // namespace

std::optional<std::string>
apply_yaml(server_config& cfg, const std::string& text,
           const std::string& origin,
           std::map<std::string, std::string>* sources) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return at(origin, e.mark) + "invalid YAML: " + e.msg;
  }
  if (root.IsNull())
    return std::nullopt;
  if (!root.IsMap())
    return at(origin, root.Mark()) + "top level must be a mapping of sections";
  for (auto sec : root) {
    auto section = sec.first.as<std::string>();
    auto where = at(origin, sec.first.Mark());
    if (!sec.second.IsMap()) {
      if (sec.second.IsNull())
        continue;
      bool known = false;
      for (auto& [k, _] : settings())
        known |= k.rfind(section + ".", 0) == 0;
      return where + (known ? section + ": must be a mapping"
                            : "unknown configuration key '" + section + "'");
    }
    // a sub-section (rate_limiting: {redis: {url: …}}) flattens to
    // dotted keys one level further; deeper nesting is refused below
    struct entry {
      std::string key;
      YAML::Node first, second;
    };
    std::vector<entry> entries;
    for (auto kv : sec.second) {
      auto key = section + "." + kv.first.as<std::string>();
      if (kv.second.IsMap()) {
        for (auto sub : kv.second)
          entries.push_back(
            {key + "." + sub.first.as<std::string>(), sub.first, sub.second});
        continue;
      }
      entries.push_back({key, kv.first, kv.second});
    }
    for (auto& kv : entries) {
      auto& key = kv.key;
      where = at(origin, kv.first.Mark());
      std::string value;
      if (kv.second.IsSequence()) {
        for (auto item : kv.second) {
          if (!item.IsScalar())
            return at(origin, item.Mark()) + key +
                   ": list items must be scalars";
          value += (value.empty() ? "" : ",") + item.as<std::string>();
        }
      } else if (kv.second.IsScalar()) {
        value = kv.second.as<std::string>();
      } else if (kv.second.IsNull()) {
        value = "";
      } else {
        return where + key + ": expected a scalar value";
      }
      if (auto err = apply_setting(cfg, key, value))
        return where + *err;
      if (sources)
        (*sources)[key] =
          "file " + origin + ":" + std::to_string(kv.first.Mark().line + 1);
    }
  }
  return std::nullopt;
}

/// The built-in PostgreSQL login (pg.users' default) is public knowledge:
/// with auth.required it must not let anyone in, least of all as a global
/// admin. Removes every user:secret pair whose secret equals its user name
/// ("themis:themis") and says so.
void disable_default_credentials(server_config& cfg) {
  if (!cfg.auth.required)
    return;
  std::string kept, dropped;
  for (auto& [user, secret] : parse_user_list(cfg.pg.users)) {
    auto& to = user == secret ? dropped : kept;
    to +=
      (to.empty() ? "" : ",") + (user == secret ? user : user + ":" + secret);
  }
  if (dropped.empty())
    return;
  cfg.pg.users = kept;
  cfg.warnings.push_back(
    "pg.users: login(s) '" + dropped +
    "' with the password equal to the user name (the built-in default "
    "themis:themis) are disabled because auth.required is on; configure "
    "real passwords (scripts/hash-password.py) or use tokens");
}

std::optional<std::string> validate_config(server_config& cfg) {
  disable_default_credentials(cfg);
  // issue 25: the Redis scripts cover two of the three algorithms
  if (cfg.rate_limiting.backend == "redis" &&
      cfg.rate_limiting.algorithm == "sliding_window_log")
    return "rate_limiting.algorithm: sliding_window_log has no Redis "
           "script; with rate_limiting.backend: redis use token_bucket or "
           "sliding_window_counter";
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(cfg.engine.data_dir, ec);
  if (ec)
    return "engine.data_dir: cannot create '" + cfg.engine.data_dir +
           "': " + ec.message();
  if (!fs::is_directory(cfg.engine.data_dir, ec))
    return "engine.data_dir: '" + cfg.engine.data_dir + "' is not a directory";
  if (::access(cfg.engine.data_dir.c_str(), W_OK | X_OK) != 0)
    return "engine.data_dir: '" + cfg.engine.data_dir +
           "' is not writable: " + std::strerror(errno);
  return std::nullopt;
}

std::vector<std::string> default_config_paths() {
  return {"./themisd.yaml", "/etc/themisd/themisd.yaml"};
}

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
        {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

/// Every THEMIS_* variable themisd reads, and those of the build and test
/// scripts (set in the same shells, never a typo).
std::vector<std::string> known_env_names() {
  // themisctl's server and credential share the environment (issue 28)
  std::vector<std::string> names = {"THEMIS_CONFIG", "THEMIS_TEST_LOGS",
                                    "THEMIS_CMAKE_ARGS", "THEMIS_URL",
                                    "THEMIS_TOKEN"};
  for (auto& [key, _] : settings())
    names.push_back(env_name(key));
  for (auto& [name, _] : env_aliases())
    names.push_back(name);
  return names;
}

/// Secrets are not printed: passwords in user lists, the JWT secret.
YAML::Node masked(const std::string& key, YAML::Node value) {
  if (key == "auth.jwt_secret")
    return YAML::Node(value.as<std::string>().empty() ? "" : "********");
  if (key != "pg.users" && key != "mqtt.users")
    return value;
  std::string out, users = value.as<std::string>();
  std::stringstream ss(users);
  std::string entry;
  while (std::getline(ss, entry, ',')) {
    auto colon = entry.find(':');
    out += (out.empty() ? "" : ",") + entry.substr(0, colon) +
           (colon == std::string::npos ? "" : ":********");
  }
  return YAML::Node(out);
}

} // namespace

std::vector<std::string> unknown_env_warnings(const char* const* env) {
  auto known = known_env_names();
  std::vector<std::string> out;
  for (auto e = env; e && *e; ++e) {
    std::string kv = *e;
    auto name = kv.substr(0, kv.find('='));
    if (name.rfind("THEMIS_", 0) != 0 ||
        std::find(known.begin(), known.end(), name) != known.end())
      continue;
    std::string best;
    size_t best_d = 4; // beyond three edits it is no typo of ours
    for (auto& k : known) {
      auto d = edit_distance(name, k);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    out.push_back("environment variable " + name +
                  " is not a themisd setting and is ignored" +
                  (best.empty() ? std::string(" (see docs/configuration.md)")
                                : " (did you mean " + best + "?)"));
  }
  return out;
}

std::vector<std::string> changed_keys(const server_config& a,
                                      const server_config& b) {
  std::vector<std::string> out;
  for (auto& [key, f] : settings()) {
    if (!f.get)
      continue;
    YAML::Emitter ea, eb;
    ea << YAML::Flow << f.get(a);
    eb << YAML::Flow << f.get(b);
    if (std::string(ea.c_str()) != eb.c_str())
      out.push_back(key);
  }
  return out;
}

std::string describe_config(const load_outcome& o) {
  std::string out = "# themisd effective configuration (";
  out +=
    o.config_file.empty() ? "no configuration file" : "file " + o.config_file;
  out += "); each value is followed by its source\n";
  for (auto& w : o.config.warnings)
    out += "# warning: " + w + "\n";
  std::string section;
  for (auto& [key, f] : settings()) {
    auto dot = key.find('.');
    if (key.substr(0, dot) != section) {
      section = key.substr(0, dot);
      out += section + ":\n";
    }
    YAML::Emitter e;
    e << YAML::Flow;
    if (f.get)
      e << masked(key, f.get(o.config));
    else
      e << YAML::Null;
    auto src = o.sources.find(key);
    out += "  " + key.substr(dot + 1) + ": " + e.c_str() + "  # " +
           (src == o.sources.end() ? "default" : src->second) + "\n";
  }
  return out;
}

load_outcome load_config(int argc, const char* const* argv,
                         const char* const* env, const char* version,
                         const std::vector<std::string>* search) {
  load_outcome out;
  CLI::App app{"themisd — ThemisDB network and API server"};
  app.set_help_flag("-h,--help", "Print this help and exit");
  std::string config_file, data_dir, http_port, pg_port, mqtt_port, bind,
    log_level, https_port, mqtts_port, tls_cert, tls_key, h3_port;
  std::vector<std::string> sets;
  bool show_version = false, check_config = false;
  app.add_option("--config", config_file,
                 "YAML configuration file (else THEMIS_CONFIG, "
                 "./themisd.yaml, /etc/themisd/themisd.yaml)");
  app.add_option("--data-dir", data_dir, "Data directory (engine.data_dir)");
  app.add_option("--http-port", http_port, "HTTP port, 0 disables (http.port)");
  app.add_option("--pg-port", pg_port, "PostgreSQL port, 0 disables (pg.port)");
  app.add_option("--mqtt-port", mqtt_port, "MQTT port, 0 disables (mqtt.port)");
  app.add_option("--https-port", https_port,
                 "HTTPS port, 0 disables (tls.https_port)");
  app.add_option("--mqtts-port", mqtts_port,
                 "MQTT over TLS port, 0 disables (tls.mqtts_port)");
  app.add_option("--h3-port", h3_port,
                 "HTTP/3 (UDP) port, 0 disables, -1 the HTTPS port "
                 "(tls.h3_port)");
  app.add_option("--tls-cert", tls_cert, "PEM certificate chain (tls.cert)");
  app.add_option("--tls-key", tls_key, "PEM private key (tls.key)");
  app.add_option("--bind", bind, "Listen address (server.bind)");
  app.add_option("--log-level", log_level,
                 "trace|debug|info|warn|error|critical|off (log.level)");
  app.add_option("--set", sets, "Override any key: --set section.key=value");
  app.add_flag("--check-config", check_config,
               "Print the effective configuration with each value's source "
               "and exit (0: valid, 2: error)");
  app.add_flag("--version", show_version, "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out.exit_code = 0;
    out.message = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    out.exit_code = 2;
    out.message = std::string("themisd: ") + e.what();
    return out;
  }
  if (show_version) {
    out.exit_code = 0;
    out.message = std::string("themisd ") + version;
    return out;
  }
  auto fail = [&](std::string msg) {
    out.exit_code = 2;
    out.message = "themisd: config error: " + msg;
    return out;
  };
  std::map<std::string, std::string> envs;
  for (auto e = env; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos && kv.rfind("THEMIS_", 0) == 0)
      envs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::string chosen_by;
  if (!config_file.empty()) {
    chosen_by = "--config";
  } else if (envs.count("THEMIS_CONFIG") && !envs["THEMIS_CONFIG"].empty()) {
    config_file = envs["THEMIS_CONFIG"];
    chosen_by = "THEMIS_CONFIG";
  } else {
    auto paths = search ? *search : default_config_paths();
    std::string tried;
    for (auto& p : paths) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(p, ec)) {
        config_file = p;
        break;
      }
      tried += (tried.empty() ? "" : ", ") + p;
    }
    chosen_by = config_file.empty()
                  ? "searched " + (tried.empty() ? "nothing" : tried)
                  : "found by the default search";
  }
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in)
      return fail(chosen_by + ": cannot read '" + config_file + "'");
    std::stringstream ss;
    ss << in.rdbuf();
    if (auto err = apply_yaml(out.config, ss.str(), config_file, &out.sources))
      return fail(*err);
    out.config_file = config_file;
    out.config.notices.push_back("configuration file " + config_file + " (" +
                                 chosen_by + ")");
  } else {
    out.config.notices.push_back("no configuration file (" + chosen_by +
                                 "): defaults, THEMIS_* variables and flags");
  }
  for (auto& [key, _] : settings()) {
    auto it = envs.find(env_name(key));
    if (it != envs.end()) {
      if (auto err = apply_setting(out.config, key, it->second))
        return fail(it->first + ": " + *err);
      out.sources[key] = "env " + it->first;
    }
  }
  for (auto& [name, key] : env_aliases()) {
    auto it = envs.find(name);
    if (it != envs.end()) {
      if (auto err = apply_setting(out.config, key, it->second))
        return fail(name + ": " + *err);
      out.sources[key] = "env " + name;
    }
  }
  std::tuple<const char*, std::string*, const char*> flags[] = {
    {"engine.data_dir", &data_dir, "--data-dir"},
    {"http.port", &http_port, "--http-port"},
    {"pg.port", &pg_port, "--pg-port"},
    {"mqtt.port", &mqtt_port, "--mqtt-port"},
    {"server.bind", &bind, "--bind"},
    {"log.level", &log_level, "--log-level"},
    {"tls.https_port", &https_port, "--https-port"},
    {"tls.mqtts_port", &mqtts_port, "--mqtts-port"},
    {"tls.cert", &tls_cert, "--tls-cert"},
    {"tls.key", &tls_key, "--tls-key"},
    {"tls.h3_port", &h3_port, "--h3-port"},
  };
  for (auto& [key, val, flag] : flags)
    if (!val->empty()) {
      if (auto err = apply_setting(out.config, key, *val))
        return fail(std::string(flag) + ": " + *err);
      out.sources[key] = std::string("flag ") + flag;
    }
  for (auto& s : sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos)
      return fail("--set expects section.key=value, got '" + s + "'");
    auto key = s.substr(0, eq);
    if (auto err = apply_setting(out.config, key, s.substr(eq + 1)))
      return fail("--set " + *err);
    out.sources[key] = "flag --set";
  }
  for (auto& w : unknown_env_warnings(env))
    out.config.warnings.push_back(w);
  if (auto err = validate_config(out.config))
    return fail(*err);
  if (check_config) {
    out.exit_code = 0;
    out.message = describe_config(out);
  }
  return out;
}

} // namespace themis
