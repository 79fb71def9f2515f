#include "engine/graphql/validator.hpp"

#include "engine/graphql/validation_context.hpp"

namespace themis::graphql {

std::vector<error> validate(const schema& s, const document& doc,
                            const validate_limits& limits,
                            const nlohmann::json* variables) {
  validation_context c{s, doc, limits, {}, {}, {}, nullptr};
  for (const auto& f : doc.fragments)
    c.fragments.try_emplace(f.name, &f);
  walk_definitions(c);
  check_document_rules(c);
  if (!c.full())
    check_overlapping_fields(c);
  if (c.errors.empty())
    check_limits(c, variables);
  return std::move(c.errors);
}

} // namespace themis::graphql
