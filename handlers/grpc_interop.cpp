/// grpc.testing.TestService, the gRPC interop test service (grpc's
/// doc/interop-test-descriptions.md), behind grpc.interop_test_service:
/// official interop clients test our gRPC stack (framing, streaming in
/// every direction, status and metadata echo, compression) against it. It
/// touches no data and needs no credentials; it is off by default.

#include <chrono>
#include <deque>

#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "grpc/testing/test.pb.h"
#include "handlers/grpc_service.hpp"

namespace themis {

namespace {

namespace gt = grpc::testing;
using clock = std::chrono::steady_clock;

/// One payload or all responses a call has queued: what a hostile request
/// may make us hold (int32 sizes would allow 2 GiB).
constexpr int32_t max_payload = 16 << 20;
constexpr size_t max_queued = 100000;
constexpr size_t max_buffered = 16u << 20; ///< HalfDuplexCall's requests

grpc_status bad(std::string why) {
  return {3, std::move(why), {}}; // INVALID_ARGUMENT
}

/// The interop metadata echo: x-grpc-test-echo-initial goes back as
/// initial metadata, x-grpc-test-echo-trailing-bin as trailing metadata.
header_list echo_trailing(const api_request& call) {
  header_list t;
  if (auto v = call.header("x-grpc-test-echo-trailing-bin"))
    t.emplace_back("x-grpc-test-echo-trailing-bin", *v);
  return t;
}

void echo_initial(const api_request& call, grpc_reply_options& reply) {
  if (auto v = call.header("x-grpc-test-echo-initial"))
    reply.metadata.emplace_back("x-grpc-test-echo-initial", *v);
}

bool payload_of(int32_t size, gt::Payload& p, grpc_status& st) {
  if (size < 0 || size > max_payload) {
    st = {size < 0 ? 3 : 8, "response size out of range (0-16 MiB)", {}};
    return false;
  }
  p.set_type(gt::COMPRESSABLE);
  p.mutable_body()->assign(static_cast<size_t>(size), '\0');
  return true;
}

void empty_call(grpc_request& r, grpc_unary_done done) {
  gt::Empty in;
  if (!in.ParseFromString(r.message))
    return done(bad("malformed grpc.testing.Empty"), {});
  echo_initial(r.call, *r.reply);
  done({0, {}, echo_trailing(r.call)}, gt::Empty().SerializeAsString());
}

void unary_call(grpc_request& r, grpc_unary_done done) {
  gt::SimpleRequest in;
  if (!in.ParseFromString(r.message))
    return done(bad("malformed grpc.testing.SimpleRequest"), {});
  echo_initial(r.call, *r.reply);
  if (in.expect_compressed().value() && !r.compressed)
    return done(bad("expected a compressed request message"), {});
  if (in.has_response_compressed())
    r.reply->compress = in.response_compressed().value();
  auto trailers = echo_trailing(r.call);
  if (in.response_status().code() != 0)
    return done({in.response_status().code(), in.response_status().message(),
                 std::move(trailers)},
                {});
  gt::SimpleResponse out;
  grpc_status st;
  if (!payload_of(in.response_size(), *out.mutable_payload(), st))
    return done(std::move(st), {});
  if (in.fill_server_id())
    out.set_server_id("themisd");
  done({0, {}, std::move(trailers)}, out.SerializeAsString());
}

/// The responses a call owes (StreamingOutputCall, FullDuplexCall,
/// HalfDuplexCall): each `interval_us` after the previous one, one per
/// pump so HTTP/2 flow control paces us; once the input ended and the
/// queue is empty, the call ends with the status asked for (or OK).
class response_stream : public grpc_duplex,
                        public std::enable_shared_from_this<response_stream> {
public:
  enum class mode { output, full, half, input };

  response_stream(const grpc_request& r, mode m) :
    reply_(r.reply), mode_(m), trailers_(echo_trailing(r.call)),
    input_done_(m == mode::output) {
    echo_initial(r.call, *reply_);
  }

  /// StreamingOutputCall's one request, before the first pump.
  bool start(const std::string& message) { return queue(message); }

  void message(std::string msg, bool compressed,
               const std::shared_ptr<grpc_stream_out>& out) override {
    if (failed_.code != 0 || status_.code != 0)
      return; // (ends once what is queued went out)
    if (mode_ == mode::input) {
      gt::StreamingInputCallRequest in;
      if (!in.ParseFromString(msg))
        return fail(out, bad("malformed StreamingInputCallRequest"));
      if (in.expect_compressed().value() && !compressed)
        return fail(out, bad("expected a compressed request message"));
      aggregated_ += in.payload().body().size();
      return;
    }
    if (mode_ == mode::half) {
      buffered_bytes_ += msg.size();
      if (buffered_bytes_ > max_buffered)
        return fail(out, {8, "HalfDuplexCall buffers at most 16 MiB", {}});
      held_.push_back(std::move(msg));
      return;
    }
    if (!queue(msg))
      return fail(out, failed_);
    pump(out);
  }

  void end(const std::shared_ptr<grpc_stream_out>& out) override {
    input_done_ = true;
    if (failed_.code != 0)
      return;
    if (mode_ == mode::input) {
      gt::StreamingInputCallResponse resp;
      resp.set_aggregated_payload_size(static_cast<int32_t>(aggregated_));
      out->send(resp.SerializeAsString());
      out->finish({0, {}, trailers_});
      return;
    }
    for (auto& m : held_)
      if (!queue(m))
        return fail(out, failed_);
    held_.clear();
    pump(out);
  }

  void pump(const std::shared_ptr<grpc_stream_out>& out) override {
    if (out->ended() || failed_.code != 0)
      return;
    if (out->draining() && mode_ != mode::input)
      return fail(out, {14, "server draining", {}}); // (UNAVAILABLE)
    if (queue_.empty()) {
      if (input_done_ || status_.code != 0) {
        auto st = status_;
        st.trailers = trailers_;
        out->finish(std::move(st));
      }
      return;
    }
    auto now = clock::now();
    auto& next = queue_.front();
    auto due = last_ + std::chrono::microseconds(next.interval_us);
    if (now < due) {
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(due - now)
                  .count();
      out->more(static_cast<uint32_t>((us + 999) / 1000));
      return;
    }
    gt::StreamingOutputCallResponse resp;
    grpc_status st;
    if (!payload_of(next.size, *resp.mutable_payload(), st))
      return fail(out, std::move(st));
    out->send(resp.SerializeAsString(), next.compress);
    last_ = clock::now();
    queue_.pop_front();
    out->more(0);
  }

private:
  struct pending {
    int32_t size;
    int32_t interval_us;
    bool compress;
  };

  /// A StreamingOutputCallRequest's responses join the queue; its
  /// response_status ends the call after them.
  bool queue(const std::string& msg) {
    gt::StreamingOutputCallRequest in;
    if (!in.ParseFromString(msg)) {
      failed_ = bad("malformed StreamingOutputCallRequest");
      return false;
    }
    if (queue_.size() + in.response_parameters_size() > max_queued) {
      failed_ = {8, "too many responses queued", {}};
      return false;
    }
    for (auto& p : in.response_parameters()) {
      if (p.size() < 0 || p.size() > max_payload || p.interval_us() < 0) {
        failed_ = bad("response size (0-16 MiB) or interval out of range");
        return false;
      }
      bool compress = !p.has_compressed() || p.compressed().value();
      if (p.compressed().value())
        reply_->compress = true; // the call answers in a coding
      queue_.push_back({p.size(), p.interval_us(), compress});
    }
    if (in.response_status().code() != 0)
      status_ = {
        in.response_status().code(), in.response_status().message(), {}};
    return true;
  }

  void fail(const std::shared_ptr<grpc_stream_out>& out, grpc_status st) {
    failed_ = st;
    st.trailers = trailers_;
    out->finish(std::move(st));
  }

  std::shared_ptr<grpc_reply_options> reply_;
  mode mode_;
  header_list trailers_;
  bool input_done_;
  std::deque<pending> queue_;
  std::vector<std::string> held_;
  size_t buffered_bytes_ = 0;
  uint64_t aggregated_ = 0;
  clock::time_point last_ = clock::now();
  grpc_status status_; ///< asked for by a request (response_status)
  grpc_status failed_; ///< ended with an error already
};

std::shared_ptr<grpc_streamer> streaming_output(grpc_request& r) {
  auto s = std::make_shared<response_stream>(r, response_stream::mode::output);
  if (!s->start(r.message))
    return grpc_failed_stream(bad("malformed StreamingOutputCallRequest or "
                                  "response parameters out of range"));
  return s;
}

template <response_stream::mode M>
std::shared_ptr<grpc_duplex> duplex_of(grpc_request& r) {
  return std::make_shared<response_stream>(r, M);
}

using mode = response_stream::mode;

const grpc_method methods[] = {
  {"/grpc.testing.TestService/EmptyCall", false, empty_call},
  {"/grpc.testing.TestService/UnaryCall", false, unary_call},
  {"/grpc.testing.TestService/CacheableUnaryCall", false, unary_call},
  {"/grpc.testing.TestService/StreamingOutputCall", true, nullptr,
   streaming_output},
  {"/grpc.testing.TestService/StreamingInputCall", false, nullptr, nullptr,
   nullptr, duplex_of<mode::input>},
  {"/grpc.testing.TestService/FullDuplexCall", true, nullptr, nullptr, nullptr,
   duplex_of<mode::full>},
  {"/grpc.testing.TestService/HalfDuplexCall", true, nullptr, nullptr, nullptr,
   duplex_of<mode::half>},
  // UnimplementedCall is left out on purpose: UNIMPLEMENTED, as the
  // interop test unimplemented_method expects
};

} // namespace

/// test.proto declares services only (no C++ types use it): this
/// externally visible reference links its descriptors in, so reflection
/// and the Connect GET check find TestService in the generated pool.
extern const void* const grpc_interop_test_proto;
const void* const grpc_interop_test_proto =
  &descriptor_table_grpc_2ftesting_2ftest_2eproto;

const grpc_method* grpc_interop_methods(size_t& n) {
  n = std::size(methods);
  return methods;
}

} // namespace themis
