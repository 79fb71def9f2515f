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

/// Issue 28: errors in the file name file:line (yaml-cpp's marks).
TEST(config_loader, file_errors_name_file_and_line) {
  auto dir = tmp_dir();
  auto file = dir + "/lines.yaml";
  std::ofstream(file) << "# comment\nhttp:\n  port: 1\n  prot: 2\n";
  auto o = load({"--config", file.c_str(), "--data-dir", dir.c_str()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find(file + ":4: unknown configuration key 'http.prot'"),
            std::string::npos)
    << o.message;
  std::ofstream(file) << "http:\n  port: 1\nmqtt:\n  port: [\n";
  o = load({"--config", file.c_str(), "--data-dir", dir.c_str()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find(file + ":"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("invalid YAML"), std::string::npos) << o.message;
  EXPECT_EQ(o.message.find('\n'), std::string::npos);
  std::ofstream(file) << "http:\n  port: 1\n\nmqtt:\n  max_sessions: 0\n";
  o = load({"--config", file.c_str(), "--data-dir", dir.c_str()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find(file + ":5: mqtt.max_sessions"), std::string::npos)
    << o.message;
}

/// Issue 28: --config, then THEMIS_CONFIG, then the first search path
/// that exists; the outcome says which file was read.
TEST(config_loader, config_search_order) {
  auto dir = tmp_dir();
  auto a = dir + "/a.yaml", b = dir + "/b.yaml", c = dir + "/c.yaml";
  std::ofstream(a) << "http:\n  port: 1001\n";
  std::ofstream(b) << "http:\n  port: 1002\n";
  std::ofstream(c) << "http:\n  port: 1003\n";
  auto missing = dir + "/none.yaml";
  std::vector<std::string> search = {missing, b, c};
  auto run = [&](std::vector<const char*> args,
                 std::vector<const char*> env = {}) {
    args.insert(args.begin(), {"themisd", "--data-dir", dir.c_str()});
    env.push_back(nullptr);
    return load_config(static_cast<int>(args.size()), args.data(), env.data(),
                       "test", &search);
  };
  auto o = run({});
  ASSERT_EQ(o.exit_code, -1) << o.message;
  EXPECT_EQ(o.config.http.port, 1002);
  EXPECT_EQ(o.config_file, b);
  ASSERT_FALSE(o.config.notices.empty());
  EXPECT_NE(o.config.notices[0].find(b), std::string::npos);
  auto env_c = "THEMIS_CONFIG=" + c;
  o = run({}, {env_c.c_str()});
  EXPECT_EQ(o.config.http.port, 1003);
  EXPECT_NE(o.config.notices[0].find("THEMIS_CONFIG"), std::string::npos);
  o = run({"--config", a.c_str()}, {env_c.c_str()});
  EXPECT_EQ(o.config.http.port, 1001);
  EXPECT_EQ(o.config_file, a);
  search = {missing};
  o = run({});
  ASSERT_EQ(o.exit_code, -1) << o.message;
  EXPECT_EQ(o.config.http.port, 8080);
  EXPECT_TRUE(o.config_file.empty());
  EXPECT_NE(o.config.notices[0].find(missing), std::string::npos);
  auto env_missing = "THEMIS_CONFIG=" + missing;
  o = run({}, {env_missing.c_str()});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find("THEMIS_CONFIG"), std::string::npos) << o.message;
}

/// Issue 28: --check-config prints every key with its value and source,
/// secrets masked, and exits 0; an error still exits 2.
TEST(config_loader, check_config_prints_sources) {
  auto dir = tmp_dir();
  auto file = dir + "/check.yaml";
  std::ofstream(file) << "http:\n  idle_timeout_ms: 5000\n"
                         "auth:\n  jwt_secret: s3cret-value\n"
                         "mqtt:\n  users: dev1:pw1,dev2:pw2\n";
  auto o =
    load({"--config", file.c_str(), "--data-dir", dir.c_str(), "--http-port",
          "3000", "--set", "jobs.max_running=3", "--check-config"},
         {"THEMIS_PG_PORT=6543"});
  ASSERT_EQ(o.exit_code, 0) << o.message;
  auto& m = o.message;
  EXPECT_NE(m.find("http:\n"), std::string::npos) << m;
  EXPECT_NE(m.find("  port: 3000  # flag --http-port\n"), std::string::npos)
    << m;
  EXPECT_NE(m.find("  idle_timeout_ms: 5000  # file " + file + ":2\n"),
            std::string::npos)
    << m;
  EXPECT_NE(m.find("  port: 6543  # env THEMIS_PG_PORT\n"), std::string::npos);
  EXPECT_NE(m.find("  max_running: 3  # flag --set\n"), std::string::npos);
  EXPECT_NE(m.find("  max_body_bytes: 16777216  # default\n"),
            std::string::npos);
  EXPECT_NE(m.find("  allowed_methods: [GET, POST"), std::string::npos) << m;
  EXPECT_EQ(m.find("s3cret-value"), std::string::npos);
  EXPECT_EQ(m.find("pw1"), std::string::npos);
  EXPECT_NE(m.find("dev1:********,dev2:********"), std::string::npos) << m;
  // every key is listed once
  EXPECT_NE(m.find("  data_dir: "), std::string::npos);
  std::ofstream(file) << "http:\n  port: x\n";
  o = load({"--config", file.c_str(), "--check-config"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find(file + ":2: http.port"), std::string::npos)
    << o.message;
}

/// Issue 28: a THEMIS_* variable that configures nothing is reported, with
/// the name it probably meant.
TEST(config_loader, unknown_environment_variables_warn) {
  auto dir = tmp_dir();
  auto o = load({"--data-dir", dir.c_str()},
                {"THEMIS_HTTP_PROT=9000", "THEMIS_ZZZZZZZZZZZZ=1",
                 "THEMIS_PG_PORT=6543", "OTHER_HTTP_PROT=1"});
  ASSERT_EQ(o.exit_code, -1) << o.message;
  EXPECT_EQ(o.config.http.port, 8080);
  ASSERT_EQ(o.config.warnings.size(), 2u);
  auto all = o.config.warnings[0] + "|" + o.config.warnings[1];
  EXPECT_NE(all.find("THEMIS_HTTP_PROT is not a themisd setting"),
            std::string::npos)
    << all;
  EXPECT_NE(all.find("did you mean THEMIS_HTTP_PORT?"), std::string::npos);
  EXPECT_NE(all.find("THEMIS_ZZZZZZZZZZZZ"), std::string::npos);
  EXPECT_EQ(all.find("THEMIS_PG_PORT"), std::string::npos);
  o = load({"--data-dir", dir.c_str()},
           {"THEMIS_DATA_DIR=/tmp", "THEMIS_CONFIG=", "THEMIS_LOG_LEVEL=info"});
  EXPECT_TRUE(o.config.warnings.empty()) << o.config.warnings[0];
}
