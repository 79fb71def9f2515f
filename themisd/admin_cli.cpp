#include "themisd/admin_cli.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "auth/usb_admin/key_store.hpp"
#include "config/config_loader.hpp"
#include "themis/clock.hpp"

namespace themis {

namespace {

/// The data directory the server would use: the same --config, --data-dir
/// and --set, environment and config-file search as themisd itself.
bool data_dir_of(const std::string& config, const std::string& data_dir,
                 const std::vector<std::string>& sets, char** env,
                 std::string& out) {
  std::vector<std::string> args = {"themisd"};
  if (!config.empty())
    args.insert(args.end(), {"--config", config});
  if (!data_dir.empty())
    args.insert(args.end(), {"--data-dir", data_dir});
  for (auto& s : sets)
    args.insert(args.end(), {"--set", s});
  std::vector<const char*> argv;
  for (auto& a : args)
    argv.push_back(a.c_str());
  auto o = load_config(static_cast<int>(argv.size()), argv.data(), env, "");
  if (o.exit_code >= 0) {
    std::fprintf(stderr, "%s\n", o.message.c_str());
    return false;
  }
  out = o.config.engine.data_dir;
  return true;
}

} // namespace

int run_admin_cli(int argc, char** argv, char** env) {
  CLI::App app{"themisd admin — offline administration"};
  app.require_subcommand(1);
  std::string config, data_dir, key_file, name, id;
  std::vector<std::string> sets;
  auto common = [&](CLI::App* c) {
    c->add_option("--config", config, "YAML configuration file");
    c->add_option("--data-dir", data_dir, "Data directory (engine.data_dir)");
    c->add_option("--set", sets, "Override a key: --set section.key=value");
  };
  auto* enroll = app.add_subcommand(
    "enroll-usb-key", "Enroll a USB admin public key (PEM, Ed25519 or P-256)");
  enroll->add_option("--key", key_file, "The public key (PEM PUBLIC KEY)")
    ->required();
  enroll->add_option("--name", name,
                     "A name for audit lines (1-64 of "
                     "A-Z a-z 0-9 . _ - @)");
  common(enroll);
  auto* list = app.add_subcommand("list-usb-keys", "List enrolled keys");
  common(list);
  auto* remove = app.add_subcommand(
    "remove-usb-key", "Remove a key by id or name (its tokens end at once)");
  remove->add_option("id", id, "Key id (fingerprint) or name")->required();
  common(remove);
  try {
    app.parse(argc - 1, argv + 1); // after "admin"
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  std::string dir;
  if (!data_dir_of(config, data_dir, sets, env, dir))
    return 2;
  auth::usb_admin::key_store store(dir);
  std::string error;
  if (enroll->parsed()) {
    std::ifstream in(key_file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "themisd admin: cannot read %s\n", key_file.c_str());
      return 1;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auth::usb_admin::enrolled_key k;
    int status = 0;
    if (!store.add(ss.str(), name, unix_now_ms(), k, error, status)) {
      std::fprintf(stderr, "themisd admin: %s\n", error.c_str());
      return status == 500 ? 1 : 2;
    }
    std::printf("enrolled %s key %s as %s in %s\n", k.type.c_str(),
                k.id.c_str(), k.name.c_str(),
                auth::usb_admin::key_store::file_in(dir).c_str());
    return 0;
  }
  if (list->parsed()) {
    auto keys = store.list(&error);
    if (!error.empty()) {
      std::fprintf(stderr, "themisd admin: %s\n", error.c_str());
      return 1;
    }
    for (auto& k : keys)
      std::printf("%s  %-8s %s\n", k.id.c_str(), k.type.c_str(),
                  k.name.c_str());
    return 0;
  }
  auth::usb_admin::enrolled_key k;
  if (!store.remove(id, k, error)) {
    std::fprintf(stderr, "themisd admin: %s\n",
                 error.empty() ? "no such key" : error.c_str());
    return error.empty() ? 2 : 1;
  }
  std::printf("removed %s (%s)\n", k.id.c_str(), k.name.c_str());
  return 0;
}

} // namespace themis
