/// The broker's background actors: its clock ($SYS statistics, session
/// expiry, delayed wills, periodic saving) and the publisher of database
/// change events on MQTT topics.

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include "actors/messages.hpp"
#include "actors/mqtt_broker.hpp"
#include "actors/mqtt_connection.hpp"
#include "actors/server_context.hpp"
#include "handlers/change_filter.hpp"
#include "protocols/mqtt/mqtt_namespace.hpp"

#ifndef THEMIS_VERSION_STRING
#define THEMIS_VERSION_STRING "0.1.0"
#endif

namespace themis {

namespace {

/// The broker's clock: once a second it expires sessions and publishes
/// due wills; every `sys_interval` the $SYS statistics; and every
/// `mqtt.persist_interval_ms`, when something changed, it saves the
/// broker state through the store writer (so a crash loses at most that
/// much of it).
caf::behavior mqtt_sys(caf::event_based_actor* self,
                       std::shared_ptr<server_context> ctx,
                       std::chrono::seconds sys_interval) {
  using clock = std::chrono::steady_clock;
  auto started = clock::now();
  auto next_sys = std::make_shared<clock::time_point>(started);
  auto next_save = std::make_shared<clock::time_point>(started);
  auto saving = std::make_shared<bool>(false);
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      auto& broker = *ctx->mqtt;
      broker.tick();
      auto now = clock::now();
      if (now >= *next_sys) {
        auto up =
          std::chrono::duration_cast<std::chrono::seconds>(now - started);
        broker.publish_sys(THEMIS_VERSION_STRING, up.count());
        *next_sys = now + sys_interval;
      }
      auto every = ctx->config.mqtt.persist_interval_ms;
      auto writer = ::themis::registered(self->system(), store_writer_name);
      if (every && now >= *next_save && broker.dirty() && !*saving && writer) {
        *next_save = now + std::chrono::milliseconds(every);
        broker.mark_saved(); // changes from here on make it dirty again
        *saving = true;
        self
          ->request(writer, std::chrono::seconds(30), save_blob_atom::value,
                    std::string("mqtt"), broker.snapshot())
          .then(
            [=](bool ok) {
              *saving = false;
              if (!ok)
                ctx->mqtt->mark_dirty();
            },
            [=](caf::error&) {
              *saving = false;
              ctx->mqtt->mark_dirty();
            });
      }
      auto step = std::chrono::milliseconds(
        every ? std::clamp<uint32_t>(every, 50, 1000) : 1000);
      self->delayed_send(self, step, tick_atom::value);
    },
  };
}

/// Publishes every committed change as `{prefix}{collection}` (QoS 1, the
/// changefeed's JSON event as payload), so devices can follow the
/// database. Subscribes to the changefeed hub and again after the hub
/// restarts.
caf::behavior mqtt_changes(caf::event_based_actor* self,
                           std::shared_ptr<server_context> ctx) {
  auto prefix = ctx->config.mqtt.changes_prefix;
  auto hub = std::make_shared<caf::actor>();
  self->set_down_handler([=](caf::down_msg&) {
    *hub = nullptr; // the hub restarted: subscribe to the new one
    self->delayed_send(self, std::chrono::milliseconds(100),
                       subscribe_atom::value);
  });
  self->send(self, subscribe_atom::value);
  return {
    [=](subscribe_atom) {
      auto h = ::themis::registered(self->system(), changefeed_hub_name);
      if (!h) {
        self->delayed_send(self, std::chrono::milliseconds(100),
                           subscribe_atom::value);
        return;
      }
      *hub = h;
      self->monitor(h);
      self
        ->request(h, std::chrono::seconds(10), subscribe_atom::value,
                  caf::actor_cast<caf::actor>(self))
        .then([](uint64_t) {},
              [=](caf::error&) {
                self->delayed_send(self, std::chrono::milliseconds(100),
                                   subscribe_atom::value);
              });
    },
    [=](publish_atom, const published_batch& b) {
      for (size_t i = 0; i < b->events.size(); ++i) {
        if (b->events[i].is_marker())
          continue; // $changes carries document changes only
        mqtt::message m;
        auto& coll = b->events[i].collection;
        auto dot = coll.find('.');
        if (dot == std::string::npos) {
          m.topic = prefix + coll;
          m.payload = b->json()[i];
        } else {
          // a tenant's change goes to its own tree, under its own names
          auto tenant = coll.substr(0, dot);
          auto local = coll.substr(dot + 1);
          m.topic = mqtt::tenant_root(tenant) + prefix + local;
          m.payload = event_json(b->events[i], true, &local);
        }
        m.qos = 1;
        m.props.content_type = "application/json";
        m.props.payload_format = 1;
        ctx->mqtt->publish(m, "");
      }
    },
  };
}

} // namespace

caf::actor spawn_mqtt_sys(caf::actor_system& sys,
                          std::shared_ptr<server_context> ctx) {
  auto s = std::max<uint32_t>(1, ctx->config.mqtt.sys_interval_s);
  return sys.spawn(mqtt_sys, ctx, std::chrono::seconds(s));
}

caf::actor spawn_mqtt_changes(caf::actor_system& sys,
                              std::shared_ptr<server_context> ctx) {
  return sys.spawn(mqtt_changes, std::move(ctx));
}

} // namespace themis
