#pragma once
/// Sequences as objects (CREATE/ALTER/DROP SEQUENCE, nextval, currval,
/// lastval, setval; issue 36), as PostgreSQL 15 has them.
///
/// Storage: a sequence's options are a `sql_seqdefs` row (name → state key
/// and JSON options); its state is the `sql_sequences` row of its key
/// (`last`, `called`), the same table the serial columns' counters have
/// always used ("<table>.<column>"), so a serial column's implicit
/// sequence `<table>_<column>_seq` and an explicit one share one code path.
/// Explicit sequences get a key of their own ("seq:<random>") that stays
/// when the sequence is renamed.
///
/// Values are not transactional, as in PostgreSQL: nextval/setval run on
/// the store writer and write the state in the writer's transaction; the
/// values they handed out since the last commit are remembered, and after
/// any rollback (a failed statement, ROLLBACK, a failed group) they are
/// written again (sequences_rolled_back), so a rolled-back value is never
/// handed out twice, also across a restart.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace themis::sql {

struct write_counters;
struct write_job;

struct sequence_def {
  std::string name; ///< stored name (tenant prefix, temp prefix)
  std::string key;  ///< its sql_sequences row
  uint32_t oid = 0;
  uint32_t type = 20; ///< int2, int4 or int8
  int64_t start = 1;
  int64_t increment = 1;
  int64_t min = 1;
  int64_t max = INT64_MAX;
  int64_t cache = 1;
  bool cycle = false;
  /// OWNED BY: the table's stored name and the column ("": none)
  std::string owner_table;
  std::string owner_column;
  /// an identity column's sequence: 'a' ALWAYS, 'd' BY DEFAULT, 0: none
  char identity = 0;
};

std::string sequence_to_json(const sequence_def& s);
sequence_def sequence_from_json(const std::string& name, const std::string& key,
                                const std::string& json);
/// The oid of a sequence with state key `key` (stable across renames).
uint32_t sequence_oid(const std::string& key);
/// Bounds of a sequence type.
int64_t sequence_type_max(uint32_t type);
int64_t sequence_type_min(uint32_t type);

/// The sql_seqdefs rows: every sequence created over SQL, by stored name.
std::map<std::string, sequence_def> load_sequences(sqlite3* db);

/// Registers themis_nextval/themis_setval (writer: `counters` non-null;
/// readers get ones that fail with 25006) and themis_currval/lastval.
void register_sequence_functions(sqlite3* db, write_counters* counters);

/// After a rollback on the writer's connection: the values nextval and
/// setval handed out since the last commit are written again (in a
/// transaction of their own when none is open).
void sequences_rolled_back(sqlite3* db, write_counters& counters);
/// Sequence DDL changed definitions (the writer reloads them) and
/// `key`'s state when not empty (RESTART, DROP: forget what was handed).
void sequences_changed(write_counters& counters, const std::string& key = {});

/// CREATE / ALTER / DROP SEQUENCE on the writer (translate_sequence_ddl.cpp):
/// CREATE checks the name is free (42P07, or a NOTICE with IF NOT EXISTS),
/// then the statement's SQLite statements run and the tables whose
/// defaults a CASCADE dropped are saved.
void run_sequence_ddl(sqlite3* db, write_counters& counters, write_job& job);

/// The stored names of the temp sequences whose names begin with
/// `temp_ns` (a session's, dropped at its end: a sequence_ddl statement
/// with only `names` and `temp_ns` drops them).
std::vector<std::string> temp_sequence_names(sqlite3* db,
                                             const std::string& temp_ns);

/// A session's currval/lastval (by backend pid); forgotten at disconnect.
void forget_session_sequences(int32_t pid);

/// `sql` with the session argument of its themis_nextval calls removed
/// (a column default is stored without it) or put back (`pid`).
std::string nextval_without_session(const std::string& sql);
std::string nextval_with_session(const std::string& sql, int32_t pid);

} // namespace themis::sql
