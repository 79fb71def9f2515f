/// MQTT load tool (not a test): runs the same scenarios against any broker
/// and prints messages/s. bench/mqtt_bench.sh runs it against themisd and
/// mosquitto in the same run and adds server CPU per message.
/// Usage: mqtt_bench PORT SCENARIO [N]
///   qos0 / qos1            1 publisher → 1 subscriber, N messages
///   qos0x4 / qos1x4        4 publishers → 1 subscriber
///   fanout                 1 publisher → 100 subscribers (QoS 0)
///   connect                N connect + CONNACK + disconnect, sequential
///   idle                   N idle connections held for 2 s (RSS per
///                          connection is read by the script)

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "protocols/mqtt/mqtt_codec.hpp"

using namespace themis::mqtt;
using clk = std::chrono::steady_clock;

namespace {

int port = 1883;

int dial() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::perror("connect");
    std::exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval tv{5, 0}; // a stalled flow ends the run instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void send_all(int fd, const std::string& b) {
  size_t off = 0;
  while (off < b.size()) {
    auto n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      std::perror("send");
      std::exit(1);
    }
    off += static_cast<size_t>(n);
  }
}

/// Reads whole packets from a socket: type and body.
struct reader {
  int fd;
  std::string buf;
  bool next(uint8_t& type, std::string& body) {
    while (true) {
      if (buf.size() >= 2) {
        size_t len = 0, i = 1, shift = 0;
        bool complete = false;
        while (i < buf.size() && i < 5) {
          auto b = static_cast<uint8_t>(buf[i]);
          len |= static_cast<size_t>(b & 0x7F) << shift;
          shift += 7;
          ++i;
          if (!(b & 0x80)) {
            complete = true;
            break;
          }
        }
        if (complete && buf.size() >= i + len) {
          type = static_cast<uint8_t>(buf[0]) >> 4;
          body = buf.substr(i, len);
          buf.erase(0, i + len);
          return true;
        }
      }
      char tmp[65536];
      auto n = ::recv(fd, tmp, sizeof tmp, 0);
      if (n <= 0)
        return false;
      buf.append(tmp, static_cast<size_t>(n));
    }
  }
};

std::string enc(const packet& p) {
  std::string s;
  encode(p, 4, s);
  return s;
}

int open_client(const std::string& id) {
  int fd = dial();
  packet c;
  c.type = packet_type::connect;
  c.connect.version = 4;
  c.connect.client_id = id;
  c.connect.keep_alive = 60;
  send_all(fd, enc(c));
  reader r{fd, {}};
  uint8_t t;
  std::string body;
  if (!r.next(t, body) || t != 2 || body.size() < 2 || body[1] != 0) {
    std::fprintf(stderr, "CONNACK refused\n");
    std::exit(1);
  }
  return fd;
}

void subscribe(int fd, const std::string& filter, uint8_t qos) {
  packet s;
  s.type = packet_type::subscribe;
  s.subscribe.packet_id = 1;
  s.subscribe.topics.push_back({filter, qos});
  send_all(fd, enc(s));
  reader r{fd, {}};
  uint8_t t;
  std::string body;
  if (!r.next(t, body) || t != 9) {
    std::fprintf(stderr, "no SUBACK\n");
    std::exit(1);
  }
}

/// Receives `expect` PUBLISHes (acking QoS 1); returns when done.
void consume(int fd, long expect, std::atomic<long>& got) {
  reader r{fd, {}};
  uint8_t t;
  std::string body;
  while (got.load() < expect && r.next(t, body)) {
    if (t != 3)
      continue;
    ++got;
  }
}

void consume_acking(int fd, long expect, std::atomic<long>& got) {
  reader r{fd, {}};
  uint8_t t;
  std::string body;
  std::string acks;
  while (got.load() < expect && r.next(t, body)) {
    if (t != 3)
      continue;
    ++got;
    auto tl =
      (static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1]);
    if (body.size() >= static_cast<size_t>(tl) + 4) { // QoS > 0: an id follows
      uint16_t id =
        static_cast<uint16_t>((static_cast<uint8_t>(body[2 + tl]) << 8) |
                              static_cast<uint8_t>(body[3 + tl]));
      packet a;
      a.type = packet_type::puback;
      a.ack.type = packet_type::puback;
      a.ack.packet_id = id;
      acks += enc(a);
      // flush once everything read so far is handled: the broker's
      // in-flight window waits for these
      if (r.buf.empty() || acks.size() > 4096 || got.load() == expect) {
        send_all(fd, acks);
        acks.clear();
      }
    }
  }
  if (!acks.empty())
    send_all(fd, acks);
}

void produce(int fd, long n, uint8_t qos, const std::string& topic) {
  packet p;
  p.type = packet_type::publish;
  p.publish.topic = topic;
  p.publish.payload = std::string(64, 'x');
  p.publish.qos = qos;
  std::string batch;
  reader r{fd, {}};
  long outstanding = 0;
  uint16_t id = 0;
  for (long i = 0; i < n; ++i) {
    if (qos) {
      id = static_cast<uint16_t>(id % 60000 + 1);
      p.publish.packet_id = id;
    }
    batch += enc(p);
    ++outstanding;
    if (batch.size() > 16384 || i + 1 == n || (qos && outstanding >= 64)) {
      send_all(fd, batch);
      batch.clear();
    }
    while (qos && outstanding >= 64) { // a window of 64 unacknowledged
      uint8_t t;
      std::string body;
      if (!r.next(t, body))
        return;
      if (t == 4)
        --outstanding;
    }
  }
  while (qos && outstanding > 0) {
    uint8_t t;
    std::string body;
    if (!r.next(t, body))
      return;
    if (t == 4)
      --outstanding;
  }
}

double flow(long n, uint8_t qos, int publishers, int subscribers) {
  std::vector<int> subs;
  for (int i = 0; i < subscribers; ++i) {
    subs.push_back(open_client("bench-sub-" + std::to_string(i)));
    subscribe(subs.back(), "bench/#", qos);
  }
  std::vector<int> pubs;
  for (int i = 0; i < publishers; ++i)
    pubs.push_back(open_client("bench-pub-" + std::to_string(i)));
  long per = n / publishers;
  long expect = per * publishers;
  std::vector<std::atomic<long>> got(static_cast<size_t>(subscribers));
  std::vector<std::thread> ts;
  auto t0 = clk::now();
  for (int i = 0; i < subscribers; ++i)
    ts.emplace_back([&, i] {
      if (qos)
        consume_acking(subs[static_cast<size_t>(i)], expect,
                       got[static_cast<size_t>(i)]);
      else
        consume(subs[static_cast<size_t>(i)], expect,
                got[static_cast<size_t>(i)]);
    });
  std::vector<std::thread> ps;
  for (int i = 0; i < publishers; ++i)
    ps.emplace_back([&, i] {
      produce(pubs[static_cast<size_t>(i)], per, qos,
              "bench/" + std::to_string(i));
    });
  for (auto& t : ps)
    t.join();
  for (auto& t : ts)
    t.join();
  double secs = std::chrono::duration<double>(clk::now() - t0).count();
  long delivered = 0;
  for (auto& g : got)
    delivered += g.load();
  if (delivered < expect * subscribers)
    std::printf("  (delivered %ld of %ld; QoS 0 may drop under overload)\n",
                delivered, expect * subscribers);
  return static_cast<double>(delivered) / secs;
  for (int fd : subs)
    ::close(fd);
  for (int fd : pubs)
    ::close(fd);
}

/// QoS 1 publishers on an ingest topic, no subscriber: acknowledged
/// messages per second (themisd commits each before its PUBACK).
double ingest(long n, int publishers) {
  std::vector<int> pubs;
  for (int i = 0; i < publishers; ++i)
    pubs.push_back(open_client("bench-ingest-" + std::to_string(i)));
  long per = n / publishers;
  auto t0 = clk::now();
  std::vector<std::thread> ps;
  for (int i = 0; i < publishers; ++i)
    ps.emplace_back([&, i] {
      produce(pubs[static_cast<size_t>(i)], per, 1,
              "ingest/bench/dev" + std::to_string(i));
    });
  for (auto& t : ps)
    t.join();
  double secs = std::chrono::duration<double>(clk::now() - t0).count();
  for (int fd : pubs)
    ::close(fd);
  return static_cast<double>(per * publishers) / secs;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: mqtt_bench PORT SCENARIO [N]\n");
    return 2;
  }
  port = std::atoi(argv[1]);
  std::string sc = argv[2];
  long n = argc > 3 ? std::atol(argv[3]) : 200000;
  double rate = 0;
  if (sc == "qos0")
    rate = flow(n, 0, 1, 1);
  else if (sc == "qos1")
    rate = flow(n, 1, 1, 1);
  else if (sc == "qos0x4")
    rate = flow(n, 0, 4, 1);
  else if (sc == "qos1x4")
    rate = flow(n, 1, 4, 1);
  else if (sc == "fanout")
    rate = flow(n, 0, 1, 100);
  else if (sc == "ingest1")
    rate = ingest(n, 1);
  else if (sc == "ingest1x4")
    rate = ingest(n, 4);
  else if (sc == "connect") {
    auto t0 = clk::now();
    for (long i = 0; i < n; ++i) {
      int fd = open_client("storm-" + std::to_string(i));
      send_all(fd, std::string("\xE0\x00", 2));
      ::close(fd);
    }
    rate = static_cast<double>(n) /
           std::chrono::duration<double>(clk::now() - t0).count();
  } else if (sc == "idle") {
    std::vector<int> fds;
    for (long i = 0; i < n; ++i)
      fds.push_back(open_client("idle-" + std::to_string(i)));
    std::printf("connected %ld\n", n);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(5));
    for (int fd : fds)
      ::close(fd);
    return 0;
  } else {
    std::fprintf(stderr, "unknown scenario %s\n", sc.c_str());
    return 2;
  }
  std::printf("%s %.0f msg/s\n", sc.c_str(), rate);
  return 0;
}
