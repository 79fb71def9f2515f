/// GET /api/audit: the audit log as JSON pages or CSV (issue 9).

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

} // namespace

void audit_list(route_context& ctx) {
  auto& who = ctx.req.who;
  if (!who.is_admin())
    return ctx.respond(error_response(403, "this needs the admin scope"));
  if (!ctx.env.audit)
    return ctx.respond(error_response(404, "no audit log"));
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

} // namespace themis
