#include "config/config_loader.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

using namespace themis;

namespace {

load_outcome load(std::vector<const char*> args,
                  std::vector<const char*> env = {}) {
  args.insert(args.begin(), "themisd");
  env.push_back(nullptr);
  return load_config(static_cast<int>(args.size()), args.data(), env.data(),
                     "test");
}

std::string tmp_dir() {
  auto d = std::filesystem::temp_directory_path() /
           ("themis_cfg_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

} // namespace

TEST(config_loader, defaults) {
  auto dir = tmp_dir();
  auto o = load({"--data-dir", dir.c_str()});
  EXPECT_EQ(o.exit_code, -1) << o.message;
  EXPECT_EQ(o.config.http.port, 8080);
  EXPECT_EQ(o.config.server.bind, "127.0.0.1");
  EXPECT_EQ(o.config.http.max_header_bytes, 8192u);
}

TEST(config_loader, precedence_yaml_env_cli) {
  auto dir = tmp_dir();
  auto file = dir + "/t.yaml";
  std::ofstream(file)
    << "http:\n  port: 1000\n  idle_timeout_ms: 500\n"
       "cors:\n  allowed_origins: [\"https://a\", \"https://b\"]\n";
  auto o = load({"--config", file.c_str(), "--data-dir", dir.c_str()},
                {"THEMIS_HTTP_PORT=2000", "THEMIS_HTTP_IDLE_TIMEOUT_MS=700"});
  ASSERT_EQ(o.exit_code, -1) << o.message;
  EXPECT_EQ(o.config.http.port, 2000);
  EXPECT_EQ(o.config.http.idle_timeout_ms, 700u);
  ASSERT_EQ(o.config.cors.allowed_origins.size(), 2u);
  o = load({"--config", file.c_str(), "--data-dir", dir.c_str(), "--http-port",
            "3000", "--set", "http.idle_timeout_ms=900"},
           {"THEMIS_HTTP_PORT=2000"});
  ASSERT_EQ(o.exit_code, -1) << o.message;
  EXPECT_EQ(o.config.http.port, 3000);
  EXPECT_EQ(o.config.http.idle_timeout_ms, 900u);
}

TEST(config_loader, errors_name_the_key_and_exit_2) {
  auto dir = tmp_dir();
  auto file = dir + "/bad.yaml";
  std::ofstream(file) << "http:\n  prot: 1\n";
  auto o = load({"--config", file.c_str()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find("http.prot"), std::string::npos) << o.message;
  EXPECT_EQ(o.message.find('\n'), std::string::npos);

  std::ofstream(file) << "http:\n  port: eighty\n";
  o = load({"--config", file.c_str()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find("http.port"), std::string::npos);

  std::ofstream(file) << "nosuch:\n  a: 1\n";
  o = load({"--config", file.c_str()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find("nosuch"), std::string::npos);

  o = load({"--http-port", "70000"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find("http.port"), std::string::npos);

  o = load({}, {"THEMIS_HTTP_PORT=x"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find("THEMIS_HTTP_PORT"), std::string::npos);

  o = load({"--data-dir", "/proc/themis-no-such-dir"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find("engine.data_dir"), std::string::npos);

  o = load({"--log-level", "loud"});
  EXPECT_EQ(o.exit_code, 2);
  o = load({"--no-such-flag"});
  EXPECT_EQ(o.exit_code, 2);
}

TEST(config_loader, help_and_version) {
  auto o = load({"--help"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.message.find("--http-port"), std::string::npos);
  o = load({"--version"});
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.message.find("test"), std::string::npos);
}

TEST(config_loader, shipped_config_file_is_valid) {
  auto o = load({"--config", THEMIS_SOURCE_DIR "/config/themisd.yaml",
                 "--data-dir", tmp_dir().c_str()});
  EXPECT_EQ(o.exit_code, -1) << o.message;
}

/// Issue 17: auth.required turns the public default PostgreSQL login off
/// (and says so); real passwords stay.
TEST(config_loader, auth_required_disables_default_credentials) {
  auto dir = tmp_dir();
  auto o = load({"--data-dir", dir.c_str()});
  ASSERT_EQ(o.exit_code, -1) << o.message;
  EXPECT_EQ(o.config.pg.users, "themis:themis");
  EXPECT_TRUE(o.config.warnings.empty());
  o = load({"--data-dir", dir.c_str(), "--set", "auth.required=true", "--set",
            "pg.users=themis:themis,ops:S3cret-pw,app:app"});
  ASSERT_EQ(o.exit_code, -1) << o.message;
  EXPECT_EQ(o.config.pg.users, "ops:S3cret-pw");
  ASSERT_EQ(o.config.warnings.size(), 1u);
  EXPECT_NE(o.config.warnings[0].find("'themis,app'"), std::string::npos)
    << o.config.warnings[0];
  o = load({"--data-dir", dir.c_str(), "--set", "limits.max_json_depth=64",
            "--set", "limits.max_sql_depth=5"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find("limits.max_sql_depth"), std::string::npos);
}
