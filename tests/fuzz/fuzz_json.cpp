/// libFuzzer target for untrusted JSON (issue 17): every REST body, bind
/// value, MQTT payload and jsonb literal goes through
/// engine::parse_untrusted_json, the handlers through parse_json_body.
/// Invariants: no crash and no exception; too_deep exactly when
/// json_depth passes the limit (and then the 400); json_depth's early stop
/// agrees with the full scan; an accepted value dumps (both dumpers) to
/// text of the same depth that parses back to an equal value. An input
/// starting with fuzz::expand_marker is a recipe for a deep or wide
/// document (structure_expand.hpp); its flags pick the limit: the default,
/// the smallest or the largest the config accepts.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/json_bounded.hpp"
#include "handlers/http_json.hpp"
#include "structure_expand.hpp"
#include "themis/input_limits.hpp"

namespace {

using namespace themis;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_json: %s\n", what);
  std::abort();
}

/// Hostile shapes: nested (prefix, open, middle, close, suffix) and wide
/// (prefix, item, separator, suffix).
constexpr std::initializer_list<fuzz::expand_template> templates = {
  {false, {"", "[", "1", "]"}},
  {false, {"", "{\"a\":", "1", "}"}},
  {false, {"", "[{\"a\":", "null", "}]"}},
  {false, {"", "[1,", "2", "]"}},
  {false, {"{\"k\":\"", "[", "", "", "\"}"}}, // brackets inside a string
  {false, {"", "[\"\\\\\",", "0", "]"}},      // escapes before each level
  {true, {"[", "1", ",", "]"}},
  {true, {"{", "\"k\x02\":1", ",", "}"}},
  {true, {"{", "\"k\":1", ",", "}"}}, // one key, 100,000 times
  {true, {"\"", "\\ud83d\\ude00", "", "\""}},
  {true, {"\"", "\\u0000", "", "\""}},
  {true, {"", "9", "", ""}},        // a 100,000-digit integer
  {true, {"0.", "1", "", "e-999"}}, // and a long fraction
  {true, {"[", "[]", ",", "]"}},
  {true, {"[", "{}", ",", "]"}},
  {true, {"[", "\"\x02\"", ",", "]"}},
};

void check(std::string_view text) {
  size_t limit = max_json_depth();
  size_t depth = json_depth(text);
  if ((json_depth(text, limit) > limit) != (depth > limit))
    fail("json_depth's early stop disagrees with the full scan");

  nlohmann::json j;
  auto status = engine::parse_untrusted_json(text, j);
  if ((status == engine::json_parse_status::too_deep) != (depth > limit))
    fail("too_deep does not match json_depth");

  nlohmann::json body;
  auto refused = parse_json_body(text, body);
  if (refused.has_value() != (status == engine::json_parse_status::too_deep))
    fail("parse_json_body disagrees with parse_untrusted_json");
  if (refused && refused->status != 400)
    fail("a too-deep body is not answered 400");
  if (status != engine::json_parse_status::ok) {
    if (!j.is_discarded() || (!refused && !body.is_discarded()))
      fail("a refused text left a value behind");
    return;
  }
  if (body != j)
    fail("parse_json_body parsed a different value");

  auto once = dump(j); // the handlers' dumper: invalid UTF-8 replaced
  if (once != j.dump())
    fail("the two dumpers disagree on a parsed value");
  if (json_depth(once) != depth)
    fail("dump changed the nesting depth");
  nlohmann::json again;
  if (engine::parse_untrusted_json(once, again) !=
      engine::json_parse_status::ok)
    fail("a dumped value does not parse again");
  if (again != j)
    fail("a value does not survive dump and parse");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 5,000+ levels and 100,000+ elements, a few MB at most
  auto x = fuzz::expand(data, size, templates, 200000, 2u << 20);
  if (!x) {
    check(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
  }
  static const size_t limits[] = {default_max_json_depth, 2, 1000,
                                  default_max_json_depth};
  set_max_json_depth(limits[x->flags & 3]);
  check(x->text);
  set_max_json_depth(default_max_json_depth);
  return 0;
}
