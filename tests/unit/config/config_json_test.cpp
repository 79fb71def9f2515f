// GET /api/v1/admin/config's rendering (issue 22): every key under its
// section, typed, and no secret in the text whatever key carries it.

#include "config/config_json.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/config_loader.hpp"

using namespace themis;

TEST(ConfigJson, RedactsSecrets) {
  EXPECT_EQ(redact_setting("auth.jwt_secret", "s3cr3t"), "***");
  EXPECT_EQ(redact_setting("auth.jwt_secret", ""), "");
  EXPECT_EQ(redact_setting("tls.key", "/etc/k.pem"), "***");
  EXPECT_EQ(redact_setting("tracing.headers", "Authorization: Bearer t"),
            "***");
  EXPECT_EQ(redact_setting("mqtt.users", "a:pw,b,c:x:y"), "a:***,b,c:***");
  EXPECT_EQ(redact_setting("cache.purge_url", "https://u:p@h/x"),
            "https://u:***@h/x");
  EXPECT_EQ(redact_setting("cache.purge_url", "https://h/x@y"),
            "https://h/x@y");
  EXPECT_EQ(redact_setting("tracing.endpoint", "http://u@h:4318"),
            "http://u@h:4318");
  EXPECT_EQ(redact_setting("http.server_name", "themisd"), "themisd");
  EXPECT_EQ(redact_setting("auth.api_keys", "true"), "true");
}

TEST(ConfigJson, EveryKeyTyped) {
  server_config c;
  ASSERT_FALSE(apply_setting(c, "auth.jwt_secret", "very secret value"));
  ASSERT_FALSE(apply_setting(c, "pg.users", "alice:wonderland"));
  ASSERT_FALSE(apply_setting(c, "http.port", "8123"));
  auto text = effective_config_json(c);
  EXPECT_EQ(text.find("very secret value"), std::string::npos);
  EXPECT_EQ(text.find("wonderland"), std::string::npos);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["http"]["port"], 8123);
  EXPECT_EQ(j["auth"]["jwt_secret"], "***");
  EXPECT_EQ(j["pg"]["users"], "alice:***");
  EXPECT_TRUE(j["rate_limiting"]["enabled"].is_boolean());
  EXPECT_TRUE(j["rate_limiting"]["rules"].is_array());
}
