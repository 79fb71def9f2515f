#pragma once
/// Pieces shared by the user-function translation files
/// (translate_function.cpp: DDL and CALL; translate_udf_call.cpp: calls).

#include <string>
#include <vector>

#include "engine/sql/sql_udf.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

/// Set while CREATE FUNCTION asks whether a built-in of the same name
/// exists: user functions are not looked up then.
bool& builtin_probe();

/// "function" or "procedure".
inline const char* routine_word(const function_def& f) {
  return f.kind == 'p' ? "procedure" : "function";
}

/// The function's body statement tree with its parameters ($n and their
/// names, also `fname.name`) replaced by `args` (parse nodes, already
/// wrapped in casts); `location`s of the body are dropped (they are
/// offsets into the body, not the caller's statement).
json substitute_params(const json& tree, const function_def& f,
                       const std::string& fname, const std::vector<json>& args);

/// `node` cast to the type `type_node` (a TypeName's JSON).
json cast_node(const json& node, const std::string& type_node);

/// The body's statements as parse trees (42601 for a malformed body).
std::vector<json> body_statements(const std::string& body);

/// `public.f` or `f` (another schema: 3F000).
std::string routine_name(const json& names);
/// The overload of `name` with exactly these input types.
const function_def* find_exact(const catalog& cat, const std::string& name,
                               const std::vector<uint32_t>& types);
/// "add(integer,integer)" as PostgreSQL's hints write it.
std::string hint_signature(const std::string& local, const function_def& f);
/// DROP / ALTER … RENAME / OWNER / attributes of functions and
/// procedures, CALL (translate_function_alter.cpp); nullopt for any other
/// statement.
std::optional<statement>
tr_routine_utility(translator& tr, const std::string& type, const json& n);

/// pg_get_function_arguments / _identity_arguments / _result and
/// pg_get_functiondef of an oid (translate_udf_catalog.cpp); nullopt for
/// another name.
std::optional<expr> udf_catalog_call(const catalog& cat,
                                     const std::string& name,
                                     const std::vector<expr>& args);

/// 'f'::regproc and 'f(integer)'::regprocedure of a string literal: the
/// user function's oid (42883, 42725 as PostgreSQL); nullopt for other
/// casts (translate_udf_catalog.cpp).
std::optional<expr> udf_regproc_cast(const catalog& cat, const json& cast);

/// How deep SQL functions are inlined into one another before a call goes
/// through themis_udf instead (a recursive SQL function).
constexpr int max_inline_depth = 8;

} // namespace themis::sql::detail
