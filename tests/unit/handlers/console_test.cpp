/// The console's file-name check (handlers/console_handlers.cpp) and its
/// routes in the registry: a good block and a block of hostile names.
/// The integration test (tests/integration/test_console.py) sends the
/// same names over HTTP, percent-encoded.

#include <gtest/gtest.h>

#include <string>

#include "handlers/console_handlers.hpp"
#include "handlers/route_registry.hpp"

using themis::console_path_ok;

TEST(ConsolePath, AcceptsWhatViteWrites) {
  EXPECT_TRUE(console_path_ok("index.html"));
  EXPECT_TRUE(console_path_ok("assets/index-DUmcV6Mx.js"));
  EXPECT_TRUE(console_path_ok("assets/index-DMvsrC2r.css"));
  EXPECT_TRUE(console_path_ok("assets/a_b~c.woff2"));
  EXPECT_TRUE(console_path_ok("favicon.ico"));
}

TEST(ConsolePath, RefusesHostileNames) {
  for (const char* bad :
       {"", "..", ".", "../x", "assets/../../etc/passwd", "assets/..",
        "./index.html", ".vite/manifest.json", "assets/.hidden", "/index.html",
        "assets//x.js", "assets/", "a\\..\\b", "%2e%2e/x", "a b.js", "a:b.js",
        "assets/x.js?y", "assets/x.js#y", "..;/x"})
    EXPECT_FALSE(console_path_ok(bad)) << '"' << bad << '"';
  EXPECT_FALSE(console_path_ok(std::string("a\0b.js", 6)));
  EXPECT_FALSE(console_path_ok("caf\xc3\xa9.js"));
  EXPECT_FALSE(console_path_ok(std::string(257, 'a')));
  EXPECT_TRUE(console_path_ok(std::string(256, 'a')));
}

TEST(ConsoleRoutes, PublicAndWithoutAnApiV1Twin) {
  auto& reg = themis::route_registry::global();
  for (auto p : {"/console", "/console/*"}) {
    auto* e = reg.find(p);
    ASSERT_NE(e, nullptr) << p;
    auto* get = e->op("GET");
    ASSERT_NE(get, nullptr) << p;
    EXPECT_EQ(get->scope, std::string("")) << p;
    EXPECT_FALSE(e->documented) << p;
  }
  EXPECT_EQ(reg.find("/api/v1/console"), nullptr);
  EXPECT_EQ(reg.find("/api/v1/console/*"), nullptr);
}
