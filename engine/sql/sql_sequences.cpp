/// Sequences (issue 36): definitions, the writer's nextval/setval, each
/// session's currval/lastval. See sql_sequences.hpp for the storage and
/// why values survive rollbacks.

#include "engine/sql/sql_sequences.hpp"

#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <unordered_map>

#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/temp_tables.hpp"

namespace themis::sql {

using json = nlohmann::json;

/// The writer's view: definitions by state key (loaded on demand, dropped
/// by sequence DDL and rollbacks) and the values handed out since the
/// last commit.
struct sequence_cache {
  bool loaded = false;
  std::map<std::string, sequence_def> by_key;
  /// key → (last, called) written by nextval/setval since the last commit
  std::map<std::string, std::pair<int64_t, bool>> touched;
};

namespace {

std::string text_of(sqlite3_value* v) {
  auto p = sqlite3_value_text(v);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_value_bytes(v)))
           : std::string();
}

std::string col_text(sqlite3_stmt* s, int i) {
  auto p = sqlite3_column_text(s, i);
  return p ? reinterpret_cast<const char*>(p) : "";
}

/// A serial column's implicit sequence: "<table>.<column>" (tenant
/// prefix first) is "<table>_<column>_seq" with the default options.
sequence_def implicit_sequence(const std::string& key) {
  sequence_def d;
  d.key = key;
  auto dot = key.rfind('.');
  auto table = key.substr(0, dot == std::string::npos ? 0 : dot);
  auto tdot = table.rfind('.');
  if (tdot != std::string::npos)
    table = table.substr(tdot + 1);
  d.name = table + "_" +
           (dot == std::string::npos ? key : key.substr(dot + 1)) + "_seq";
  d.oid = sequence_oid(key);
  return d;
}

/// The name an error shows: the local name (no tenant or temp prefix).
std::string shown_name(const sequence_def& d) {
  auto n = d.name;
  if (auto m = n.rfind('$'); m != std::string::npos)
    return n.substr(m + 1);
  if (auto dot = n.find('.'); dot != std::string::npos)
    return n.substr(dot + 1);
  return n;
}

sequence_cache& cache_of(write_counters& c) {
  if (!c.sequences)
    c.sequences = std::make_shared<sequence_cache>();
  return *c.sequences;
}

const sequence_def& def_of(sqlite3* db, sequence_cache& cache,
                           const std::string& key) {
  if (!cache.loaded) {
    cache.by_key.clear();
    for (auto& [n, d] : load_sequences(db))
      cache.by_key[d.key] = d;
    cache.loaded = true;
  }
  auto it = cache.by_key.find(key);
  if (it == cache.by_key.end())
    it = cache.by_key.emplace(key, implicit_sequence(key)).first;
  return it->second;
}

/// (last, called) of `key`; nullopt before its first value.
std::optional<std::pair<int64_t, bool>> state_of(sqlite3* db,
                                                 const std::string& key) {
  sqlite3_stmt* s = nullptr;
  std::optional<std::pair<int64_t, bool>> out;
  if (sqlite3_prepare_v2(db,
                         "SELECT last, called FROM sql_sequences WHERE name "
                         "= ?1",
                         -1, &s, nullptr) != SQLITE_OK)
    throw sql_error("XX000", sqlite3_errmsg(db));
  sqlite3_bind_text(s, 1, key.data(), static_cast<int>(key.size()),
                    SQLITE_TRANSIENT);
  if (sqlite3_step(s) == SQLITE_ROW)
    out =
      std::make_pair(sqlite3_column_int64(s, 0), sqlite3_column_int(s, 1) != 0);
  sqlite3_finalize(s);
  return out;
}

void write_state(sqlite3* db, const std::string& key, int64_t last,
                 bool called) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(
        db,
        "INSERT INTO sql_sequences(name, last, called) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(name) DO UPDATE SET last = excluded.last, called = "
        "excluded.called",
        -1, &s, nullptr) != SQLITE_OK)
    throw sql_error("XX000", sqlite3_errmsg(db));
  sqlite3_bind_text(s, 1, key.data(), static_cast<int>(key.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 2, last);
  sqlite3_bind_int(s, 3, called ? 1 : 0);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE)
    throw sql_error("XX000", sqlite3_errmsg(db));
}

// -- each session's currval / lastval ----------------------------------

struct session_values {
  std::map<std::string, int64_t> current;
  std::string last_key;
  int64_t last = 0;
  bool has_last = false;
};

std::mutex& sessions_mutex() {
  static std::mutex m;
  return m;
}
std::unordered_map<int32_t, session_values>& sessions() {
  static std::unordered_map<int32_t, session_values> s;
  return s;
}

void session_got(int32_t pid, const std::string& key, int64_t v) {
  if (pid <= 0)
    return;
  std::lock_guard<std::mutex> g(sessions_mutex());
  auto& s = sessions()[pid];
  s.current[key] = v;
  s.last_key = key;
  s.last = v;
  s.has_last = true;
}

// -- the SQL functions ------------------------------------------------

/// themis_nextval(key [, pid])
void fn_nextval(sqlite3_context* ctx, int argc, sqlite3_value** a) {
  auto db = sqlite3_context_db_handle(ctx);
  auto& counters = *static_cast<write_counters*>(sqlite3_user_data(ctx));
  auto key = text_of(a[0]);
  try {
    auto& cache = cache_of(counters);
    auto d = def_of(db, cache, key);
    auto st = state_of(db, key);
    int64_t v;
    if (!st) {
      v = d.start;
    } else if (!st->second) {
      v = st->first;
    } else {
      int64_t last = st->first;
      bool over = d.increment > 0 ? last > d.max - d.increment
                                  : last < d.min - d.increment;
      if (over) {
        if (!d.cycle)
          return result_error(
            ctx, "2200H",
            "nextval: reached " +
              std::string(d.increment > 0 ? "maximum" : "minimum") +
              " value of sequence \"" + shown_name(d) + "\" (" +
              std::to_string(d.increment > 0 ? d.max : d.min) + ")");
        v = d.increment > 0 ? d.min : d.max;
      } else {
        v = last + d.increment;
      }
    }
    write_state(db, key, v, true);
    cache.touched[key] = {v, true};
    if (argc > 1)
      session_got(static_cast<int32_t>(sqlite3_value_int(a[1])), key, v);
    sqlite3_result_int64(ctx, v);
  } catch (const sql_error& e) {
    result_error(ctx, e.sqlstate(), e.what());
  }
}

/// themis_setval(key, value, called, pid)
void fn_setval(sqlite3_context* ctx, int, sqlite3_value** a) {
  auto db = sqlite3_context_db_handle(ctx);
  auto& counters = *static_cast<write_counters*>(sqlite3_user_data(ctx));
  auto key = text_of(a[0]);
  if (sqlite3_value_type(a[1]) == SQLITE_NULL ||
      sqlite3_value_type(a[2]) == SQLITE_NULL)
    return sqlite3_result_null(ctx); // setval is strict
  int64_t v = sqlite3_value_int64(a[1]);
  bool called = sqlite3_value_int(a[2]) != 0;
  try {
    auto& cache = cache_of(counters);
    auto d = def_of(db, cache, key);
    if (v < d.min || v > d.max)
      return result_error(ctx, "22003",
                          "setval: value " + std::to_string(v) +
                            " is out of bounds for sequence \"" +
                            shown_name(d) + "\" (" + std::to_string(d.min) +
                            ".." + std::to_string(d.max) + ")");
    write_state(db, key, v, called);
    cache.touched[key] = {v, called};
    if (called)
      session_got(static_cast<int32_t>(sqlite3_value_int(a[3])), key, v);
    sqlite3_result_int64(ctx, v);
  } catch (const sql_error& e) {
    result_error(ctx, e.sqlstate(), e.what());
  }
}

/// themis_currval(key, pid, name)
void fn_currval(sqlite3_context* ctx, int, sqlite3_value** a) {
  auto key = text_of(a[0]);
  auto pid = static_cast<int32_t>(sqlite3_value_int(a[1]));
  {
    std::lock_guard<std::mutex> g(sessions_mutex());
    auto it = sessions().find(pid);
    if (it != sessions().end()) {
      auto c = it->second.current.find(key);
      if (c != it->second.current.end())
        return sqlite3_result_int64(ctx, c->second);
    }
  }
  result_error(ctx, "55000",
               "currval of sequence \"" + text_of(a[2]) +
                 "\" is not yet defined in this session");
}

/// themis_lastval(pid)
void fn_lastval(sqlite3_context* ctx, int, sqlite3_value** a) {
  auto pid = static_cast<int32_t>(sqlite3_value_int(a[0]));
  {
    std::lock_guard<std::mutex> g(sessions_mutex());
    auto it = sessions().find(pid);
    if (it != sessions().end() && it->second.has_last)
      return sqlite3_result_int64(ctx, it->second.last);
  }
  result_error(ctx, "55000", "lastval is not yet defined in this session");
}

void fn_read_only(sqlite3_context* ctx, int, sqlite3_value**) {
  result_error(ctx, "25006",
               "cannot execute nextval() in a read-only "
               "transaction");
}

/// The values handed out before a commit are durable with it.
int on_commit(void* p) {
  static_cast<sequence_cache*>(p)->touched.clear();
  return 0;
}

/// After "themis_nextval(" at `i`: the end of its quoted key, or npos.
size_t after_literal(const std::string& s, size_t i) {
  if (i >= s.size() || s[i] != '\'')
    return std::string::npos;
  for (++i; i < s.size(); ++i)
    if (s[i] == '\'') {
      if (i + 1 < s.size() && s[i + 1] == '\'')
        ++i;
      else
        return i + 1;
    }
  return std::string::npos;
}

} // namespace

std::string sequence_to_json(const sequence_def& s) {
  json j = {{"type", s.type},  {"start", s.start}, {"increment", s.increment},
            {"min", s.min},    {"max", s.max},     {"cache", s.cache},
            {"cycle", s.cycle}};
  if (!s.owner_table.empty()) {
    j["owner_table"] = s.owner_table;
    j["owner_column"] = s.owner_column;
  }
  if (s.identity)
    j["identity"] = std::string(1, s.identity);
  return j.dump();
}

sequence_def sequence_from_json(const std::string& name, const std::string& key,
                                const std::string& text) {
  sequence_def s;
  s.name = name;
  s.key = key;
  s.oid = sequence_oid(key);
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object())
    return s;
  s.type = j.value("type", s.type);
  s.start = j.value("start", s.start);
  s.increment = j.value("increment", s.increment);
  s.min = j.value("min", s.min);
  s.max = j.value("max", s.max);
  s.cache = j.value("cache", s.cache);
  s.cycle = j.value("cycle", false);
  s.owner_table = j.value("owner_table", "");
  s.owner_column = j.value("owner_column", "");
  auto id = j.value("identity", "");
  s.identity = id.empty() ? 0 : id[0];
  return s;
}

uint32_t sequence_oid(const std::string& key) {
  return table_oid(key + "#sequence");
}

int64_t sequence_type_max(uint32_t type) {
  return type == 21 ? 32767 : type == 23 ? 2147483647 : INT64_MAX;
}

int64_t sequence_type_min(uint32_t type) {
  return type == 21 ? -32768 : type == 23 ? -2147483648LL : INT64_MIN;
}

std::map<std::string, sequence_def> load_sequences(sqlite3* db) {
  std::map<std::string, sequence_def> out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name, key, def FROM sql_seqdefs", -1, &s,
                         nullptr) != SQLITE_OK)
    return out; // a store older than sequences
  while (sqlite3_step(s) == SQLITE_ROW) {
    auto name = col_text(s, 0);
    out.emplace(name, sequence_from_json(name, col_text(s, 1), col_text(s, 2)));
  }
  sqlite3_finalize(s);
  return out;
}

void register_sequence_functions(sqlite3* db, write_counters* counters) {
  constexpr int flags = SQLITE_UTF8;
  if (counters) {
    auto& cache = cache_of(*counters);
    for (int n : {1, 2})
      sqlite3_create_function_v2(db, "themis_nextval", n, flags, counters,
                                 fn_nextval, nullptr, nullptr, nullptr);
    sqlite3_create_function_v2(db, "themis_setval", 4, flags, counters,
                               fn_setval, nullptr, nullptr, nullptr);
    sqlite3_commit_hook(db, on_commit, &cache);
  } else {
    for (auto* n : {"themis_nextval", "themis_setval"})
      sqlite3_create_function_v2(db, n, -1, flags, nullptr, fn_read_only,
                                 nullptr, nullptr, nullptr);
  }
  sqlite3_create_function_v2(db, "themis_currval", 3, flags, nullptr,
                             fn_currval, nullptr, nullptr, nullptr);
  sqlite3_create_function_v2(db, "themis_lastval", 1, flags, nullptr,
                             fn_lastval, nullptr, nullptr, nullptr);
}

void sequences_rolled_back(sqlite3* db, write_counters& counters) {
  if (!counters.sequences)
    return;
  auto& cache = *counters.sequences;
  cache.loaded = false; // rolled-back sequence DDL
  if (cache.touched.empty())
    return;
  bool own = sqlite3_get_autocommit(db) != 0;
  try {
    if (own)
      sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    auto touched = cache.touched; // the commit below clears it
    for (auto& [key, v] : touched)
      write_state(db, key, v.first, v.second);
    if (own)
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  } catch (const std::exception&) {
    if (own)
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void sequences_changed(write_counters& counters, const std::string& key) {
  auto& cache = cache_of(counters);
  cache.loaded = false;
  if (!key.empty())
    cache.touched.erase(key);
}

// -- the catalog's sequences -------------------------------------------

void catalog::scope_sequences(const catalog& all, const std::string& prefix,
                              bool all_namespaces,
                              const std::string& temp_prefix) {
  for (auto& [name, s] : all.all_sequences_) {
    all_sequences_.emplace(name, s);
    if (is_temp_table(name))
      continue;
    if (!prefix.empty()) {
      if (name.size() > prefix.size() &&
          name.compare(0, prefix.size(), prefix) == 0)
        sequences_.emplace(name.substr(prefix.size()), s);
    } else if (all_namespaces || name.find('.') == std::string::npos) {
      sequences_.emplace(name, s);
    }
  }
  // the session's temp sequences come first in the search path
  if (!temp_prefix.empty())
    for (auto& [name, s] : all.all_sequences_)
      if (name.size() > temp_prefix.size() &&
          name.compare(0, temp_prefix.size(), temp_prefix) == 0)
        sequences_[temp_local_name(name)] = s;
}

void catalog::put_sequence(sequence_def s) {
  all_sequences_[s.name] = s;
  auto key = is_temp_table(s.name) ? temp_local_name(s.name) : local(s.name);
  sequences_[key] = std::move(s);
}

void catalog::erase_sequence(const std::string& stored) {
  all_sequences_.erase(stored);
  auto key = is_temp_table(stored) ? temp_local_name(stored) : local(stored);
  auto it = sequences_.find(key);
  if (it != sequences_.end() && it->second.name == stored)
    sequences_.erase(it);
}

std::vector<std::string> temp_sequence_names(sqlite3* db,
                                             const std::string& temp_ns) {
  std::vector<std::string> out;
  if (temp_ns.empty())
    return out;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT name FROM sql_seqdefs WHERE substr(name, 1, "
                         "length(?1)) = ?1",
                         -1, &s, nullptr) != SQLITE_OK)
    return out;
  sqlite3_bind_text(s, 1, temp_ns.data(), static_cast<int>(temp_ns.size()),
                    SQLITE_TRANSIENT);
  while (sqlite3_step(s) == SQLITE_ROW)
    out.push_back(col_text(s, 0));
  sqlite3_finalize(s);
  return out;
}

void forget_session_sequences(int32_t pid) {
  std::lock_guard<std::mutex> g(sessions_mutex());
  sessions().erase(pid);
}

namespace {

/// Copies `sql`, calling `at_call(out, end)` after each
/// `themis_nextval('<literal>'` (end: the index after the literal); it
/// appends what it wants and returns where copying goes on.
template <class F>
std::string rewrite_nextval_calls(const std::string& sql, F at_call) {
  static const std::string fn = "themis_nextval(";
  std::string out;
  size_t i = 0;
  while (true) {
    auto p = sql.find(fn, i);
    if (p == std::string::npos)
      break;
    auto end = after_literal(sql, p + fn.size());
    if (end == std::string::npos) {
      out += sql.substr(i, p + fn.size() - i);
      i = p + fn.size();
      continue;
    }
    out += sql.substr(i, end - i);
    i = at_call(out, end);
  }
  return out + sql.substr(i);
}

} // namespace

std::string nextval_without_session(const std::string& sql) {
  return rewrite_nextval_calls(sql, [&](std::string&, size_t end) {
    auto close = sql.find(')', end);
    bool session_arg = close != std::string::npos && sql[end] == ',';
    for (size_t k = end + 1; session_arg && k < close; ++k)
      if (!(std::isdigit(static_cast<unsigned char>(sql[k])) || sql[k] == ' ' ||
            sql[k] == '-'))
        session_arg = false;
    return session_arg ? close : end;
  });
}

std::string nextval_with_session(const std::string& sql, int32_t pid) {
  return rewrite_nextval_calls(sql, [&](std::string& out, size_t end) {
    if (end < sql.size() && sql[end] == ')')
      out += ", " + std::to_string(pid);
    return end;
  });
}

} // namespace themis::sql
