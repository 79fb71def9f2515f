/// grpc.health.v1.Health: Check and Watch over GET /health/ready (engine
/// open, listeners up, not draining). "" and every service we serve are
/// known; another name is NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch).

#include "grpc/health/v1/health.pb.h"
#include "handlers/grpc_service.hpp"

namespace themis {

namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

bool known_service(const std::string& s) {
  for (auto n : {"", "themis.v1.Documents", "themis.v1.Query", "themis.v1.Jobs",
                 "themis.v1.Changefeed", "grpc.health.v1.Health"})
    if (s == n)
      return true;
  return false;
}

std::string reply_of(HealthCheckResponse::ServingStatus st) {
  HealthCheckResponse r;
  r.set_status(st);
  return r.SerializeAsString();
}

api_request ready_request(const api_request& call) {
  return rest_request_of(call, "GET", "/health/ready");
}

void check(grpc_request& r, grpc_unary_done done) {
  HealthCheckRequest in;
  if (!in.ParseFromString(r.message))
    return done({3, "malformed HealthCheckRequest", {}}, {});
  if (!known_service(in.service()))
    return done({5, "unknown service " + in.service(), {}}, {});
  r.rest(ready_request(r.call), [done](api_response resp) {
    if (resp.status == 401 || resp.status == 403 || resp.status == 429)
      return done(grpc_status_of(resp), {});
    done({}, reply_of(resp.status == 200 ? HealthCheckResponse::SERVING
                                         : HealthCheckResponse::NOT_SERVING));
  });
}

/// Sends the status now and whenever it changes (checked every 250 ms);
/// on drain NOT_SERVING, then the stream ends UNAVAILABLE.
class health_watch : public grpc_streamer,
                     public std::enable_shared_from_this<health_watch> {
public:
  health_watch(const api_request& call, rest_call rest, bool known) :
    call_(rest_request_of(call, "GET", "/health/ready")),
    rest_(std::move(rest)), known_(known) {}

  void pump(const std::shared_ptr<grpc_stream_out>& out) override {
    if (!known_) {
      send(out, HealthCheckResponse::SERVICE_UNKNOWN);
      out->more(1000);
      return;
    }
    if (out->draining()) {
      send(out, HealthCheckResponse::NOT_SERVING);
      out->finish({14, "server draining", {}});
      return;
    }
    auto self = shared_from_this();
    rest_(call_, [self, out](api_response resp) {
      if (out->ended())
        return;
      if (resp.status == 401 || resp.status == 403)
        return out->finish(grpc_status_of(resp));
      self->send(out, resp.status == 200 ? HealthCheckResponse::SERVING
                                         : HealthCheckResponse::NOT_SERVING);
      out->more(250);
    });
  }

private:
  void send(const std::shared_ptr<grpc_stream_out>& out,
            HealthCheckResponse::ServingStatus st) {
    if (st == last_)
      return;
    last_ = st;
    out->send(reply_of(st));
  }

  api_request call_;
  rest_call rest_;
  bool known_;
  HealthCheckResponse::ServingStatus last_ = HealthCheckResponse::UNKNOWN;
};

std::shared_ptr<grpc_streamer> watch(grpc_request& r) {
  HealthCheckRequest in;
  in.ParseFromString(r.message);
  return std::make_shared<health_watch>(r.call, r.rest,
                                        known_service(in.service()));
}

const grpc_method methods[] = {
  {"/grpc.health.v1.Health/Check", false, check, nullptr, nullptr},
  {"/grpc.health.v1.Health/Watch", true, nullptr, watch, nullptr},
};

} // namespace

const grpc_method* grpc_health_methods(size_t& n) {
  n = std::size(methods);
  return methods;
}

} // namespace themis
