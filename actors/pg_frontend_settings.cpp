/// Settings (GUCs) of a PostgreSQL session (issue 36): the startup packet
/// and its `options`, SET / SET LOCAL / RESET, in the form SHOW prints.

#include "actors/pg_frontend.hpp"
#include "actors/pg_settings.hpp"

namespace themis {

using namespace themis::pgwire;

namespace {

const char* display_name(const std::string& var) {
  if (var == "datestyle")
    return "DateStyle";
  if (var == "timezone")
    return "TimeZone";
  if (var == "intervalstyle")
    return "IntervalStyle";
  return nullptr;
}

bool reported(const std::string& var) {
  return var == "application_name" || var == "client_encoding" ||
         var == "datestyle" || var == "timezone" || var == "intervalstyle" ||
         var == "standard_conforming_strings" || var == "is_superuser" ||
         var == "session_authorization";
}

bool startup_only(const std::string& var) {
  return var == "user" || var == "database" || var == "options" ||
         var == "replication" || var.rfind("_pq_.", 0) == 0;
}

} // namespace

void pg_frontend::apply_startup_settings(const startup_packet& p) {
  std::vector<std::pair<std::string, std::string>> all;
  for (auto& [k, v] : p.params) {
    if (k == "options")
      for (auto& kv : pg_settings::parse_options(v))
        all.push_back(kv);
    else if (!startup_only(k))
      all.emplace_back(k, v);
  }
  for (auto& [k, v] : all) {
    auto var = pg_settings::key(k);
    // an unknown name is ignored here (clients send their own, harmless
    // keys); a known one with a bad value ends the connection as in
    // PostgreSQL
    if (!defaults_.count(var) && var.find('.') == std::string::npos)
      continue;
    if (var == "client_encoding") {
      if (!pgwire::is_utf8_name(v))
        throw sql::sql_error("22023", "only UTF8 is supported as "
                                      "client_encoding");
      continue;
    }
    if (var == "server_version" || var == "server_encoding" ||
        var == "integer_datetimes" || var == "max_identifier_length" ||
        var == "is_superuser" || var == "session_authorization" ||
        var == "transaction_isolation")
      continue;
    info_.settings[var] = pg_settings::normalize(var, v, info_.settings[var]);
  }
  info_.settings["transaction_isolation"] =
    info_.settings["default_transaction_isolation"];
}

std::optional<std::string>
pg_frontend::reported_value(const std::string& name) {
  // only what the startup packet changed; the rest as pg_session sends it
  auto var = pg_settings::key(name);
  if (var == "is_superuser" || var == "session_authorization")
    return std::nullopt;
  auto it = info_.settings.find(var);
  auto d = defaults_.find(var);
  if (it == info_.settings.end() || d == defaults_.end() ||
      it->second == d->second)
    return std::nullopt;
  return it->second;
}

void pg_frontend::set_setting(const std::string& name, const std::string& val,
                              bool local) {
  auto var = pg_settings::key(name);
  if (!defaults_.count(var) && var.find('.') == std::string::npos)
    throw sql::sql_error("42704", "unrecognized configuration parameter \"" +
                                    name + "\"");
  if (var == "server_version" || var == "server_encoding" ||
      var == "integer_datetimes" || var == "max_identifier_length" ||
      var == "is_superuser" || var == "server_version_num" ||
      var == "block_size" || var == "max_connections")
    throw sql::sql_error("55P02",
                         "parameter \"" + var + "\" cannot be changed");
  std::string v;
  if (var == "client_encoding") {
    if (!pgwire::is_utf8_name(val))
      throw sql::sql_error("22023", "only UTF8 is supported as "
                                    "client_encoding");
    v = "UTF8";
  } else {
    v = pg_settings::normalize(var, val, info_.settings[var]);
  }
  // the isolation of a transaction lasts only as long as it does
  if (var == "transaction_isolation")
    local = true;
  if (local) {
    if (tx_ == tx::idle) {
      error_fields w;
      w.severity = "WARNING";
      w.sqlstate = "25P01";
      w.message = var == "transaction_isolation"
                    ? "SET TRANSACTION can only be used in transaction blocks"
                    : "SET LOCAL can only be used in transaction blocks";
      session_.notice(w);
      return;
    }
    local_saved_.emplace(var, info_.settings[var]);
  } else if (auto it = local_saved_.find(var); it != local_saved_.end()) {
    it->second = v; // a session SET outlives the transaction's SET LOCAL
  }
  info_.settings[var] = v;
  if (var == "default_transaction_isolation" && tx_ == tx::idle)
    info_.settings["transaction_isolation"] = v;
  if (reported(var)) {
    auto d = display_name(var);
    put_parameter_status(session_.out(), d ? d : var, v);
  }
}

void pg_frontend::reset_setting(const std::string& name) {
  auto var = pg_settings::key(name);
  if (var.empty() || var == "all") {
    auto app = info_.settings["application_name"];
    auto iso = info_.settings["transaction_isolation"];
    info_.settings = defaults_;
    info_.settings["application_name"] = app;
    info_.settings["transaction_isolation"] = iso;
    local_saved_.clear();
    return;
  }
  if (defaults_.count(var)) {
    info_.settings[var] = defaults_[var];
    local_saved_.erase(var);
  } else if (var.find('.') != std::string::npos) {
    info_.settings.erase(var);
  } else {
    throw sql::sql_error("42704", "unrecognized configuration parameter \"" +
                                    name + "\"");
  }
}

void pg_frontend::end_local_settings() {
  for (auto& [k, v] : local_saved_) {
    info_.settings[k] = v;
    if (reported(k)) {
      auto d = display_name(k);
      put_parameter_status(session_.out(), d ? d : k, v);
    }
  }
  local_saved_.clear();
  info_.settings["transaction_isolation"] =
    info_.settings["default_transaction_isolation"];
}

void pg_frontend::check_idle_in_transaction() {
  if (tx_ == tx::idle || !idle_since_ || session_.closed() || copy_)
    return;
  auto it = info_.settings.find("idle_in_transaction_session_timeout");
  auto ms =
    it == info_.settings.end() ? 0 : pg_settings::timeout_ms(it->second);
  if (!ms || std::chrono::steady_clock::now() - *idle_since_ <
               std::chrono::milliseconds(ms))
    return;
  // as PostgreSQL 14+: FATAL, the transaction rolled back, the
  // connection closed
  error_fields e;
  e.severity = "FATAL";
  e.sqlstate = "25P03";
  e.message = "terminating connection due to idle-in-transaction timeout";
  session_.error(e);
  session_.flush();
  session_.close_now();
  abandon();
  port_.close();
}

int64_t pg_frontend::statement_timeout_ms() const {
  auto it = info_.settings.find("statement_timeout");
  return it == info_.settings.end() ? 0 : pg_settings::timeout_ms(it->second);
}

} // namespace themis
