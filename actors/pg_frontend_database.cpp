/// Databases of a PostgreSQL session (issue 36; engine/sql/sql_databases.hpp):
/// which database a connection opens (and so its namespace), and CREATE /
/// DROP / ALTER DATABASE — checked here (transaction block, rights, other
/// sessions), written by the store writer.

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "actors/pg_frontend.hpp"
#include "actors/pg_sessions.hpp"
#include "actors/pg_settings.hpp"
#include "engine/sql/sql_databases.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/temp_tables.hpp"

namespace themis {

using namespace themis::pgwire;
using json = nlohmann::json;

namespace {

std::string db_quoted(const std::string& name) {
  return "database \"" + name + "\"";
}

/// "There is 1 other session using the database." as PostgreSQL says it.
std::string others_detail(size_t n) {
  return n == 1 ? "There is 1 other session using the database."
                : "There are " + std::to_string(n) +
                    " other sessions using the database.";
}

} // namespace

bool pg_frontend::is_default_database(const std::string& name) const {
  return name == opts_.database || name == "postgres" || name == "template1";
}

std::string pg_frontend::listen_scope() const {
  if (!who_.tenant.empty())
    return who_.tenant;
  return info_.ns.empty() ? std::string()
                          : info_.ns.substr(0, info_.ns.size() - 1);
}

void pg_frontend::open_database(const std::string& name) {
  info_.default_database = opts_.database;
  info_.tenant = !who_.tenant.empty();
  // a tenant's tables only, under their local names; nothing a session
  // says later (SET ROLE, search_path) changes this
  info_.ns = who_.tenant.empty() ? std::string() : who_.tenant + ".";
  info_.all_namespaces = who_.tenant.empty() && who_.is_admin();
  if (name == "template0")
    throw sql::sql_error("55000", db_quoted(name) +
                                    " is not currently accepting connections");
  if (is_default_database(name) ||
      (!who_.tenant.empty() && name == who_.tenant)) {
    info_.database = name;
    return;
  }
  // a tenant's principal has its own database only
  auto def = who_.tenant.empty() ? sql::load_database(db_, name) : std::nullopt;
  if (!def)
    throw sql::sql_error("3D000", db_quoted(name) + " does not exist");
  if (!def->allow_connections)
    throw sql::sql_error("55000", db_quoted(name) +
                                    " is not currently accepting connections");
  if (def->connection_limit >= 0 && !who_.is_admin() && sessions_) {
    int32_t n = 0;
    for (auto& e : sessions_->all()) {
      std::lock_guard<std::mutex> g(e->mtx);
      n += e->ready && e->database == name ? 1 : 0;
    }
    if (n >= def->connection_limit)
      throw sql::sql_error("53300",
                           "too many connections for " + db_quoted(name));
  }
  // the database's namespace, as a tenant's: only its tables
  info_.database = name;
  info_.ns = name + ".";
  info_.all_namespaces = false;
  db_settings_ = def->settings;
}

void pg_frontend::apply_database_settings() {
  // ALTER DATABASE … SET values, before the startup packet's (which win)
  for (auto& [k, v] : db_settings_)
    info_.settings[k] = v;
}

std::vector<std::shared_ptr<pg_backend_entry>>
pg_frontend::sessions_on(const std::string& name) const {
  std::vector<std::shared_ptr<pg_backend_entry>> out;
  if (!sessions_)
    return out;
  for (auto& e : sessions_->all()) {
    if (e->pid == info_.backend_pid)
      continue;
    std::lock_guard<std::mutex> g(e->mtx);
    if (e->ready && e->database == name && e->tenant.empty())
      out.push_back(e);
  }
  return out;
}

void pg_frontend::check_unused(const std::string& name, bool force) {
  auto others = sessions_on(name);
  if (!others.empty()) {
    // WITH (FORCE): as pg_terminate_backend. Then, as PostgreSQL's
    // CountOtherDBBackends, wait up to 5 s for them to leave (a client
    // that just closed its connection is still ending)
    if (force)
      for (auto& e : others)
        pg_sessions::terminate(*e);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!(others = sessions_on(name)).empty() &&
           std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!others.empty())
    throw sql::sql_error(
      "55006",
      db_quoted(name) + " is being accessed by other users" +
        sql::error_trailer({}, {}, {}, {}, others_detail(others.size())));
}

void pg_frontend::run_database_statement(portal& p) {
  auto st = p.st;
  p.tag = st.tag;
  auto& name = st.table;
  if (do_depth_ > 0)
    throw sql::sql_error("25001", st.tag + " cannot be executed from a "
                                           "function");
  if (tx_ != tx::idle || pinned_)
    throw sql::sql_error("25001",
                         st.tag + " cannot run inside a transaction block");
  bool may = who_.tenant.empty() &&
             (who_.is_admin() || who_.has_scope("database:create"));
  if (st.var == "create") {
    if (!may)
      throw sql::sql_error("42501", "permission denied to create database");
    if (is_default_database(name) || name == "template0")
      throw sql::sql_error("42P04", db_quoted(name) + " already exists");
    if (!sql::valid_database_name(name))
      throw sql::sql_error("42602",
                           "invalid database name \"" + name +
                             "\": themisd's database names are 1 to 63 "
                             "lowercase letters, digits, _ and -");
    auto def = json::parse(st.sql);
    auto tmpl = def.value("template", std::string());
    if (!tmpl.empty() && tmpl != "template0" && tmpl != "template1") {
      if (!is_default_database(tmpl) && !sql::load_database(db_, tmpl))
        throw sql::sql_error("3D000", "template database \"" + tmpl +
                                        "\" does not exist");
      throw sql::sql_error("0A000", "CREATE DATABASE … TEMPLATE " + tmpl +
                                      " is not supported: a new database "
                                      "starts empty (template0, template1)");
    }
  } else if (!may) {
    throw sql::sql_error("42501", "must be owner of " + db_quoted(name));
  }
  if (st.var == "drop") {
    auto def = sql::load_database(db_, name);
    if (!def && !is_default_database(name) && name != "template0") {
      if (!st.if_exists)
        throw sql::sql_error("3D000", db_quoted(name) + " does not exist");
      error_fields n;
      n.severity = "NOTICE";
      n.sqlstate = "00000";
      n.message = db_quoted(name) + " does not exist, skipping";
      session_.notice(n);
      return;
    }
    if (name == "template1" || name == "template0" || (def && def->is_template))
      throw sql::sql_error("42809", "cannot drop a template database");
    if (name == info_.database)
      throw sql::sql_error("55006", "cannot drop the currently open database");
    if (!def)
      throw sql::sql_error("0A000", db_quoted(name) +
                                      " is themisd's global namespace: it "
                                      "cannot be dropped");
    check_unused(name, st.local);
  } else if (st.var == "rename") {
    if (name == info_.database)
      throw sql::sql_error("0A000", "current database cannot be renamed");
    if (is_default_database(name) || name == "template0")
      throw sql::sql_error("0A000", db_quoted(name) +
                                      " is themisd's global namespace: it "
                                      "cannot be renamed");
    if (!sql::load_database(db_, name))
      throw sql::sql_error("3D000", db_quoted(name) + " does not exist");
    if (is_default_database(st.val) || st.val == "template0" ||
        sql::load_database(db_, st.val))
      throw sql::sql_error("42P04", db_quoted(st.val) + " already exists");
    if (!sql::valid_database_name(st.val))
      throw sql::sql_error("42602",
                           "invalid database name \"" + st.val +
                             "\": themisd's database names are 1 to 63 "
                             "lowercase letters, digits, _ and -");
    check_unused(name, false);
  } else if (st.var != "create") {
    // OWNER TO, SET / RESET, options: the stored definition changes
    auto def = sql::load_database(db_, name);
    if (!def && !is_default_database(name) && name != "template0")
      throw sql::sql_error("3D000", db_quoted(name) + " does not exist");
    if (!def) {
      // the global namespace's databases keep no definition: their
      // owner is the server's; settings belong in the configuration
      if (st.var == "owner" || st.var == "refresh")
        return;
      throw sql::sql_error("0A000", "ALTER DATABASE " + name +
                                      " SET / options: the default databases' "
                                      "settings come from the configuration");
    }
    alter_database(st, *def);
    st.var = "update";
    st.sql = sql::database_json(*def);
  }
  auto job = std::make_shared<sql::write_job>();
  job->st = std::move(st);
  auto r = port_.write(job);
  if (r.overloaded)
    throw sql::sql_error("53300", "the store is overloaded, retry later");
  if (!job->sqlstate.empty())
    throw sql::sql_error(job->sqlstate, job->message, job->position);
  if (!r.committed)
    throw sql::sql_error("XX000",
                         r.error.empty() ? "the write failed" : r.error);
}

void pg_frontend::alter_database(const sql::statement& st,
                                 sql::database_def& def) {
  if (st.var == "owner") {
    def.owner = st.val;
    return;
  }
  if (st.var == "options") {
    auto o = json::parse(st.sql);
    def.connection_limit = o.value("connection_limit", def.connection_limit);
    def.is_template = o.value("is_template", def.is_template);
    def.allow_connections = o.value("allow_connections", def.allow_connections);
    return;
  }
  if (st.var != "set")
    return; // REFRESH COLLATION VERSION: nothing to refresh
  // the SET as a session would run it: its name and value checked and
  // normalized the same way (SHOW's form)
  sql::parsed_statement set;
  set.tree = std::make_shared<const json>(json::parse(st.sql));
  set.source = std::make_shared<const std::string>(st.val);
  auto s = sql::translate(set, cat_, info_);
  if (s.kind == sql::stmt_kind::reset && s.var.empty()) {
    def.settings.clear(); // RESET ALL
    return;
  }
  auto var = pg_settings::key(s.var);
  if (!defaults_.count(var) && var.find('.') == std::string::npos)
    throw sql::sql_error("42704", "unrecognized configuration parameter \"" +
                                    s.var + "\"");
  if (var == "server_version" || var == "server_encoding" ||
      var == "integer_datetimes" || var == "max_identifier_length" ||
      var == "is_superuser" || var == "server_version_num" ||
      var == "block_size" || var == "max_connections" ||
      var == "transaction_isolation" || var == "session_authorization")
    throw sql::sql_error("55P02",
                         "parameter \"" + var + "\" cannot be changed");
  if (s.kind == sql::stmt_kind::reset) {
    def.settings.erase(var);
    return;
  }
  if (var == "client_encoding") {
    if (!pgwire::is_utf8_name(s.val))
      throw sql::sql_error("22023", "only UTF8 is supported as "
                                    "client_encoding");
    def.settings[var] = "UTF8";
    return;
  }
  def.settings[var] = pg_settings::normalize(var, s.val, defaults_[var]);
}

} // namespace themis
