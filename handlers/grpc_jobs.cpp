/// themis.v1.Jobs over themisd's job API (/v1/jobs, docs/jobs.md): the
/// job manager actor does the work; these RPCs are its REST requests.

#include <nlohmann/json.hpp>

#include "handlers/grpc_json.hpp"
#include "handlers/grpc_service.hpp"
#include "themis/v1/jobs.pb.h"

namespace themis {

namespace {

namespace v1 = themis::v1;

bool bad_id(const std::string& id) {
  return id.empty() || id.size() > 128 || id.find('/') != std::string::npos ||
         id.find('?') != std::string::npos;
}

bool terminal(const std::string& s) {
  return s == "completed" || s == "failed" || s == "cancelled";
}

bool job_of(const std::string& body, v1::Job& job) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object())
    return false;
  job.set_id(j.value("job_id", ""));
  job.set_status(j.value("status", ""));
  if (j.contains("progress") && j["progress"].is_object())
    job.set_progress(j["progress"].value("rows_produced", 0.0));
  if (j.contains("error") && j["error"].is_string())
    job.set_error(j["error"].get<std::string>());
  j.erase("result"); // rows travel through Results
  struct_of(j, *job.mutable_record());
  return true;
}

responder job_reply(grpc_unary_done done) {
  return [done = std::move(done)](api_response resp) {
    auto st = grpc_status_of(resp);
    if (st.code != 0)
      return done(std::move(st), {});
    v1::Job job;
    if (!job_of(resp.body, job))
      return done({13, "unreadable job record", {}}, {});
    done({}, job.SerializeAsString());
  };
}

#define PARSE_OR_FAIL(type, var)                                               \
  type var;                                                                    \
  if (!var.ParseFromString(r.message))                                         \
    return done({3, "malformed " #type, {}}, {});
#define PARSE_JOB_OR_FAIL(var)                                                 \
  PARSE_OR_FAIL(v1::JobRequest, var)                                           \
  if (bad_id(var.id()))                                                        \
    return done({3, "id: a job id", {}}, {});

void submit(grpc_request& r, grpc_unary_done done) {
  PARSE_OR_FAIL(v1::SubmitJobRequest, in);
  nlohmann::json body = {{"query", in.query()}};
  if (in.has_bind_vars())
    body["bindVars"] = json_of(in.bind_vars());
  if (!in.idempotency_key().empty())
    body["idempotency_key"] = in.idempotency_key();
  r.rest(rest_request_of(r.call, "POST", "/v1/jobs", body.dump()),
         job_reply(std::move(done)));
}

void get(grpc_request& r, grpc_unary_done done) {
  PARSE_JOB_OR_FAIL(in);
  r.rest(rest_request_of(r.call, "GET", "/v1/jobs/" + in.id()),
         job_reply(std::move(done)));
}

/// Cancel a pending/running job (a finished one: FAILED_PRECONDITION),
/// answered with its record after the cancel.
void cancel(grpc_request& r, grpc_unary_done done) {
  PARSE_JOB_OR_FAIL(in);
  auto call = rest_request_of(r.call, "GET", "/v1/jobs/" + in.id());
  auto rest = r.rest;
  rest(call, [call, rest, id = in.id(), done](api_response resp) {
    auto st = grpc_status_of(resp);
    if (st.code != 0)
      return done(std::move(st), {});
    v1::Job job;
    if (!job_of(resp.body, job))
      return done({13, "unreadable job record", {}}, {});
    if (terminal(job.status()))
      return done({9, "job already " + job.status(), {}}, {});
    rest(rest_request_of(call, "DELETE", "/v1/jobs/" + id),
         [call, rest, id, done](api_response resp) {
           auto st = grpc_status_of(resp);
           if (st.code != 0)
             return done(std::move(st), {});
           rest(rest_request_of(call, "GET", "/v1/jobs/" + id),
                job_reply(done));
         });
  });
}

/// Delete a finished job and its result (a running one:
/// FAILED_PRECONDITION; cancel it first).
void del(grpc_request& r, grpc_unary_done done) {
  PARSE_JOB_OR_FAIL(in);
  auto call = rest_request_of(r.call, "GET", "/v1/jobs/" + in.id());
  auto rest = r.rest;
  rest(call, [call, rest, id = in.id(), done](api_response resp) {
    auto st = grpc_status_of(resp);
    if (st.code != 0)
      return done(std::move(st), {});
    v1::Job job;
    if (!job_of(resp.body, job))
      return done({13, "unreadable job record", {}}, {});
    if (!terminal(job.status()))
      return done({9, "job is " + job.status() + ": cancel it first", {}}, {});
    rest(rest_request_of(call, "DELETE", "/v1/jobs/" + id),
         [id, done](api_response resp) {
           auto st = grpc_status_of(resp);
           if (st.code != 0)
             return done(std::move(st), {});
           v1::DeleteJobResponse out;
           out.set_id(id);
           done({}, out.SerializeAsString());
         });
  });
}

/// Watch: the record now and after each change (long-polls of ?wait=2s),
/// until the job is done.
class watch_stream : public grpc_streamer,
                     public std::enable_shared_from_this<watch_stream> {
public:
  watch_stream(api_request call, rest_call rest) :
    call_(std::move(call)), rest_(std::move(rest)) {}
  void pump(const std::shared_ptr<grpc_stream_out>& out) override {
    if (out->draining())
      return out->finish({14, "server draining; watch again", {}});
    auto req = call_;
    if (!last_.empty())
      req.query = "wait=2s";
    auto self = shared_from_this();
    rest_(std::move(req), [self, out](api_response resp) {
      if (out->ended())
        return;
      auto st = grpc_status_of(resp);
      if (st.code != 0)
        return out->finish(std::move(st));
      v1::Job job;
      if (!job_of(resp.body, job))
        return out->finish({13, "unreadable job record", {}});
      auto bytes = job.SerializeAsString();
      if (bytes != self->last_)
        out->send(bytes);
      self->last_ = std::move(bytes);
      if (terminal(job.status()))
        return out->finish({});
      out->more(50);
    });
  }

private:
  api_request call_;
  rest_call rest_;
  std::string last_;
};

/// Results: the result pages in order, as ResultBatch messages; while the
/// job runs, pages come as rows are stored.
class results_stream : public grpc_streamer,
                       public std::enable_shared_from_this<results_stream> {
public:
  results_stream(api_request call, rest_call rest, uint32_t page_size) :
    call_(std::move(call)), rest_(std::move(rest)), page_size_(page_size) {}
  void pump(const std::shared_ptr<grpc_stream_out>& out) override {
    auto req = call_;
    req.query = "page_size=" + std::to_string(page_size_ ? page_size_ : 1000);
    if (!token_.empty())
      req.query += "&page_token=" + url_encode(token_);
    auto self = shared_from_this();
    rest_(std::move(req), [self, out](api_response resp) {
      if (out->ended())
        return;
      auto st = grpc_status_of(resp);
      if (st.code != 0)
        return out->finish(std::move(st));
      auto j = nlohmann::json::parse(resp.body, nullptr, false);
      if (!j.is_object() || !j.contains("result") || !j["result"].is_array())
        return out->finish({13, "unreadable result page", {}});
      v1::ResultBatch b;
      for (auto& row : j["result"])
        value_of(row, *b.add_rows());
      b.set_count(j.value("result_count", uint64_t{0}));
      bool complete = j.value("complete", false);
      b.set_has_more(!complete);
      if (b.rows_size() > 0 || complete)
        out->send(b.SerializeAsString());
      if (complete)
        return out->finish({});
      if (j.contains("next_page_token") && j["next_page_token"].is_string())
        self->token_ = j["next_page_token"].get<std::string>();
      out->more(b.rows_size() > 0 ? 0 : 100); // running: rows to come
    });
  }

private:
  api_request call_;
  rest_call rest_;
  uint32_t page_size_;
  std::string token_;
};

std::shared_ptr<grpc_streamer> watch(grpc_request& r) {
  v1::JobRequest in;
  if (!in.ParseFromString(r.message) || bad_id(in.id()))
    return grpc_failed_stream(grpc_status{3, "malformed JobRequest", {}});
  return std::make_shared<watch_stream>(
    rest_request_of(r.call, "GET", "/v1/jobs/" + in.id()), r.rest);
}

std::shared_ptr<grpc_streamer> results(grpc_request& r) {
  v1::JobResultsRequest in;
  if (!in.ParseFromString(r.message) || bad_id(in.id()))
    return grpc_failed_stream(
      grpc_status{3, "malformed JobResultsRequest", {}});
  return std::make_shared<results_stream>(
    rest_request_of(r.call, "GET", "/v1/jobs/" + in.id() + "/result"), r.rest,
    in.page_size());
}

const grpc_method methods[] = {
  {"/themis.v1.Jobs/Submit", false, submit, nullptr, nullptr},
  {"/themis.v1.Jobs/Get", false, get, nullptr, nullptr},
  {"/themis.v1.Jobs/Watch", true, nullptr, watch, nullptr},
  {"/themis.v1.Jobs/Results", true, nullptr, results, nullptr},
  {"/themis.v1.Jobs/Cancel", false, cancel, nullptr, nullptr},
  {"/themis.v1.Jobs/Delete", false, del, nullptr, nullptr},
};

} // namespace

const grpc_method* grpc_jobs_methods(size_t& n) {
  n = std::size(methods);
  return methods;
}

} // namespace themis
