/// The audit log over HTTP (issue 9): ThemisDB's /api/audit (pages by
/// page/page_size with its filters and entry shape, issue 34) and
/// /api/audit/export/csv (its 12 columns); themisd's own cursor-paged
/// shape on /api/v1/audit. Records are themisd's; ThemisDB's fields are
/// derived from them (docs/security.md).

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>

#include "engine/security/audit_log.hpp"
#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

/// RFC 4180 field; a leading = + - @ (a spreadsheet formula) gets a quote
/// first, so an attacker's user name cannot run in the auditor's sheet.
std::string csv_field(const std::string& v) {
  std::string s = v;
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' ||
                     s[0] == '\t' || s[0] == '\r'))
    s.insert(s.begin(), '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

/// Admin (global, or of its tenant) with an audit log; else answered.
bool audit_allowed(route_context& ctx) {
  if (!ctx.req.who.is_admin()) {
    ctx.respond(error_response(403, "this needs the admin scope"));
    return false;
  }
  if (!ctx.env.audit) {
    ctx.respond(error_response(404, "no audit log"));
    return false;
  }
  return true;
}

bool parse_int(std::string_view v, int64_t& out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && !v.empty();
}

/// ThemisDB's time parameter: epoch ms if all digits, else ISO 8601
/// `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` (or a bare date).
bool parse_time(const std::string& v, int64_t& ms) {
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos)
    return parse_int(v, ms);
  std::tm tm{};
  int n = 0;
  if (std::sscanf(v.c_str(), "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &n) != 3)
    return false;
  size_t i = static_cast<size_t>(n);
  int64_t frac = 0;
  if (i < v.size()) {
    int m = 0;
    if ((v[i] != 'T' && v[i] != ' ') ||
        std::sscanf(v.c_str() + i + 1, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min,
                    &tm.tm_sec, &m) != 3)
      return false;
    i += 1 + static_cast<size_t>(m);
    if (i < v.size() && v[i] == '.') {
      size_t d = 0;
      for (++i; i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]));
           ++i, ++d)
        if (d < 3)
          frac = frac * 10 + (v[i] - '0');
      for (; d < 3; ++d)
        frac *= 10;
    }
  }
  int64_t offset_s = 0;
  if (i < v.size() && v[i] == 'Z') {
    ++i;
  } else if (i < v.size() && (v[i] == '+' || v[i] == '-')) {
    int hh = 0, mm = 0, m = 0;
    if (std::sscanf(v.c_str() + i + 1, "%2d:%2d%n", &hh, &mm, &m) != 2)
      return false;
    offset_s = (v[i] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    i += 1 + static_cast<size_t>(m);
  }
  if (i != v.size() || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
      tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  ms = (static_cast<int64_t>(timegm(&tm)) - offset_s) * 1000 + frac;
  return true;
}

std::string utc(int64_t ms, const char* fmt) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), fmt, &tm);
  return buf;
}

bool icontains(const std::string& hay, const std::string& needle) {
  if (needle.empty())
    return true;
  auto lower = [](std::string s) {
    for (auto& c : s)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  return lower(hay).find(lower(needle)) != std::string::npos;
}

/// ThemisDB's view of a themisd record: the entity is the action's first
/// part (`key.create` → `key`) and, when the detail names it (`key 1f2e…
/// for bob`), the word after it.
struct entity_ref {
  std::string type, id;
};
entity_ref entity_of(const engine::audit_event& e) {
  entity_ref r;
  r.type = e.action.substr(0, e.action.find('.'));
  if (!r.type.empty() && e.detail.rfind(r.type + " ", 0) == 0) {
    auto from = r.type.size() + 1;
    r.id = e.detail.substr(from, e.detail.find_first_of(" :", from) - from);
  }
  return r;
}

json or_null(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

json entry_of(const engine::audit_event& e) {
  auto ent = entity_of(e);
  bool ok = e.outcome == "ok";
  return {{"id", e.seq},
          {"timestamp", utc(e.ts_ms, "%Y-%m-%dT%H:%M:%SZ")},
          {"user", e.user.empty() ? "system" : e.user},
          {"action", e.action.empty() ? "UNKNOWN" : e.action},
          {"entityType", ent.type},
          {"entityId", ent.id},
          {"oldValue", nullptr},
          {"newValue", nullptr},
          {"success", ok},
          {"ipAddress", or_null(e.remote)},
          {"sessionId", or_null(e.request_id)},
          {"errorMessage", ok ? json(nullptr) : json(e.detail)},
          // themisd's own fields, kept beside ThemisDB's
          {"seq", e.seq},
          {"ts_ms", e.ts_ms},
          {"outcome", e.outcome},
          {"protocol", e.protocol},
          {"tenant", e.tenant},
          {"remote", e.remote},
          {"request_id", e.request_id},
          {"detail", e.detail}};
}

/// ThemisDB's filters (and themisd's `tenant`, `after`) from the query;
/// false after answering 400.
struct audit_query {
  engine::audit_filter f;
  std::string entity_type, entity_id;
};
bool read_filters(route_context& ctx, audit_query& q) {
  auto& who = ctx.req.who;
  auto param = [&](const char* n) {
    return query_param(ctx.req.query, n).value_or("");
  };
  // a global admin reads everything, or one tenant with ?tenant=
  q.f.all = who.tenant.empty();
  q.f.tenant = who.tenant;
  if (q.f.all)
    if (auto t = query_param(ctx.req.query, "tenant")) {
      q.f.tenant = *t;
      q.f.all = false;
    }
  for (auto [name, out] :
       {std::pair{"start", &q.f.from_ms}, std::pair{"end", &q.f.to_ms}}) {
    auto v = param(name);
    if (!v.empty() && !parse_time(v, *out)) {
      ctx.respond(error_response(
        400, std::string(name) + " must be epoch milliseconds or ISO 8601 "
                                 "(2025-01-31T12:00:00Z)"));
      return false;
    }
  }
  uint64_t after = 0;
  if (auto a = query_param(ctx.req.query, "after");
      a && !parse_uint(*a, after)) {
    ctx.respond(error_response(400, "after must be a sequence number"));
    return false;
  }
  q.f.after_seq = static_cast<int64_t>(after);
  q.f.user = param("user");
  q.f.action = param("action");
  auto ok = param("success");
  q.f.only_ok = ok == "true" || ok == "1" || ok == "yes";
  q.entity_type = param("entity_type");
  q.entity_id = param("entity_id");
  return true;
}

bool entity_matches(const audit_query& q, const engine::audit_event& e) {
  if (q.entity_type.empty() && q.entity_id.empty())
    return true;
  auto ent = entity_of(e);
  return icontains(ent.type, q.entity_type) && icontains(ent.id, q.entity_id);
}

/// themisd's own listing: cursor pages in sequence order, or its CSV.
void audit_list_own(route_context& ctx) {
  auto& who = ctx.req.who;
  uint64_t after = 0, limit = 1000;
  if (auto a = query_param(ctx.req.query, "after"); a && !parse_uint(*a, after))
    return ctx.respond(error_response(400, "after must be a sequence number"));
  if (auto l = query_param(ctx.req.query, "limit");
      l && (!parse_uint(*l, limit) || limit == 0 || limit > 10000))
    return ctx.respond(
      error_response(400, "limit must be an integer in [1, 10000]"));
  // a global admin reads everything, or one tenant with ?tenant=
  bool all = who.tenant.empty();
  std::string tenant = who.tenant;
  if (all)
    if (auto t = query_param(ctx.req.query, "tenant")) {
      tenant = *t;
      all = false;
    }
  auto action = query_param(ctx.req.query, "action").value_or("");
  auto events = ctx.env.audit->list(static_cast<int64_t>(after), limit, tenant,
                                    all, action);
  auto format = query_param(ctx.req.query, "format").value_or("json");
  auto accept = ctx.req.header("Accept");
  if (format == "csv" ||
      (accept && accept->find("text/csv") != std::string::npos)) {
    std::string out = "seq,ts_ms,action,outcome,protocol,user,tenant,remote,"
                      "request_id,detail\r\n";
    for (auto& e : events)
      out += std::to_string(e.seq) + "," + std::to_string(e.ts_ms) + "," +
             csv_field(e.action) + "," + csv_field(e.outcome) + "," +
             csv_field(e.protocol) + "," + csv_field(e.user) + "," +
             csv_field(e.tenant) + "," + csv_field(e.remote) + "," +
             csv_field(e.request_id) + "," + csv_field(e.detail) + "\r\n";
    api_response r;
    r.status = 200;
    r.body = std::move(out);
    r.set_header("Content-Type", "text/csv; charset=utf-8; header=present");
    r.set_header("Content-Disposition", "attachment; filename=\"audit.csv\"");
    return ctx.respond(std::move(r));
  }
  if (format != "json")
    return ctx.respond(error_response(400, "format must be json or csv"));
  json arr = json::array();
  for (auto& e : events)
    arr.push_back({{"seq", e.seq},
                   {"ts_ms", e.ts_ms},
                   {"action", e.action},
                   {"outcome", e.outcome},
                   {"protocol", e.protocol},
                   {"user", e.user},
                   {"tenant", e.tenant},
                   {"remote", e.remote},
                   {"request_id", e.request_id},
                   {"detail", e.detail}});
  json out = {{"events", arr},
              {"next_after", events.size() == limit ? json(events.back().seq)
                                                    : json(nullptr)}};
  ctx.respond(json_response(200, dump(out)));
}

} // namespace

void audit_list(route_context& ctx) {
  if (!audit_allowed(ctx))
    return;
  // /api/v1/audit, and themisd's CSV on /api/audit (?format=csv, Accept)
  auto accept = ctx.req.header("Accept");
  if (ctx.req.path.rfind("/api/v1/", 0) == 0 ||
      query_param(ctx.req.query, "format") ||
      (accept && accept->find("text/csv") != std::string::npos))
    return audit_list_own(ctx);
  audit_query q;
  if (!read_filters(ctx, q))
    return;
  // ThemisDB clamps out-of-range numbers; text that is no number is a 400
  int64_t page = 1, size = 100;
  for (auto [name, out] :
       {std::pair{"page", &page}, std::pair{"page_size", &size},
        std::pair{"limit", &size}}) {
    auto v = query_param(ctx.req.query, name);
    if (v && !parse_int(*v, *out))
      return ctx.respond(
        error_response(400, std::string(name) + " must be an integer"));
  }
  page = std::max<int64_t>(page, 1);
  size = std::clamp<int64_t>(size, 1, 1000);
  constexpr auto max = std::numeric_limits<int64_t>::max();
  int64_t skip = page - 1 > max / size ? max : (page - 1) * size, total = 0;
  json entries = json::array();
  ctx.env.audit->scan(q.f, [&](const engine::audit_event& e) {
    if (!entity_matches(q, e))
      return true;
    if (total >= skip && total - skip < size)
      entries.push_back(entry_of(e));
    ++total;
    return true;
  });
  json out = {{"entries", std::move(entries)},
              {"totalCount", total},
              {"page", page},
              {"pageSize", size},
              {"hasMore", skip < total && total - skip > size}};
  ctx.respond(json_response(200, dump(out)));
}

void audit_export_csv(route_context& ctx) {
  if (!audit_allowed(ctx))
    return;
  audit_query q;
  if (!read_filters(ctx, q))
    return;
  // every filtered row, newest first, up to the export bound
  constexpr int64_t max_rows = 100000;
  std::string out = "Id,Timestamp,User,Action,EntityType,EntityId,OldValue,"
                    "NewValue,Success,IpAddress,SessionId,ErrorMessage\n";
  int64_t rows = 0;
  bool truncated = false;
  ctx.env.audit->scan(q.f, [&](const engine::audit_event& e) {
    if (!entity_matches(q, e))
      return true;
    if (rows == max_rows) {
      truncated = true;
      return false;
    }
    ++rows;
    auto ent = entity_of(e);
    bool ok = e.outcome == "ok";
    out += std::to_string(e.seq) + "," + utc(e.ts_ms, "%Y-%m-%d %H:%M:%S") +
           "," + csv_field(e.user.empty() ? "system" : e.user) + "," +
           csv_field(e.action.empty() ? "UNKNOWN" : e.action) + "," +
           csv_field(ent.type) + "," + csv_field(ent.id) + ",,," +
           (ok ? "true" : "false") + "," + csv_field(e.remote) + "," +
           csv_field(e.request_id) + "," + (ok ? "" : csv_field(e.detail)) +
           "\n";
    return true;
  });
  api_response r;
  r.status = 200;
  r.body = std::move(out);
  r.set_header("Content-Type", "text/csv");
  r.set_header("Content-Disposition",
               "attachment; filename=themis_audit_export.csv");
  if (truncated)
    r.set_header("X-Export-Truncated", "true");
  ctx.respond(std::move(r));
}

} // namespace themis
