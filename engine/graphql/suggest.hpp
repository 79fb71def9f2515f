#pragma once
/// "Did you mean …?" suggestions as graphql-js 16 words them
/// (suggestionList + didYouMean), so messages match what GraphQL tooling
/// and its tests expect. Internal to engine/graphql.

#include <string>
#include <string_view>
#include <vector>

namespace themis::graphql {

/// Options within lexical distance floor(0.4 * |input|) + 1 of `input`
/// (Damerau-Levenshtein on lower-cased text, a case change alone counts 1),
/// closest first, ties in natural order. Names longer than 256 characters
/// are not compared (bounded work on hostile input).
std::vector<std::string>
suggestion_list(std::string_view input,
                const std::vector<std::string>& options);

/// " Did you mean \"a\", \"b\", or \"c\"?" (at most 5), with an optional
/// sub-message ("the enum value", "to use an inline fragment on"); empty
/// when there are no suggestions.
std::string did_you_mean(const std::vector<std::string>& suggestions,
                         std::string_view sub_message = {});

/// graphql-js's naturalCompare: digit runs compare by value ("a2" < "a10").
bool natural_less(const std::string& x, const std::string& y);

} // namespace themis::graphql
