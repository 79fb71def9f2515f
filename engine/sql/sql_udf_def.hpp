#pragma once
/// A user function or procedure (CREATE FUNCTION / CREATE PROCEDURE, issue
/// 36) as the catalog keeps it: plain data, stored as JSON in
/// `sql_functions` under its key (stored name and input argument types).

#include <cstdint>
#include <string>
#include <vector>

namespace themis::sql {

/// Pseudo-types a function may return (pg_type oids).
namespace fn_type {
constexpr uint32_t void_t = 2278, trigger = 2279, record = 2249;
}

struct function_arg {
  std::string name;         ///< may be empty
  uint32_t type = 25;       ///< pg_type oid
  std::string type_node;    ///< the TypeName parse node (JSON), for casts
  char mode = 'i';          ///< i in, o out, b inout, v variadic, t table
  std::string default_node; ///< parse node of DEFAULT (JSON), empty: none
  std::string default_text; ///< DEFAULT as pg_get_function_arguments shows
};

struct function_def {
  std::string name; ///< stored name (a tenant's "acme.f")
  uint32_t oid = 0;
  char kind = 'f';      ///< f function, p procedure
  std::string language; ///< sql or plpgsql
  std::vector<function_arg> args;
  uint32_t ret_type = fn_type::void_t;
  std::string ret_node; ///< the return TypeName parse node (JSON)
  bool retset = false;  ///< SETOF / RETURNS TABLE
  char volatility = 'v';
  bool strict = false;
  bool security_definer = false;
  bool leakproof = false;
  char parallel = 'u';
  double cost = 100;
  double rows = 0;                 ///< 1000 for set-returning functions
  std::vector<std::string> config; ///< SET name = value: "name=value"
  std::string body;                ///< prosrc

  /// Types of the input arguments (modes i, b, v).
  std::vector<uint32_t> in_types() const;
  /// The catalog key: stored name and input types, "f(23,25)".
  std::string key() const;
};

/// The key of function `stored_name` with input types `types`.
std::string function_key(const std::string& stored_name,
                         const std::vector<uint32_t>& types);

} // namespace themis::sql
