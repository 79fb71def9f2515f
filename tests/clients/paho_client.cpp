/// An Eclipse Paho MQTT C++ (1.2) client that exercises themisd's MQTT
/// broker the way applications do, over 3.1.1 and 5.0: QoS round trips,
/// retained messages, resumed sessions, topic aliases, message expiry,
/// shared subscriptions, ACLs and delayed wills.
/// Usage: paho_client <scenario|all> <port>   (broker on 127.0.0.1)
/// Prints one line per check and fails a scenario at its first failed
/// check (expected vs got); exits 1 if any scenario failed. Every wait is
/// bounded, and a watchdog ends a stuck scenario. Client ids and topics
/// carry the scenario name and pid, so scenarios can share one broker
/// (acl_v5 uses fixed ids: its ACL names them).

#include "paho_support.hpp"

namespace {

using namespace paho_test;

/// Connects clean sessions in parallel. Paho C 1.3 serves all clients
/// from one thread that polls with a 1 s timeout and only then notices a
/// new socket, so each connect after a process's first takes 1-2 s;
/// connecting together pays that once.
void connect_all(const std::vector<client*>& clients) {
  std::vector<mqtt::token_ptr> toks;
  for (auto* c : clients)
    toks.push_back(c->connect_async(c->options(true).finalize()));
  for (const auto& t : toks)
    await(t, "CONNECT");
}

/// QoS 0, 1 and 2 with text, binary (zero bytes) and 100 KB payloads to
/// subscribers at QoS 0, 1 and 2: each arrives once, intact, on its
/// topic, at min(publish QoS, subscription QoS).
void roundtrip(int version) {
  std::vector<std::unique_ptr<client>> subs;
  for (int sq = 0; sq <= 2; ++sq)
    subs.push_back(
      std::make_unique<client>(unique("sub" + std::to_string(sq)), version));
  client pub(unique("pub"), version);
  connect_all({subs[0].get(), subs[1].get(), subs[2].get(), &pub});
  for (int sq = 0; sq <= 2; ++sq)
    subs[sq]->subscribe(root() + "/#", sq);
  ok(version_name(version) + " subscribers on " + root() +
     "/# granted QoS 0, 1, 2");

  const std::string binary("\0bin\0\xff\x01\0", 8);
  std::string big(100 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>('a' + i % 26);
  struct sent {
    std::string topic, payload;
    int qos;
  };
  std::vector<sent> all;
  for (int q = 0; q <= 2; ++q) {
    auto tag = std::to_string(q);
    all.push_back({root() + "/q" + tag + "/text", "text at qos " + tag, q});
    all.push_back({root() + "/q" + tag + "/binary", binary + tag, q});
    all.push_back({root() + "/q" + tag + "/big", big + tag, q});
  }
  for (const auto& m : all)
    pub.publish(m.topic, m.payload, m.qos);
  ok("published " + std::to_string(all.size()) +
     " messages (QoS 0/1/2 x text/binary/100 KB)");

  std::vector<std::vector<mqtt::const_message_ptr>> got;
  for (int sq = 0; sq <= 2; ++sq)
    got.push_back(
      subs[sq]->take(all.size(), "subscriber at QoS " + std::to_string(sq)));
  std::this_thread::sleep_for(500ms); // time for any duplicate to arrive
  for (int sq = 0; sq <= 2; ++sq) {
    auto who = "subscriber at QoS " + std::to_string(sq);
    subs[sq]->expect_nothing(0ms, who + " (duplicates)");
    auto& mine = got[sq];
    for (const auto& m : all) {
      auto it = std::find_if(mine.begin(), mine.end(), [&](const auto& g) {
        return g->get_topic() == m.topic;
      });
      check(it != mine.end(), who + ": nothing on " + m.topic);
      expect_eq(m.payload, (*it)->get_payload_str(),
                who + " payload on " + m.topic);
      expect_eq(std::min(m.qos, sq), (*it)->get_qos(),
                who + " QoS on " + m.topic);
      mine.erase(it);
    }
    ok(who + ": every message once, intact, QoS min(pub, sub)");
  }
}

/// A retained message reaches later subscribers flagged retained (live
/// ones unflagged); an empty retained payload clears it.
void retained() {
  const auto topic = root() + "/r";
  client live(unique("live"), MQTTVERSION_3_1_1),
    pub(unique("pub"), MQTTVERSION_3_1_1), late(unique("late"), MQTTVERSION_5),
    later(unique("later"), MQTTVERSION_5);
  connect_all({&live, &pub, &late, &later});
  live.subscribe(topic, 1);
  pub.publish(topic, "keep me", 1, true);
  auto msg = live.take(1, "live subscriber").front();
  expect_eq("keep me", msg->get_payload_str(), "live payload");
  expect_eq(false, msg->is_retained(), "retain flag to a live subscriber");
  ok("live v3 subscriber got it with the retain flag clear");

  late.subscribe(root() + "/#", 1);
  msg = late.take(1, "late subscriber").front();
  expect_eq(topic, msg->get_topic(), "retained topic");
  expect_eq("keep me", msg->get_payload_str(), "retained payload");
  expect_eq(true, msg->is_retained(), "retain flag to a new subscriber");
  ok("new v5 subscriber got the retained message, flagged retained");

  pub.publish(topic, "", 1, true);
  msg = live.take(1, "live subscriber (empty retained)").front();
  expect_eq("", msg->get_payload_str(), "empty retained to live subscriber");
  ok("the empty retained publish reached the live subscriber");
  later.subscribe(root() + "/#", 1);
  later.expect_nothing(1s, "subscriber after the clear");
  ok("an empty retained payload cleared it");
}

/// A session kept across a disconnect gets the QoS 1 messages published
/// meanwhile, in order, and CONNACK says the session is present.
void session_resume(int version) {
  const auto topic = root() + "/t";
  client a(unique("A"), version), pub(unique("pub"), version);
  auto tok = a.connect_async(a.options(false, 300).finalize());
  connect_all({&pub});
  await(tok, "CONNECT");
  expect_eq(false, tok->get_connect_response().is_session_present(),
            "first CONNACK session present");
  a.subscribe(topic, 1);
  a.disconnect();
  ok(version_name(version) + " persistent client subscribed and left");

  for (int i = 0; i < 5; ++i)
    pub.publish(topic, "m" + std::to_string(i), 1);
  pub.disconnect(); // with no client connected, paho reconnects at once
  ok("published 5 QoS 1 messages while it was away");

  auto rsp = a.connect(false, 300);
  expect_eq(true, rsp.is_session_present(), "resumed CONNACK session present");
  auto got = a.take(5, "resumed client");
  for (int i = 0; i < 5; ++i)
    expect_eq("m" + std::to_string(i), got[i]->get_payload_str(),
              "message " + std::to_string(i) + " in order");
  a.expect_nothing(500ms, "resumed client (duplicates)");
  ok("reconnect: session present, all 5 delivered in order");

  if (version == MQTTVERSION_5)
    a.disconnect_for_good();
}

/// A v5 DISCONNECT's Session Expiry Interval replaces the CONNECT's: 0
/// ends the session there and then, and what is published next is lost.
void disconnect_expiry_v5() {
  const auto topic = root() + "/t";
  client a(unique("A"), MQTTVERSION_5), pub(unique("pub"), MQTTVERSION_5);
  auto tok = a.connect_async(a.options(true, 300).finalize());
  connect_all({&pub});
  await(tok, "CONNECT");
  a.subscribe(topic, 1);
  a.disconnect_for_good();
  pub.publish(topic, "lost", 1);
  pub.disconnect(); // with no client connected, paho reconnects at once
  ok("session (expiry 300) left with DISCONNECT Session Expiry 0");

  auto rsp = a.connect(false, 300);
  expect_eq(false, rsp.is_session_present(),
            "CONNACK session present after DISCONNECT with expiry 0");
  a.expect_nothing(1s, "reconnected client");
  a.disconnect_for_good();
  ok("the session had ended: not present, nothing queued");
}

/// Aliases set, reused with an empty topic, and rebound: the subscriber
/// always sees the full topic name and no alias.
void topic_alias_v5() {
  const auto a = root() + "/a", b = root() + "/b";
  client sub(unique("sub"), MQTTVERSION_5), pub(unique("pub"), MQTTVERSION_5);
  auto tok = pub.connect_async(pub.options(true).finalize());
  connect_all({&sub});
  await(tok, "CONNECT");
  const auto props = tok->get_connect_response().get_properties();
  int max_alias =
    props.contains(mqtt::property::TOPIC_ALIAS_MAXIMUM)
      ? mqtt::get<uint16_t>(props, mqtt::property::TOPIC_ALIAS_MAXIMUM)
      : 0;
  check(max_alias >= 2, "CONNACK Topic Alias Maximum is " +
                          std::to_string(max_alias) + ", need >= 2");
  ok("CONNACK Topic Alias Maximum " + std::to_string(max_alias));
  sub.subscribe(root() + "/#", 1);

  struct step {
    std::string topic;
    int alias;
    std::string means;
  };
  const std::vector<step> steps = {{a, 1, a},  {"", 1, a}, {b, 2, b},
                                   {"", 2, b}, {"", 1, a}, {b, 1, b},
                                   {"", 1, b}};
  for (size_t i = 0; i < steps.size(); ++i)
    pub.publish(steps[i].topic, "p" + std::to_string(i), 1, false,
                {{mqtt::property::TOPIC_ALIAS, steps[i].alias}});
  ok("published with aliases 1 and 2: set, empty topic, rebound");

  auto got = sub.take(steps.size(), "subscriber");
  for (size_t i = 0; i < steps.size(); ++i) {
    auto n = std::to_string(i);
    expect_eq("p" + n, got[i]->get_payload_str(), "payload " + n);
    expect_eq(steps[i].means, got[i]->get_topic(), "topic of message " + n);
    check(!got[i]->get_properties().contains(mqtt::property::TOPIC_ALIAS),
          "message " + n +
            " carries a topic alias the subscriber never allowed");
  }
  ok("subscriber got every message on its full topic name");
}

/// Queued messages expire while the subscriber is away; a survivor
/// carries its remaining lifetime.
void message_expiry_v5() {
  const auto topic = root() + "/e";
  client s(unique("sub"), MQTTVERSION_5), pub(unique("pub"), MQTTVERSION_5);
  auto tok = s.connect_async(s.options(true, 300).finalize());
  connect_all({&pub});
  await(tok, "CONNECT");
  s.subscribe(topic, 1);
  s.disconnect();
  pub.publish(topic, "X", 1, false,
              {{mqtt::property::MESSAGE_EXPIRY_INTERVAL, 1}});
  pub.publish(topic, "Y", 1, false,
              {{mqtt::property::MESSAGE_EXPIRY_INTERVAL, 100}});
  pub.disconnect(); // with no client connected, paho reconnects at once
  ok("queued X (expiry 1 s) and Y (expiry 100 s) for an offline session");
  std::this_thread::sleep_for(2500ms);

  auto rsp = s.connect(false, 300);
  expect_eq(true, rsp.is_session_present(), "CONNACK session present");
  auto y = s.take(1, "resumed subscriber").front();
  expect_eq("Y", y->get_payload_str(), "first message after 2.5 s");
  s.expect_nothing(1s, "resumed subscriber (X expired)");
  const auto& props = y->get_properties();
  check(props.contains(mqtt::property::MESSAGE_EXPIRY_INTERVAL),
        "Y has no Message Expiry Interval");
  auto left =
    mqtt::get<uint32_t>(props, mqtt::property::MESSAGE_EXPIRY_INTERVAL);
  check(left >= 95 && left <= 100,
        "Y's remaining expiry: expected 95..100, got " + std::to_string(left));
  ok("only Y arrived, with " + std::to_string(left) + " s left");
  s.disconnect_for_good();
}

/// Two members of one share group split the messages (each once, both
/// some); a plain subscriber gets all; a lone member gets everything.
void shared_v5() {
  const auto topic = root() + "/t";
  const auto share = "$share/g1/" + topic;
  client s1(unique("S1"), MQTTVERSION_5), s2(unique("S2"), MQTTVERSION_5),
    n(unique("N"), MQTTVERSION_5), pub(unique("pub"), MQTTVERSION_5);
  connect_all({&s1, &s2, &n, &pub});
  s1.subscribe(share, 1);
  s2.subscribe(share, 1);
  n.subscribe(topic, 1);
  ok("S1 and S2 in " + share + ", N on " + topic);

  for (int i = 0; i < 20; ++i)
    pub.publish(topic, "m" + std::to_string(i), 1);
  auto all = n.take(20, "N");
  for (int i = 0; i < 20; ++i)
    expect_eq("m" + std::to_string(i), all[i]->get_payload_str(),
              "N's message " + std::to_string(i));
  ok("N got all 20 in order");

  std::map<std::string, int> seen;
  size_t from1 = 0, from2 = 0;
  auto until = steady::now() + kWait;
  while (from1 + from2 < 20 && steady::now() < until) {
    for (auto [c, count] : {std::pair{&s1, &from1}, std::pair{&s2, &from2}})
      while (auto m = c->next(50ms)) {
        ++seen[m->get_payload_str()];
        ++*count;
      }
  }
  std::this_thread::sleep_for(300ms); // time for any extra copy to arrive
  s1.expect_nothing(0ms, "S1 (extra)");
  s2.expect_nothing(0ms, "S2 (extra)");
  expect_eq(size_t(20), from1 + from2, "messages to the group");
  for (int i = 0; i < 20; ++i)
    expect_eq(1, seen["m" + std::to_string(i)],
              "group copies of m" + std::to_string(i));
  check(from1 > 0 && from2 > 0, "each member gets some: S1 got " +
                                  std::to_string(from1) + ", S2 got " +
                                  std::to_string(from2));
  ok("group got each once: S1 " + std::to_string(from1) + ", S2 " +
     std::to_string(from2));

  s2.disconnect();
  for (int i = 20; i < 30; ++i)
    pub.publish(topic, "m" + std::to_string(i), 1);
  auto rest = s1.take(10, "S1 alone");
  for (int i = 0; i < 10; ++i)
    expect_eq("m" + std::to_string(20 + i), rest[i]->get_payload_str(),
              "S1's message " + std::to_string(i));
  n.take(10, "N");
  ok("after S2 left, S1 got all 10");
}

/// Needs a broker with users alice:secret and bob:pw, no anonymous
/// access, and the ACL: alice readwrite devices/%c/#, read public/#; bob
/// read public/#.
void acl_v5() {
  client bob("b1", MQTTVERSION_5), alice("dev1", MQTTVERSION_5);
  auto t1 = bob.connect_async(
    bob.options(true).user_name("bob").password("pw").finalize());
  auto t2 = alice.connect_async(
    alice.options(true).user_name("alice").password("secret").finalize());
  await(t1, "CONNECT bob");
  await(t2, "CONNECT alice");
  bob.subscribe("public/#", 1);
  ok("bob (b1) granted public/#");
  alice.subscribe("devices/dev1/#", 1);
  ok("alice (dev1) granted devices/dev1/#");
  expect_eq(0x87, alice.subscribe_code("devices/dev2/#", 1),
            "SUBACK for devices/dev2/#");
  ok("alice refused devices/dev2/# (0x87)");

  expect_eq(0, alice.publish_code("devices/dev1/x", "mine"),
            "PUBACK to devices/dev1/x");
  auto msg = alice.take(1, "alice (own publish)").front();
  expect_eq("devices/dev1/x", msg->get_topic(), "alice's delivery");
  ok("alice published to devices/dev1/x and read it back");
  expect_eq(0x87, alice.publish_code("public/x", "not allowed"),
            "PUBACK to public/x");
  bob.expect_nothing(1s, "bob (alice's refused publish)");
  ok("alice's publish to public/x refused (0x87) and not delivered");

  client bob3("b3", MQTTVERSION_3_1_1);
  bob3.connect(bob3.options(true).user_name("bob").password("pw").finalize());
  expect_eq(0x80, bob3.subscribe_code("devices/#", 1),
            "v3 SUBACK for devices/#");
  ok("v3 bob refused devices/# (0x80)");

  client bad5("dev1-bad5", MQTTVERSION_5), bad3("dev1-bad3", MQTTVERSION_3_1_1);
  expect_eq(0x86,
            bad5.connect_refusal(
              bad5.options(true).user_name("alice").password("x").finalize()),
            "v5 CONNACK reason for a wrong password");
  expect_eq(4,
            bad3.connect_refusal(
              bad3.options(true).user_name("alice").password("x").finalize()),
            "v3 CONNACK return code for a wrong password");
  ok("wrong password refused (v5 0x86, v3 4)");
}

/// A will with a 2 s delay, triggered by DISCONNECT 0x04, is published
/// after the delay, not at once.
void will_v5() {
  const auto topic = root() + "/will";
  client watcher(unique("watcher"), MQTTVERSION_5),
    c(unique("dying"), MQTTVERSION_5);
  mqtt::will_options will(topic, std::string("gone"), 1, false,
                          {{mqtt::property::WILL_DELAY_INTERVAL, 2}});
  auto tok =
    c.connect_async(c.options(true, 10).will(std::move(will)).finalize());
  connect_all({&watcher});
  await(tok, "CONNECT with a will");
  watcher.subscribe(topic, 1);
  ok("client connected with a will (delay 2 s, session expiry 10 s)");

  auto t0 = steady::now();
  c.disconnect(mqtt::disconnect_options_builder()
                 .reason_code(mqtt::ReasonCode::DISCONNECT_WITH_WILL_MESSAGE)
                 .finalize());
  auto msg = watcher.next(6s);
  auto waited = std::chrono::duration<double>(steady::now() - t0).count();
  check(msg != nullptr, "no will within 6 s of DISCONNECT 0x04");
  expect_eq("gone", msg->get_payload_str(), "will payload");
  check(waited >= 1.5 && waited <= 5.0,
        "will delay: expected 1.5..5 s, got " + std::to_string(waited) + " s");
  ok("will arrived " + std::to_string(waited) + " s after DISCONNECT 0x04");
}

const std::vector<std::pair<std::string, std::function<void()>>> kScenarios = {
  {"roundtrip_v3", [] { roundtrip(MQTTVERSION_3_1_1); }},
  {"roundtrip_v5", [] { roundtrip(MQTTVERSION_5); }},
  {"retained", retained},
  {"session_resume_v3", [] { session_resume(MQTTVERSION_3_1_1); }},
  {"session_resume_v5", [] { session_resume(MQTTVERSION_5); }},
  {"disconnect_expiry_v5", disconnect_expiry_v5},
  {"topic_alias_v5", topic_alias_v5},
  {"message_expiry_v5", message_expiry_v5},
  {"shared_v5", shared_v5},
  {"will_v5", will_v5},
  {"acl_v5", acl_v5},
};

long long now_ms() {
  return std::chrono::duration_cast<ms>(steady::now().time_since_epoch())
    .count();
}

/// Runs one scenario under the watchdog; true on success.
bool run(const std::string& name, const std::function<void()>& body) {
  g_scenario = name;
  g_running = name.c_str();
  g_deadline_ms = now_ms() + ms(kScenarioLimit).count();
  std::cout << "== " << name << std::endl;
  auto t0 = steady::now();
  try {
    body();
    std::cout << "PASS " << name << " ("
              << std::chrono::duration_cast<ms>(steady::now() - t0).count()
              << " ms)" << std::endl;
    return true;
  } catch (const std::exception& e) {
    std::cout << "FAIL " << name << ": " << e.what() << std::endl;
    return false;
  }
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: paho_client <scenario|all> <port>\n";
    return 2;
  }
  const std::string which = argv[1];
  g_uri = std::string("tcp://127.0.0.1:") + argv[2];
  // A blocked library call must not hang the test: fail the scenario.
  std::thread([] {
    for (;;) {
      std::this_thread::sleep_for(200ms);
      if (g_deadline_ms && now_ms() > g_deadline_ms) {
        std::cout << "FAIL " << g_running.load() << ": over the "
                  << kScenarioLimit.count() << " s limit" << std::endl;
        std::_Exit(1);
      }
    }
  }).detach();

  bool passed = true, found = false;
  for (const auto& [name, body] : kScenarios) {
    if (which == name || (which == "all" && name != "acl_v5")) {
      found = true;
      passed = run(name, body) && passed;
    }
  }
  if (!found) {
    std::cerr << "unknown scenario " << which << "\n";
    return 2;
  }
  return passed ? 0 : 1;
}
