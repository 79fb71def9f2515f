/// The ports an HTTP/3 connection actor gives handlers: the store writer
/// (with admission control and the breaker, as on TCP), query workers,
/// the job manager, long-poll waits, and SSE changefeed streams whose
/// pace follows QUIC's acknowledgements (stream_backlog: bytes sent and
/// not yet acknowledged).

#include "actors/h3_connection_state.hpp"

namespace themis::detail {

namespace {

bool engine_failed(const engine::write_result& r) {
  if (r.committed)
    return false;
  for (auto& op : r.results)
    if (op.status != engine::op_status::ok &&
        op.status != engine::op_status::created &&
        op.status != engine::op_status::not_executed &&
        op.status != engine::op_status::internal)
      return false;
  return true;
}

} // namespace

void h3_connection_state::submit(
  engine::write_batch batch, std::function<void(engine::write_result)> done) {
  auto writer = registered(*ctx->system, store_writer_name);
  if (!writer) {
    engine::write_result r;
    r.error = "store writer unavailable";
    done(std::move(r));
    return;
  }
  auto now = steady_ns();
  auto& breaker = *ctx->writer_breaker;
  const char* refused = nullptr;
  if (!ctx->writer_admission.admit(now))
    refused = "the store writer is overloaded; retry later";
  else if (!breaker.allow(now))
    refused = "the store writer circuit breaker is open; retry later";
  ctx->metrics.writer_breaker_state = static_cast<int>(breaker.state());
  if (refused) {
    engine::write_result r;
    r.error = refused;
    r.overloaded = true;
    r.retry_after_s = ctx->config.overload.retry_after_s;
    done(std::move(r));
    return;
  }
  batch.enqueued_ns = now;
  auto ticket = std::make_shared<write_ticket>(*ctx);
  auto timeout = std::chrono::milliseconds(ctx->config.http.request_timeout_ms);
  self->request(writer, timeout, write_atom::value, std::move(batch))
    .then(
      [this, done, ticket](engine::write_result& r) {
        ticket->settle(!engine_failed(r));
        ctx->metrics.writer_breaker_state =
          static_cast<int>(ctx->writer_breaker->state());
        guarded([&] { done(std::move(r)); });
        after_io();
      },
      [this, done, ticket](caf::error& err) {
        ticket->settle(false);
        ctx->metrics.writer_breaker_state =
          static_cast<int>(ctx->writer_breaker->state());
        engine::write_result r;
        r.error = "store writer did not answer: " + caf::to_string(err);
        guarded([&] { done(std::move(r)); });
        after_io();
      });
}

template <class... Ts>
void h3_connection_state::ask_response(const caf::actor& dest,
                                       caf::duration timeout, responder done,
                                       int fail_status, std::string what,
                                       Ts&&... xs) {
  self->request(dest, timeout, std::forward<Ts>(xs)...)
    .then(
      [this, done](api_response& r) {
        guarded([&] { done(std::move(r)); });
        after_io();
      },
      [this, done, fail_status, what](caf::error& err) {
        guarded([&] {
          auto r = error_response(fail_status, what + caf::to_string(err));
          if (fail_status == 503)
            r.set_header("Retry-After", "1");
          done(std::move(r));
        });
        after_io();
      });
}

void h3_connection_state::run_blocking(
  std::function<api_response(blocking_writer&)> work, responder done) {
  auto worker = spawn_work_runner(*ctx->system, ctx, std::move(work));
  ask_response(worker, caf::duration{caf::infinite}, std::move(done), 500,
               "query worker failed: ", run_atom::value);
}

void h3_connection_state::on_limit_answer(uint64_t id, std::string& body) {
  auto it = limit_waits.find(id);
  if (it == limit_waits.end())
    return;
  auto done = std::move(it->second);
  limit_waits.erase(it);
  api_response r;
  r.body = std::move(body);
  guarded([&] { done(std::move(r)); });
  after_io();
}

void h3_connection_state::ask(service_id which, api_request req,
                              responder done) {
  if (which == service_id::rate_limit) { // issue 25 (actors/redis_limiter)
    auto id = next_limit++;
    if (!ask_redis_limit(req.body, caf::actor_cast<caf::actor>(self), id)) {
      done(error_response(503, "rate limiter unavailable"));
      return;
    }
    limit_waits.emplace(id, std::move(done));
    return;
  }
  auto svc = registered(*ctx->system, jobs_manager_name);
  if (!svc) {
    auto r = error_response(503, "job manager unavailable");
    r.set_header("Retry-After", "1");
    done(std::move(r));
    return;
  }
  auto timeout = std::chrono::seconds(ctx->config.jobs.max_wait_s + 30);
  ask_response(svc, caf::duration{timeout}, std::move(done), 503,
               "job manager did not answer: ", ask_atom::value, std::move(req));
}

void h3_connection_state::wait_after(uint64_t after, uint32_t timeout_ms,
                                     std::function<void(bool)> done) {
  auto hub = registered(*ctx->system, changefeed_hub_name);
  if (!hub || ctx->metrics.draining) {
    done(false);
    return;
  }
  auto id = next_wait++;
  waits.emplace(id, std::move(done));
  auto fire = [this, id] {
    auto it = waits.find(id);
    if (it == waits.end())
      return;
    auto f = std::move(it->second);
    waits.erase(it);
    guarded([&] { f(true); });
    after_io();
  };
  self
    ->request(hub, std::chrono::milliseconds(timeout_ms), wait_atom::value,
              after, timeout_ms)
    .then([fire](uint64_t) { fire(); }, [fire](caf::error&) { fire(); });
}

void h3_connection_state::wake_all_waits() {
  auto all = std::move(waits);
  waits.clear();
  for (auto& [id, f] : all)
    f(false);
}

// -- SSE streams --------------------------------------------------------------

void h3_connection_state::start_stream(std::shared_ptr<stream_handler> h,
                                       uint32_t tick_ms) {
  if (stream || channel) {
    // one changefeed per connection (as on TCP): end the newcomer
    session->stream_data(current_id,
                         "event: error\ndata: {\"error\":true,\"message\":"
                         "\"one stream per connection\"}\n\n");
    session->stream_end(current_id);
    return;
  }
  auto hub = registered(*ctx->system, changefeed_hub_name);
  auto gen = ++stream_gen;
  stream = active_stream{current_id, gen, h, tick_ms, hub, false, {}, 0};
  if (!hub || ctx->metrics.draining) {
    h->on_shutdown(*this,
                   hub ? "server shutting down" : "changefeed unavailable");
    return;
  }
  self->monitor(hub);
  self
    ->request(hub, std::chrono::seconds(10), subscribe_atom::value,
              caf::actor_cast<caf::actor>(self))
    .then(
      [this, gen](uint64_t tip) {
        if (!is_current(gen) || stream->subscribed)
          return;
        auto h = stream->handler;
        guarded([&] { h->on_subscribed(*this, tip); });
        continue_backfill(gen);
        after_io();
      },
      [this, gen](caf::error&) {
        if (!is_current(gen))
          return;
        auto h = stream->handler;
        guarded([&] { h->on_shutdown(*this, "changefeed unavailable"); });
        after_io();
      });
  self->delayed_send(self, std::chrono::milliseconds(tick_ms),
                     stream_tick_atom::value, gen);
}

void h3_connection_state::continue_backfill(uint64_t gen) {
  if (!is_current(gen))
    return;
  // the next page once the client acknowledged the last one
  if (session->stream_backlog(stream->id) > 0) {
    self->delayed_send(self, std::chrono::milliseconds(5), backfill_atom::value,
                       gen);
    return;
  }
  auto h = stream->handler;
  bool more = false;
  guarded([&] { more = h->backfill(*this); });
  if (!is_current(gen))
    return;
  if (more) {
    self->send(self, backfill_atom::value, gen);
    return;
  }
  stream->subscribed = true;
  auto early = std::move(stream->early);
  stream->early_events = 0;
  for (auto& b : early)
    if (is_current(gen))
      guarded([&] { h->on_events(*this, *b); });
}

void h3_connection_state::on_publish(const published_batch& b) {
  if (auto c = channel) {
    c->on_publish(b);
    return;
  }
  if (!stream)
    return;
  if (!stream->subscribed) {
    stream->early.push_back(b);
    stream->early_events += b->events.size();
    if (stream->early_events > ctx->config.changefeed.max_queue_events) {
      auto h = stream->handler;
      guarded([&] {
        h->on_shutdown(*this, "overflow: live events during the backfill",
                       true);
      });
    }
    return;
  }
  auto h = stream->handler;
  guarded([&] { h->on_events(*this, *b); });
}

void h3_connection_state::on_stream_tick(uint64_t gen) {
  if (!is_current(gen))
    return;
  auto h = stream->handler;
  guarded([&] { h->on_tick(*this); });
  if (is_current(gen))
    self->delayed_send(self, std::chrono::milliseconds(stream->tick_ms),
                       stream_tick_atom::value, gen);
}

void h3_connection_state::shutdown_stream(const std::string& why) {
  if (!stream)
    return;
  auto h = stream->handler;
  guarded([&] { h->on_shutdown(*this, why); });
}

void h3_connection_state::write(std::string bytes) {
  if (!stream)
    return;
  auto c = stream_coders.find(stream->id);
  if (c == stream_coders.end())
    session->stream_data(stream->id, bytes);
  else
    session->stream_data(stream->id, c->second->add(bytes));
}

void h3_connection_state::end() {
  if (!stream)
    return;
  auto id = stream->id;
  if (stream->hub) {
    self->demonitor(stream->hub.address());
    self->send(stream->hub, unsub_atom::value,
               caf::actor_cast<caf::actor>(self));
  }
  stream.reset(); // callers hold their own reference to the handler
  auto c = stream_coders.find(id);
  if (c != stream_coders.end()) {
    session->stream_data(id, c->second->finish());
    stream_coders.erase(c);
  }
  session->stream_end(id);
}

size_t h3_connection_state::queued() const {
  return stream ? session->stream_backlog(stream->id) : 0;
}

} // namespace themis::detail
