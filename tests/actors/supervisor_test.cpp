/// Supervisor behaviour on a real (small) actor system: restarts, the
/// one-for-all strategy and escalation when the intensity is exceeded.

#include "supervision/supervisor.hpp"

#include <caf/all.hpp>
#include <gtest/gtest.h>
#include <thread>

using namespace themis;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using throw_atom = caf::atom_constant<caf::atom("throw")>;

namespace {

caf::behavior crashy(caf::event_based_actor* self) {
  return {
    [self](crash_atom) {
      self->quit(caf::make_error(caf::sec::runtime_error, "crash"));
    },
    [](throw_atom) -> int { throw std::runtime_error("boom"); },
    [](caf::ok_atom) { return 42; },
  };
}

child_spec crashy_spec(std::string name) {
  child_spec s;
  s.name = std::move(name);
  s.start = [](caf::actor_system& sys) { return sys.spawn(crashy); };
  return s;
}

struct fixture : ::testing::Test {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  void SetUp() override {
    cfg.set("scheduler.max-threads", size_t{2});
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  std::vector<caf::actor> children(const caf::actor& sup) {
    caf::scoped_actor self{*sys};
    std::vector<caf::actor> out;
    self->request(sup, std::chrono::seconds(5), caf::get_atom::value)
      .receive([&](std::vector<caf::actor>& v) { out = v; },
               [&](caf::error&) {});
    return out;
  }

  /// Waits (bounded) until child `i` is a running actor different from
  /// `old`.
  caf::actor wait_replaced(const caf::actor& sup, size_t i,
                           const caf::actor& old) {
    for (int n = 0; n < 200; ++n) {
      auto c = children(sup);
      if (c.size() > i && c[i] && c[i] != old)
        return c[i];
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return nullptr;
  }
};

} // namespace

TEST_F(fixture, one_for_one_restarts_only_the_crashed_child) {
  supervisor_flags f;
  f.max_restarts = 3;
  int restarts = 0;
  f.on_restart = [&](const std::string&, const std::string&) { ++restarts; };
  auto sup =
    spawn_supervisor(*sys, "t", f, {crashy_spec("a"), crashy_spec("b")});
  auto before = children(sup);
  ASSERT_EQ(before.size(), 2u);
  caf::anon_send(before[0], crash_atom::value);
  auto a2 = wait_replaced(sup, 0, before[0]);
  ASSERT_TRUE(a2);
  EXPECT_EQ(children(sup)[1], before[1]); // sibling untouched
  caf::scoped_actor self{*sys};
  int answer = 0;
  self->request(a2, std::chrono::seconds(5), caf::ok_atom::value)
    .receive([&](int x) { answer = x; }, [](caf::error&) {});
  EXPECT_EQ(answer, 42);
  EXPECT_EQ(restarts, 1);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_F(fixture, exception_in_handler_is_restarted) {
  auto sup = spawn_supervisor(*sys, "t", {}, {crashy_spec("a")});
  auto before = children(sup);
  caf::scoped_actor self{*sys};
  bool got_error = false;
  self->request(before[0], std::chrono::seconds(5), throw_atom::value)
    .receive([](int) {}, [&](caf::error&) { got_error = true; });
  EXPECT_TRUE(got_error);
  EXPECT_TRUE(wait_replaced(sup, 0, before[0]));
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_F(fixture, one_for_all_restarts_every_child) {
  supervisor_flags f;
  f.strategy = restart_strategy::one_for_all;
  auto sup =
    spawn_supervisor(*sys, "t", f, {crashy_spec("a"), crashy_spec("b")});
  auto before = children(sup);
  caf::anon_send(before[1], crash_atom::value);
  auto b2 = wait_replaced(sup, 1, before[1]);
  ASSERT_TRUE(b2);
  auto after = children(sup);
  EXPECT_NE(after[0], before[0]);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
}

TEST_F(fixture, intensity_exceeded_escalates) {
  supervisor_flags f;
  f.max_restarts = 2;
  f.period = std::chrono::seconds(60);
  auto sup = spawn_supervisor(*sys, "t", f, {crashy_spec("a")});
  caf::scoped_actor self{*sys};
  self->monitor(sup);
  auto current = children(sup)[0];
  for (int i = 0; i < 3; ++i) {
    caf::anon_send(current, crash_atom::value);
    if (i < 2) {
      current = wait_replaced(sup, 0, current);
      ASSERT_TRUE(current) << i;
    }
  }
  bool down = false;
  caf::error reason;
  self->receive(
    [&](caf::down_msg& dm) {
      down = true;
      reason = dm.reason;
    },
    caf::after(std::chrono::seconds(5)) >> [] {});
  EXPECT_TRUE(down);
  EXPECT_TRUE(reason);
  EXPECT_NE(reason, caf::exit_reason::user_shutdown);
}

TEST_F(fixture, nested_supervisor_escalation_restarts_subtree) {
  supervisor_flags inner;
  inner.max_restarts = 0; // first crash escalates
  supervisor_flags outer;
  outer.max_restarts = 5;
  auto root = spawn_supervisor(
    *sys, "root", outer, {supervisor_child("sub", inner, {crashy_spec("a")})});
  auto sub = children(root)[0];
  auto leaf = children(sub)[0];
  caf::anon_send(leaf, crash_atom::value);
  auto sub2 = wait_replaced(root, 0, sub);
  ASSERT_TRUE(sub2);
  auto leaf2 = children(sub2);
  ASSERT_EQ(leaf2.size(), 1u);
  EXPECT_TRUE(leaf2[0]);
  EXPECT_NE(leaf2[0], leaf);
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
}

TEST_F(fixture, shutdown_stops_children) {
  auto sup =
    spawn_supervisor(*sys, "t", {}, {crashy_spec("a"), crashy_spec("b")});
  auto kids = children(sup);
  caf::scoped_actor self{*sys};
  for (auto& k : kids)
    self->monitor(k);
  self->monitor(sup);
  caf::anon_send_exit(sup, caf::exit_reason::user_shutdown);
  int downs = 0;
  for (int i = 0; i < 3; ++i)
    self->receive([&](caf::down_msg&) { ++downs; },
                  caf::after(std::chrono::seconds(5)) >> [] {});
  EXPECT_EQ(downs, 3);
}
