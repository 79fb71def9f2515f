#pragma once
/// What tests/clients/paho_client.cpp is built from: the Paho 1.2 quirks
/// it works around, bounded checks that say expected vs got, and one
/// client class that queues messages from construction on.

#include <mqtt/async_client.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mqtt {
/// Paho C++ 1.2 fills MQTTAsync_disconnectOptions as struct version 0, so
/// the C library silently drops a v5 DISCONNECT's reason code and
/// properties (it sends reason 0x00). The library declares this class a
/// friend (for its own unit tests); here it raises the struct version.
class disconnect_options_test {
public:
  static disconnect_options v5(disconnect_options opts) {
    opts.opts_.struct_version = 1;
    return opts;
  }
};
} // namespace mqtt

namespace paho_test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using ms = std::chrono::milliseconds;

/// The longest any single wait (connect, ack, message) may take.
constexpr auto kWait = 10s;
/// The longest a whole scenario may take before the watchdog fails it.
constexpr auto kScenarioLimit = 50s;

inline std::string g_uri;
inline std::string g_scenario;
/// What the watchdog reads: the running scenario's name and deadline.
inline std::atomic<const char*> g_running{""};
inline std::atomic<long long> g_deadline_ms{0};

struct check_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Payloads can be binary or 100 KB: show them escaped and shortened.
inline std::string show(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 48; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  out += s.size() > 48 ? "...\"" : "\"";
  if (s.size() > 48)
    out += " (" + std::to_string(s.size()) + " bytes)";
  return out;
}

inline std::string show(const char* s) {
  return show(std::string(s));
}

template <class T>
inline std::string show(const T& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

inline void check(bool ok, const std::string& what) {
  if (!ok)
    throw check_failed(what);
}

template <class A, class B>
inline void expect_eq(const A& expected, const B& got,
                      const std::string& what) {
  if (!(expected == got))
    throw check_failed(what + ": expected " + show(expected) + ", got " +
                       show(got));
}

inline void ok(const std::string& what) {
  std::cout << "ok " << what << std::endl;
}

/// Paho 1.2 puts a v5 CONNACK refusal in the return code (reason code 0),
/// but a v5 SUBACK/PUBACK refusal in the reason code (return code 0); a
/// v3 refusal is in the return code. One number for all of them.
inline int code_of(const mqtt::exception& e) {
  return e.get_reason_code() ? e.get_reason_code() : e.get_return_code();
}

/// Waits for a token; a timeout is a failure, not a hang.
template <class Tok>
inline void await(const Tok& tok, const std::string& what) {
  if (!tok->wait_for(kWait))
    throw check_failed(what + ": no acknowledgement within 10 s");
}

inline std::string unique(const std::string& name) {
  return g_scenario + "-" + std::to_string(getpid()) + "-" + name;
}

/// The topic root of this run: paho/<scenario>/<pid>.
inline std::string root() {
  return "paho/" + g_scenario + "/" + std::to_string(getpid());
}

/// One MQTT connection. Messages are queued from construction on, so
/// nothing a resumed session delivers right after CONNACK is missed.
class client {
public:
  client(const std::string& id, int version) :
    version_(version), cli_(g_uri, id, mqtt::create_options(version)) {
    cli_.start_consuming();
  }
  ~client() {
    try {
      if (cli_.is_connected())
        cli_.disconnect()->wait_for(2s);
    } catch (const std::exception&) {
    }
  }

  /// Options for this client's protocol version: clean start (v5) or
  /// clean session (v3), and the session expiry (v5 only).
  mqtt::connect_options_builder options(bool clean, uint32_t expiry = 0) const {
    mqtt::connect_options_builder b;
    b.mqtt_version(version_).connect_timeout(5s).keep_alive_interval(30s);
    if (version_ == MQTTVERSION_5) {
      b.clean_start(clean);
      if (expiry)
        b.properties(
          {{mqtt::property::SESSION_EXPIRY_INTERVAL, int32_t(expiry)}});
    } else {
      b.clean_session(clean);
    }
    return b;
  }

  mqtt::token_ptr connect_async(const mqtt::connect_options& opts) {
    return cli_.connect(opts);
  }
  mqtt::connect_response connect(const mqtt::connect_options& opts) {
    auto tok = cli_.connect(opts);
    await(tok, "CONNECT");
    return tok->get_connect_response();
  }
  mqtt::connect_response connect(bool clean, uint32_t expiry = 0) {
    return connect(options(clean, expiry).finalize());
  }
  /// The refusal code of a CONNECT that must fail (0 if it succeeded).
  int connect_refusal(const mqtt::connect_options& opts) {
    try {
      connect(opts);
      return 0;
    } catch (const mqtt::exception& e) {
      return code_of(e);
    }
  }

  void disconnect(const mqtt::disconnect_options& opts = {}) {
    await(cli_.disconnect(mqtt::disconnect_options_test::v5(opts)),
          "DISCONNECT");
  }
  /// v5: disconnect and end the session now (Session Expiry 0), so a
  /// shared broker keeps nothing from this run.
  void disconnect_for_good() {
    disconnect(mqtt::disconnect_options_builder()
                 .properties({{mqtt::property::SESSION_EXPIRY_INTERVAL, 0}})
                 .finalize());
  }

  /// The SUBACK code for one filter: the granted QoS or a refusal.
  /// Paho 1.2 throws from wait() on a refusal (v3 0x80, v5 >= 0x80).
  int subscribe_code(const std::string& filter, int qos) {
    auto tok = cli_.subscribe(filter, qos);
    try {
      await(tok, "SUBSCRIBE " + filter);
      auto codes = tok->get_subscribe_response().get_reason_codes();
      check(codes.size() == 1, "SUBACK for " + filter + " has " +
                                 std::to_string(codes.size()) + " codes");
      return codes[0];
    } catch (const mqtt::exception& e) {
      return code_of(e);
    }
  }
  void subscribe(const std::string& filter, int qos) {
    expect_eq(qos, subscribe_code(filter, qos), "granted QoS for " + filter);
  }

  void publish(const std::string& topic, const std::string& payload, int qos,
               bool retained = false, const mqtt::properties& props = {}) {
    await(cli_.publish(mqtt::message_ptr_builder()
                         .topic(topic)
                         .payload(payload)
                         .qos(qos)
                         .retained(retained)
                         .properties(props)
                         .finalize()),
          "PUBLISH to " + topic);
  }
  /// The PUBACK code of a QoS 1 publish (0 when accepted); paho 1.2
  /// throws from the delivery token's wait() when it is >= 0x80.
  int publish_code(const std::string& topic, const std::string& payload) {
    try {
      publish(topic, payload, 1);
      return 0;
    } catch (const mqtt::exception& e) {
      return code_of(e);
    }
  }

  /// The next message within `timeout`, or null; a lost connection fails
  /// (paho queues a null message for it).
  mqtt::const_message_ptr next(ms timeout = kWait) {
    mqtt::const_message_ptr msg;
    if (!cli_.try_consume_message_for(&msg, timeout))
      return nullptr;
    check(msg != nullptr, "connection lost while waiting for a message");
    return msg;
  }
  /// Exactly `n` messages within 10 s (fewer is a failure).
  std::vector<mqtt::const_message_ptr> take(size_t n, const std::string& who) {
    std::vector<mqtt::const_message_ptr> got;
    auto until = steady::now() + kWait;
    while (got.size() < n) {
      auto left = std::chrono::duration_cast<ms>(until - steady::now());
      auto msg = left.count() > 0 ? next(left) : nullptr;
      if (!msg)
        throw check_failed(who + ": expected " + std::to_string(n) +
                           " messages within 10 s, got " +
                           std::to_string(got.size()));
      got.push_back(msg);
    }
    return got;
  }
  /// Fails if anything arrives within `quiet` (0: is already queued).
  void expect_nothing(ms quiet, const std::string& who) {
    if (auto msg = next(quiet))
      throw check_failed(who + ": expected no message, got " +
                         show(msg->get_payload_str()) + " on " +
                         msg->get_topic());
  }

private:
  int version_;
  mqtt::async_client cli_;
};

inline std::string version_name(int version) {
  return version == MQTTVERSION_5 ? "v5" : "v3.1.1";
}

} // namespace paho_test
