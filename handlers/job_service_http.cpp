#include "handlers/job_service.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "engine/aql/parser.hpp"
#include "engine/names.hpp"
#include "handlers/cursor_store.hpp"
#include "handlers/http_json.hpp"
#include "handlers/job_service_util.hpp"
#include "handlers/query_common.hpp"

// The /v2/jobs (ThemisDB's shapes) and /v1/jobs (themisd's) requests:
// submit, list, status (with long-poll), result pages, cancel/delete, and
// the answers to deferred requests. Job state
// changes live in job_service.cpp.

namespace themis {

namespace {

using json = nlohmann::json;
using detail::iso8601;
using detail::terminal;

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    auto j = path.find('/', i);
    if (j == std::string::npos)
      j = path.size();
    if (j > i)
      out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

/// `?wait=5`, `5s`, `1.5s`, `500ms` → milliseconds; nullopt if malformed.
std::optional<uint64_t> parse_wait(std::string v) {
  double scale = 1000;
  if (v.size() > 2 && v.compare(v.size() - 2, 2, "ms") == 0) {
    scale = 1;
    v.resize(v.size() - 2);
  } else if (!v.empty() && v.back() == 's') {
    v.pop_back();
  }
  if (v.empty() || v.size() > 12)
    return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (*end != '\0' || !(d >= 0) || std::isinf(d))
    return std::nullopt;
  return static_cast<uint64_t>(d * scale);
}

std::optional<int64_t> parse_token(const api_request& req, const char* name,
                                   std::optional<api_response>& bad) {
  auto t = query_param(req.query, name);
  if (!t || t->empty())
    return 0;
  uint64_t v = 0;
  if (!parse_uint(*t, v) || v > (1ull << 62)) {
    bad = error_response(400, std::string("invalid ") + name);
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

/// X-Correlation-ID when it is a sane token, else the request's id (so
/// the job's answers and the server's logs name the same thing).
std::string correlation_id(const api_request& req) {
  if (auto h = req.header("X-Correlation-ID");
      h && !h->empty() && h->size() <= 128 &&
      std::all_of(h->begin(), h->end(),
                  [](char c) { return c > 0x20 && c < 0x7f; }))
    return *h;
  return req.request_id;
}

api_response cancelled_answer(const std::string& id,
                              const std::string& status) {
  return json_response(200, dump({{"job_id", id},
                                  {"message", "Cancellation requested"},
                                  {"status", status}}));
}

} // namespace

std::optional<api_response> job_service::handle(const api_request& req,
                                                deferred& later) {
  auto s = segments(req.path); // v1|v2 jobs [id [result]]
  // /v2/jobs is ThemisDB's path and answers in its shapes; /v1/jobs is
  // themisd's own (docs/jobs.md)
  bool compat = s[0] == "v2";
  auto base = "/" + s[0] + "/jobs/";
  if (s.size() == 2) {
    if (req.method == "POST")
      return submit(req, base, compat);
    // themisd's paging parameters ask for its paged shape (themisctl and
    // other themisd clients); ThemisDB's list takes none
    bool paged = query_param(req.query, "limit") ||
                 query_param(req.query, "page_token") ||
                 query_param(req.query, "status");
    return compat && !paged ? list_compat(req) : list(req);
  }
  auto it = jobs_.find(s[2]);
  // another owner's job is answered as missing: its id says nothing
  if (it == jobs_.end() ||
      !req.who.sees(it->second.rec.owner_user, it->second.rec.owner_tenant))
    return error_response(
      404, (compat ? "Job not found: " : "job not found: ") + s[2]);
  auto& e = it->second;
  if (s.size() == 4)
    return result_page(req, e);
  if (req.method == "DELETE")
    return compat ? cancel_compat(e, later) : remove(e, later);
  auto record = [&] {
    return json_response(200,
                         dump(compat ? render_compat(e, true) : render(e)));
  };
  if (auto w = query_param(req.query, "wait")) {
    // checked whatever the job's state: a malformed wait is the caller's
    // error even when nothing would be waited for (issue 28)
    auto ms = parse_wait(*w);
    if (!ms)
      return error_response(400, "wait must be seconds, e.g. wait=10s");
    if (terminal(e.rec.status))
      return record();
    auto cap = uint64_t{cfg_.jobs.max_wait_s} * 1000;
    if (*ms > 0) {
      later = {e.rec.id, e.rec.status,
               static_cast<uint32_t>(std::min(*ms, cap)), false, compat};
      return std::nullopt;
    }
  }
  return record();
}

api_response job_service::submit(const api_request& req,
                                 const std::string& base, bool compat) {
  query_request qr;
  if (auto bad = read_query_request(req, qr))
    return std::move(*bad);
  auto& jc = cfg_.jobs;
  int64_t ttl = static_cast<int64_t>(jc.default_ttl_s);
  if (auto t = qr.body.find("ttl_seconds");
      t != qr.body.end() && !t->is_null()) {
    if (!t->is_number_unsigned() || t->get<uint64_t>() == 0 ||
        t->get<uint64_t>() > jc.max_ttl_s)
      return error_response(400, "ttl_seconds must be an integer in [1, " +
                                   std::to_string(jc.max_ttl_s) + "]");
    ttl = t->get<int64_t>();
  }
  std::string key;
  if (auto k = qr.body.find("idempotency_key");
      k != qr.body.end() && !k->is_null()) {
    if (!k->is_string() || k->get_ref<const std::string&>().empty() ||
        k->get_ref<const std::string&>().size() > 256)
      return error_response(
        400, "idempotency_key must be a string of 1 to 256 characters");
    key = k->get<std::string>();
  } else if (auto h = req.header("Idempotency-Key")) {
    key = *h;
  }
  if (!key.empty()) {
    // idempotency keys are the submitter's own: the same key from another
    // user or tenant is another job
    auto found = by_key_.find(idem_index(req.who.tenant, req.who.user, key));
    if (found != by_key_.end() && jobs_.count(found->second)) {
      auto& e = jobs_.at(found->second);
      if (e.rec.query != qr.query ||
          json::parse(e.rec.bind_vars, nullptr, false) != qr.bind_vars)
        return error_response(422,
                              "idempotency_key was used for a different query");
      auto out = compat ? render_compat(e, false) : render(e);
      if (compat)
        out["correlation_id"] = correlation_id(req);
      auto r = json_response(202, dump(out));
      r.set_header("Location", base + e.rec.id);
      r.set_header("Idempotent-Replayed", "true");
      return r;
    }
  }
  try {
    aql::parse(qr.query); // a syntax error answers now, not as a failed job
  } catch (const aql::aql_error& e) {
    return aql_error_response(e);
  }
  if (auto quota = tenant_job_quota(req.who.tenant)) {
    size_t active = 0;
    for (auto& [id, j] : jobs_)
      if (j.rec.owner_tenant == req.who.tenant &&
          (j.rec.status == "pending" || j.rec.status == "running"))
        ++active;
    if (active >= quota) {
      auto r = error_response(
        429, "tenant " + req.who.tenant + " has " + std::to_string(active) +
               " active jobs; its quota is " + std::to_string(quota));
      r.body = dump({{"error", true},
                     {"message", "tenant job quota exceeded"},
                     {"status_code", 429},
                     {"tenant_id", req.who.tenant},
                     {"quota", "jobs"},
                     {"limit", quota},
                     {"retry_after_seconds", 5}});
      r.set_header("Retry-After", "5");
      return r;
    }
  }
  if (queue_.size() >= jc.max_pending) {
    auto r = error_response(503, "too many pending jobs; retry later");
    r.set_header("Retry-After", "5");
    return r;
  }
  entry e;
  // 128 random bits (CSPRNG): an id is no hint to anyone else's job
  e.rec.id = "job-" + random_handle(16);
  e.rec.seq = next_seq_++;
  e.rec.query = qr.query;
  e.rec.bind_vars = dump(qr.bind_vars);
  e.rec.idempotency_key = key;
  e.rec.ttl_s = ttl;
  e.rec.created_ms = now_();
  e.rec.owner_user = req.who.user;
  e.rec.owner_tenant = req.who.tenant;
  e.traceparent = req.traceparent; // the run joins the submitter's trace
  store_->insert(e.rec);
  auto id = e.rec.id;
  if (!key.empty())
    by_key_[idem_index(req.who.tenant, req.who.user, key)] = id;
  auto& stored = jobs_.emplace(id, std::move(e)).first->second;
  queue_.push_back(id);
  json out;
  if (compat) {
    // ThemisDB answers the accepted (pending) job; it may start below
    out = render_compat(stored, false);
    out["correlation_id"] = correlation_id(req);
  }
  start_next();
  if (!compat)
    out = render(jobs_.at(id));
  auto r = json_response(202, dump(out));
  r.set_header("Location", base + id);
  if (compat)
    r.set_header("X-Correlation-ID", out["correlation_id"].get<std::string>());
  return r;
}

api_response job_service::result_page(const api_request& req, entry& e) {
  auto& r = e.rec;
  if (r.expired)
    return error_response(410, "the result of job " + r.id + " expired at " +
                                 iso8601(r.expires_ms).get<std::string>());
  if (r.status == "failed" || r.status == "cancelled")
    return error_response(409, "job " + r.id + " is " + r.status +
                                 (r.error.empty() ? "" : ": " + r.error) +
                                 "; it has no result");
  std::optional<api_response> bad;
  auto from = parse_token(req, "page_token", bad);
  if (!from)
    return std::move(*bad);
  uint64_t size = cfg_.jobs.page_size;
  if (auto ps = query_param(req.query, "page_size")) {
    if (!parse_uint(*ps, size) || size == 0 || size > cfg_.jobs.max_page_size)
      return error_response(400, "page_size must be an integer in [1, " +
                                   std::to_string(cfg_.jobs.max_page_size) +
                                   "]");
  }
  int64_t available = e.progress ? e.progress->stored.load() : r.result_count;
  // Only rows already reported as stored: a page never changes once seen.
  auto n = static_cast<size_t>(std::max<int64_t>(
    0, std::min<int64_t>(static_cast<int64_t>(size), available - *from)));
  auto rows = n > 0 ? store_->rows(r.id, *from, n) : std::vector<std::string>{};
  auto next = *from + static_cast<int64_t>(rows.size());
  bool complete = r.status == "completed" && next >= available;
  std::string body = "{\"job_id\":" + dump(r.id) +
                     ",\"status\":" + dump(r.status) + ",\"result\":[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i)
      body.push_back(',');
    body += rows[i];
  }
  body += "],\"result_count\":" + std::to_string(available);
  body += ",\"complete\":";
  body += complete ? "true" : "false";
  body += ",\"next_page_token\":";
  body += complete ? "null" : dump(std::to_string(next));
  body += "}";
  return json_response(200, std::move(body));
}

std::optional<api_response> job_service::remove(entry& e, deferred& later) {
  auto& r = e.rec;
  if (r.status == "pending") {
    cancel_pending(e);
    return json_response(200, dump(render(e)));
  }
  if (r.status == "running") {
    e.progress->run.cancel.store(true);
    later = {r.id, "running", 2000, true};
    return std::nullopt;
  }
  auto id = r.id;
  if (!r.idempotency_key.empty())
    by_key_.erase(idem_index(r.owner_tenant, r.owner_user, r.idempotency_key));
  store_->delete_job(id);
  jobs_.erase(id);
  api_response resp;
  resp.status = 204;
  return resp;
}

std::optional<api_response> job_service::cancel_compat(entry& e,
                                                       deferred& later) {
  auto& r = e.rec;
  if (terminal(r.status)) {
    // ThemisDB never deletes through DELETE: a finished job is a conflict
    // (themisd's /v1/jobs removes the record instead)
    return json_response(
      409, dump({{"error", true},
                 {"job_id", r.id},
                 {"message", "Job already in terminal state: " + r.status},
                 {"status", r.status},
                 {"status_code", 409}}));
  }
  if (r.status == "pending") {
    cancel_pending(e);
    return cancelled_answer(r.id, r.status);
  }
  e.progress->run.cancel.store(true);
  // held until the runner stops (at most 2 s), then answered with the
  // status it reached: "cancelled", or "running" if it is still stopping
  later = {r.id, "running", 2000, true, true};
  return std::nullopt;
}

bool job_service::ready(const deferred& d) const {
  auto it = jobs_.find(d.id);
  return it == jobs_.end() || it->second.rec.status != d.status_seen;
}

api_response job_service::answer(const deferred& d) {
  auto it = jobs_.find(d.id);
  if (it == jobs_.end())
    return error_response(404, "job not found: " + d.id);
  if (d.compat)
    return d.is_cancel
             ? cancelled_answer(d.id, it->second.rec.status)
             : json_response(200, dump(render_compat(it->second, true)));
  if (d.is_cancel && it->second.rec.status == "running")
    return json_response(202, dump(render(it->second))); // still stopping
  return json_response(200, dump(render(it->second)));
}

api_response job_service::list(const api_request& req) {
  std::optional<api_response> bad;
  auto after = parse_token(req, "page_token", bad);
  if (!after)
    return std::move(*bad);
  auto status = query_param(req.query, "status").value_or("");
  if (!status.empty() && status != "pending" && status != "running" &&
      !terminal(status))
    return error_response(400, "status must be pending, running, completed, "
                               "failed or cancelled");
  uint64_t limit = 100;
  if (auto l = query_param(req.query, "limit"))
    if (!parse_uint(*l, limit) || limit == 0 || limit > 1000)
      return error_response(400, "limit must be an integer in [1, 1000]");
  json arr = json::array();
  int64_t last = *after;
  // pages of the store until `limit` visible jobs (others' are skipped)
  for (bool more = true; more && arr.size() < limit;) {
    auto page = store_->list(status, last, limit);
    more = page.size() == limit;
    for (auto& r : page) {
      last = r.seq;
      auto it = jobs_.find(r.id);
      if (it == jobs_.end() || !req.who.sees(r.owner_user, r.owner_tenant))
        continue;
      arr.push_back(render(it->second));
      if (arr.size() == limit)
        break;
    }
  }
  json out = {{"jobs", arr},
              {"next_page_token", arr.size() == limit
                                    ? json(std::to_string(last))
                                    : json(nullptr)}};
  return json_response(200, dump(out));
}

api_response job_service::list_compat(const api_request& req) {
  // ThemisDB's list has no paging: the caller's newest 1,000 jobs in
  // submission order (older ones stay reachable by id and on /v1/jobs)
  constexpr size_t max_listed = 1000;
  std::vector<const entry*> mine;
  for (auto& [id, e] : jobs_)
    if (req.who.sees(e.rec.owner_user, e.rec.owner_tenant))
      mine.push_back(&e);
  std::sort(mine.begin(), mine.end(),
            [](auto* a, auto* b) { return a->rec.seq < b->rec.seq; });
  auto from = mine.size() > max_listed ? mine.size() - max_listed : 0;
  json arr = json::array();
  for (auto i = from; i < mine.size(); ++i)
    arr.push_back(render_compat(*mine[i], false));
  return json_response(200, dump(arr));
}

} // namespace themis
