#pragma once
/// Pieces of execution shared by the executor and subscription set-up:
/// CollectFields (6.3.2), CoerceArgumentValues (6.4.1), @skip/@include.
/// Internal to engine/graphql.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/graphql/ast.hpp"
#include "engine/graphql/schema.hpp"

namespace themis::graphql {

/// Response key -> field nodes, in first-seen order.
using grouped_fields =
  std::vector<std::pair<std::string, std::vector<const selection*>>>;

/// False when @skip(if: true) or @include(if: false) applies.
bool should_include(const std::vector<directive>& dirs,
                    const nlohmann::json& variables);

/// CollectFields over one or more selection sets for an object type.
void collect_fields(const schema& s, const document& doc,
                    const type_def& object_type,
                    const std::vector<const selection_set*>& sets,
                    const nlohmann::json& variables, grouped_fields& out);

/// CoerceArgumentValues; nullopt with `why` set on an argument error.
std::optional<nlohmann::json>
coerce_arguments(const schema& s, const std::vector<input_value_def>& defs,
                 const std::vector<argument>& args,
                 const nlohmann::json& variables, std::string& why);

} // namespace themis::graphql
