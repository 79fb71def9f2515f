#pragma once
/// Erlang/OTP-style supervisor for CAF 0.17 (which has none): child specs,
/// one-for-one and one-for-all strategies, restart intensity (at most
/// `max_restarts` in `period`, else kill the children and exit with an
/// error so the parent supervisor decides — escalation).

#include <caf/fwd.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace themis {

enum class restart_strategy { one_for_one, one_for_all };

enum class restart_policy {
  permanent, ///< always restarted
  transient, ///< restarted only after an abnormal exit
  temporary, ///< never restarted
};

struct child_spec {
  std::string name;
  /// Spawns the child (called again on every restart).
  std::function<caf::actor(caf::actor_system&)> start;
  restart_policy policy = restart_policy::permanent;
};

struct supervisor_flags {
  restart_strategy strategy = restart_strategy::one_for_one;
  unsigned max_restarts = 5;
  std::chrono::milliseconds period = std::chrono::seconds(10);
  /// Called after each restart (for metrics and logs).
  std::function<void(const std::string& child, const std::string& reason)>
    on_restart;
  /// Called when a child that is not restarted (temporary, or transient
  /// after a normal exit) went down abnormally: reported, not restarted.
  std::function<void(const std::string& child, const std::string& reason)>
    on_child_stopped;
};

/// Spawns a supervisor that starts `children` in order. Sending it an exit
/// message stops the children in reverse order, then the supervisor.
caf::actor spawn_supervisor(caf::actor_system& sys, std::string name,
                            supervisor_flags flags,
                            std::vector<child_spec> children);

/// A child spec whose child is itself a supervisor (a subtree).
child_spec supervisor_child(std::string name, supervisor_flags flags,
                            std::vector<child_spec> children);

} // namespace themis
