// Temporary stubs so the glue can link against the headers; replaced by the
// real parser / schema / validator / executor as they land.
#include "protocols/graphql/executor.hpp"
#include "protocols/graphql/parser.hpp"
#include "protocols/graphql/validator.hpp"

namespace themis::graphql {

std::vector<error> validate(const schema&, const document&,
                            const validate_limits&, const nlohmann::json*) {
  return {};
}
std::size_t operation_complexity(const schema&, const document&,
                                 const operation_definition&,
                                 const validate_limits&,
                                 const nlohmann::json*) {
  return 0;
}
} // namespace themis::graphql
