/// themis.v1.Changefeed.Subscribe over the long-poll changefeed
/// (GET /changefeed, docs/changefeeds.md): the same filters, the same
/// exclusive resume point, the same tenant scoping. One poll per pump, so
/// a subscriber that does not read stops polling (its queue is HTTP/2's
/// window, not our memory). The stream ends with the last delivered
/// sequence in the `themis-resume-after` trailer.

#include <nlohmann/json.hpp>

#include "handlers/grpc_json.hpp"
#include "handlers/grpc_service.hpp"
#include "themis/v1/changefeed.pb.h"

namespace themis {

namespace {

namespace v1 = themis::v1;

class subscribe_stream : public grpc_streamer,
                         public std::enable_shared_from_this<subscribe_stream> {
public:
  subscribe_stream(api_request call, rest_call rest, std::string filters,
                   uint64_t after) :
    call_(std::move(call)),
    rest_(std::move(rest)), filters_(std::move(filters)), after_(after) {}

  void pump(const std::shared_ptr<grpc_stream_out>& out) override {
    if (out->draining())
      return out->finish(ended(14, "server draining; resume elsewhere"));
    auto req = call_;
    req.query = "from_seq=" + std::to_string(after_) +
                "&limit=500&long_poll_ms=1000" + filters_;
    auto self = shared_from_this();
    rest_(std::move(req), [self, out](api_response resp) {
      if (out->ended())
        return;
      if (resp.status == 410) // compacted past the resume point
        return out->finish(self->ended(
          11, "resume point before the retained log; re-read and resume "
              "from the tip"));
      auto st = grpc_status_of(resp);
      if (st.code != 0) {
        auto e = self->ended(st.code, st.message);
        for (auto& t : st.trailers)
          e.trailers.push_back(t);
        return out->finish(std::move(e));
      }
      auto j = nlohmann::json::parse(resp.body, nullptr, false);
      if (!j.is_object() || !j.contains("events"))
        return out->finish(self->ended(13, "unreadable changefeed answer"));
      for (auto& e : j["events"]) {
        v1::ChangeEvent ev;
        ev.set_sequence(e.value("sequence", uint64_t{0}));
        ev.set_type(e.value("type", ""));
        ev.set_collection(e.value("collection", ""));
        ev.set_key(e.value("key", ""));
        ev.set_timestamp_ms(e.value("timestamp_ms", int64_t{0}));
        if (e.contains("value"))
          value_of(e["value"], *ev.mutable_value());
        out->send(ev.SerializeAsString());
        self->after_ = std::max(self->after_, ev.sequence());
      }
      self->after_ =
        std::max(self->after_, j.value("next_from_seq", self->after_));
      out->more(); // the next poll once the client read these
    });
  }

private:
  grpc_status ended(int code, std::string msg) {
    return {
      code, std::move(msg), {{"themis-resume-after", std::to_string(after_)}}};
  }

  api_request call_;
  rest_call rest_;
  std::string filters_;
  uint64_t after_;
};

std::shared_ptr<grpc_streamer> subscribe(grpc_request& r) {
  v1::SubscribeRequest in;
  if (!in.ParseFromString(r.message))
    return grpc_failed_stream({3, "malformed SubscribeRequest", {}});
  std::string filters;
  if (in.collections_size() > 0) {
    std::string list;
    for (auto& c : in.collections())
      list += (list.empty() ? "" : ",") + c;
    filters += "&collection=" + url_encode(list);
  }
  if (!in.key_prefix().empty())
    filters += "&key_prefix=" + url_encode(in.key_prefix());
  return std::make_shared<subscribe_stream>(
    rest_request_of(r.call, "GET", "/changefeed"), r.rest, std::move(filters),
    in.after_sequence());
}

const grpc_method methods[] = {
  {"/themis.v1.Changefeed/Subscribe", true, nullptr, subscribe, nullptr},
};

} // namespace

const grpc_method* grpc_changefeed_methods(size_t& n) {
  n = std::size(methods);
  return methods;
}

} // namespace themis
