/// Test tool: the GraphQL core against the spec example schema
/// (test_schema.cpp), one request per stdin line, one JSON answer per stdout
/// line. Lets tests/node/graphql_validate_diff.js compare our validator with
/// graphql-js's validate() on the very same schema (graphql-js builds it
/// from our introspection answer).
///
///   {"op":"validate","query":"..."} -> {"errors":[...]} (parse errors too)
///   {"op":"execute","query":"..."}  -> the execution result (introspection)

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/graphql/executor.hpp"
#include "engine/graphql/parser.hpp"
#include "engine/graphql/validator.hpp"
#include "test_schema.hpp"

namespace {

using nlohmann::json;
namespace gq = themis::graphql;

json answer(const gq::schema& s, const json& req) {
  if (!req.is_object() || !req.contains("query") || !req["query"].is_string())
    return {{"fatal", "bad request line"}};
  auto parsed = gq::parse(req["query"].get<std::string>());
  if (!parsed.ok())
    return {{"errors", json::array({parsed.err->to_json()})}};
  if (req.value("op", "validate") == "execute") {
    gq::execute_options opts;
    return gq::execute_sync(s, *parsed.doc, std::move(opts));
  }
  gq::validate_limits spec_only; // graphql-js's specifiedRules: no limits
  spec_only.max_depth = spec_only.max_aliases = spec_only.max_complexity =
    static_cast<std::size_t>(-1);
  return {
    {"errors", gq::errors_to_json(gq::validate(s, *parsed.doc, spec_only))}};
}

} // namespace

int main() {
  auto s = gq::test::make_spec_schema();
  std::string line;
  while (std::getline(std::cin, line)) {
    json req = json::parse(line, nullptr, false);
    std::cout << answer(*s, req).dump() << '\n' << std::flush;
  }
  return 0;
}
