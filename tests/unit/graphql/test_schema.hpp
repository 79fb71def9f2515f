#pragma once
/// The spec's section-5 example schema (Dog, Cat, Human, Pet, ...) plus a
/// few fields for executor tests, built in code.

#include <memory>

#include "engine/graphql/parser.hpp"
#include "engine/graphql/schema.hpp"

namespace themis::graphql::test {

std::unique_ptr<schema> make_spec_schema();

/// Parses or fails the test with the syntax error.
document must_parse(std::string_view q);

} // namespace themis::graphql::test
