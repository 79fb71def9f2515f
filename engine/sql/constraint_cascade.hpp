#pragma once
/// ON UPDATE CASCADE: the referencing columns of child rows follow a
/// changed referenced key (constraint_check.cpp calls it for each
/// cascading foreign key; the rows it changes are logged writes).

#include <string>
#include <utility>
#include <vector>

#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/sql_functions.hpp"

struct sqlite3;

namespace themis::sql {

class change_sink;

/// (document before the UPDATE, document key after it) of an updated row.
using updated_row = std::pair<std::string, std::string>;

/// The child rows one cascade changed.
struct cascade_result {
  std::vector<std::string> written; ///< their (new) document keys
  std::vector<updated_row> rows;    ///< for the next level of the cascade
  bool key_changed = false;         ///< a child's primary key followed
};

/// Sets `fk`'s columns of every `child` row that referenced the old key of
/// an `updated` row of `parent` to that row's new key values.
cascade_result cascade_update(sqlite3* db, write_counters& counters,
                              change_sink& sink, const table_def& parent,
                              const table_def& child, const foreign_key_def& fk,
                              const std::vector<updated_row>& updated);

} // namespace themis::sql
