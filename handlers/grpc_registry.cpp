/// The gRPC method table and what every service shares: the REST request
/// a call runs as, and the gRPC status of a REST answer.

#include <atomic>
#include <charconv>
#include <optional>

#include <nlohmann/json.hpp>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "handlers/grpc_service.hpp"
#include "handlers/request_deadline.hpp"
#include "themis/base64.hpp"

namespace themis {

namespace {
/// Process-wide like the method tables it gates (one themisd per process);
/// set once at start from grpc.interop_test_service.
std::atomic<bool> interop_on{false};
} // namespace

void set_grpc_interop_service(bool on) {
  interop_on.store(on);
}

bool grpc_interop_service() {
  return interop_on.load();
}

const grpc_method* find_grpc_method(std::string_view path) {
  using table_fn = const grpc_method* (*)(size_t&);
  static constexpr table_fn tables[] = {
    grpc_health_methods, grpc_reflection_methods, grpc_documents_methods,
    grpc_query_methods,  grpc_jobs_methods,       grpc_changefeed_methods,
    grpc_interop_methods};
  for (auto t : tables) {
    if (t == grpc_interop_methods && !grpc_interop_service())
      continue; // off: UNIMPLEMENTED like any unknown method
    size_t n = 0;
    auto* ms = t(n);
    for (size_t i = 0; i < n; ++i)
      if (ms[i].path == path)
        return &ms[i];
  }
  return nullptr;
}

namespace {
class failed_stream : public grpc_streamer {
public:
  explicit failed_stream(grpc_status st) : st_(std::move(st)) {}
  void pump(const std::shared_ptr<grpc_stream_out>& out) override {
    out->finish(st_);
  }

private:
  grpc_status st_;
};
} // namespace

std::shared_ptr<grpc_streamer> grpc_failed_stream(grpc_status st) {
  return std::make_shared<failed_stream>(std::move(st));
}

api_request rest_request_of(const api_request& call, std::string method,
                            std::string path, std::string body) {
  api_request r;
  r.method = std::move(method);
  auto q = path.find('?');
  if (q != std::string::npos) {
    r.query = path.substr(q + 1);
    path.resize(q);
  }
  r.path = std::move(path);
  r.remote_addr = call.remote_addr;
  r.client_cert = call.client_cert;
  // credentials and identity travel as metadata; the protocol's own
  // headers (content-type application/grpc, te, grpc-*) do not
  for (auto& [k, v] : call.headers)
    if (iequals(k, "authorization") || iequals(k, "x-api-key") ||
        iequals(k, "x-request-id") || iequals(k, "traceparent") ||
        iequals(k, "x-tenant-id") || iequals(k, "idempotency-key") ||
        iequals(k, deadline_header))
      r.headers.emplace_back(k, v);
  if (!body.empty()) {
    r.headers.emplace_back("content-type", "application/json");
    r.body = std::move(body);
  }
  return r;
}

/// google.rpc.Code of an HTTP status (docs/grpc.md has the table).
static int grpc_code_of_http(int status) {
  if ((status >= 200 && status < 300) || status == 304)
    return 0;
  switch (status) {
    case 400:
    case 413:
    case 414:
    case 422:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
    case 410:
      return 5; // NOT_FOUND
    case 405:
    case 501:
      return 12; // UNIMPLEMENTED
    case 408:
    case 504:
      return 4; // DEADLINE_EXCEEDED
    case 409:
      return 6; // ALREADY_EXISTS
    case 412:
    case 428:
      return 9; // FAILED_PRECONDITION
    case 429:
    case 507:
      return 8; // RESOURCE_EXHAUSTED
    case 499:
      return 1; // CANCELLED
    case 502:
    case 503:
      return 14; // UNAVAILABLE
    default:
      return status >= 500 ? 13 : 2; // INTERNAL, UNKNOWN
  }
}

namespace {

/// "#/a/0/b~1c" (a JSON Pointer of the validator) → "a[0].b/c", the
/// field path google.rpc.BadRequest uses.
std::string field_of(const std::string& pointer) {
  std::string out;
  size_t i = pointer.rfind("#", 0) == 0 ? 1 : 0;
  while (i < pointer.size() && pointer[i] == '/') {
    auto j = pointer.find('/', i + 1);
    auto tok = pointer.substr(
      i + 1, (j == std::string::npos ? pointer.size() : j) - i - 1);
    std::string t;
    for (size_t k = 0; k < tok.size(); ++k)
      if (tok[k] == '~' && k + 1 < tok.size())
        t += tok[++k] == '1' ? '/' : '~';
      else
        t += tok[k];
    bool index =
      !t.empty() && t.find_first_not_of("0123456789") == std::string::npos;
    out += index ? "[" + t + "]" : (out.empty() ? "" : ".") + t;
    if (j == std::string::npos)
      break;
    i = j;
  }
  return out;
}

/// google.rpc.Status with the details the answer has — a BadRequest with
/// one field violation per validation error (problem+json `errors`), a
/// RetryInfo from Retry-After — base64 for grpc-status-details-bin;
/// nothing when it has none. Its code and message are the call's own.
std::optional<std::string> status_details(const grpc_status& s,
                                          const nlohmann::json& body,
                                          const api_response& resp) {
  google::rpc::Status st;
  st.set_code(s.code);
  st.set_message(s.message);
  if (body.is_object() && body.contains("errors") &&
      body["errors"].is_array()) {
    google::rpc::BadRequest bad;
    for (auto& e : body["errors"]) {
      if (!e.is_object() || bad.field_violations_size() >= 20)
        continue;
      auto* v = bad.add_field_violations();
      v->set_field(field_of(e.value("pointer", std::string())));
      v->set_description(e.value("detail", std::string()));
    }
    if (bad.field_violations_size() > 0)
      st.add_details()->PackFrom(bad);
  }
  if (auto ra = resp.header("Retry-After")) {
    int64_t secs = 0;
    auto [p, ec] = std::from_chars(ra->data(), ra->data() + ra->size(), secs);
    if (ec == std::errc() && p == ra->data() + ra->size() && secs >= 0) {
      google::rpc::RetryInfo retry;
      retry.mutable_retry_delay()->set_seconds(secs);
      st.add_details()->PackFrom(retry);
    }
  }
  if (st.details_size() == 0)
    return std::nullopt;
  return base64_encode(st.SerializeAsString());
}

} // namespace

grpc_status grpc_status_of(const api_response& resp) {
  grpc_status s;
  s.code = grpc_code_of_http(resp.status);
  if (s.code == 0)
    return s;
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string())
    s.message = j["message"].get<std::string>();
  else
    s.message = "HTTP " + std::to_string(resp.status);
  // retry information of 429/503 (RESOURCE_EXHAUSTED, UNAVAILABLE)
  if (auto ra = resp.header("Retry-After"))
    s.trailers.emplace_back("retry-after", *ra);
  if (auto details = status_details(s, j, resp))
    s.trailers.emplace_back("grpc-status-details-bin", std::move(*details));
  if (auto www = resp.header("WWW-Authenticate"))
    s.trailers.emplace_back("www-authenticate", *www);
  return s;
}

} // namespace themis
