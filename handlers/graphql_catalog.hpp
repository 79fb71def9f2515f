#pragma once
/// The catalog as GraphQL sees it: one object type per collection a
/// principal's namespace holds, with GraphQL names (sanitised, collisions
/// resolved) and its fields: declared SQL columns for tables created over
/// SQL (typed), `doc: JSON` for REST collections. The mapping is pure
/// (unit tested); `load_catalog` reads the store's `collections` and
/// `sql_tables` rows for one tenant.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace themis::gql {

/// A declared field: the document attribute `column`, shown as `name`.
struct field_def {
  std::string name;   ///< GraphQL field name
  std::string column; ///< attribute of the stored document
  std::string type;   ///< Int, Float, String, Boolean or JSON
  bool non_null = false;
};

struct collection_type {
  std::string collection; ///< the name the principal uses ("orders")
  std::string stored;     ///< the engine's name ("acme.orders")
  std::string type_name;  ///< GraphQL object type ("Orders")
  std::string field;      ///< root query field ("orders"; list: ordersList)
  bool typed = false;     ///< an SQL table: `fields` are its columns
  std::vector<field_def> fields;
};

/// A collection as stored, before mapping: its SQL columns when typed
/// (name, PostgreSQL type oid, NOT NULL).
struct raw_column {
  std::string name;
  uint32_t type_oid = 25;
  bool not_null = false;
};
struct raw_collection {
  std::string collection;
  std::string stored;
  bool typed = false;
  std::vector<raw_column> columns;
};

struct catalog {
  std::vector<collection_type> types; ///< sorted by collection name
};

/// Whether `s` is a GraphQL Name (/[_A-Za-z][_0-9A-Za-z]*/) not starting
/// with "__" (reserved for introspection).
bool valid_name(std::string_view s);

/// `raw` as a GraphQL name: characters outside [_0-9A-Za-z] become '_', a
/// leading digit or "__" gets a prefix; never empty.
std::string sanitize_name(std::string_view raw);

/// The GraphQL scalar for a PostgreSQL type oid (int2/int4 → Int,
/// float/numeric/int8 → Float, bool → Boolean, text-like → String,
/// json/arrays/other → JSON).
std::string scalar_of_oid(uint32_t oid);

/// Names and fields for `raw` (any order): types named by their upper-cased
/// sanitised name, suffixed `_2`, `_3` … where two names meet each other or
/// a built-in type or root field.
catalog map_catalog(std::vector<raw_collection> raw);

/// Reads the collections of `tenant`'s namespace (the global namespace
/// for "") from the store at `db_path`, on the calling thread.
catalog load_catalog(const std::string& db_path, const std::string& tenant);

} // namespace themis::gql
