#include "supervision/supervisor.hpp"

#include <caf/all.hpp>
#include <deque>

namespace themis {

namespace {

struct running_child {
  child_spec spec;
  caf::actor handle;
};

struct supervisor_state {
  std::string name;
  supervisor_flags flags;
  std::vector<running_child> children;
  std::deque<std::chrono::steady_clock::time_point> restarts;
  bool stopping = false;
  caf::error stop_reason;
};

using supervisor_actor = caf::stateful_actor<supervisor_state>;

void start_child(supervisor_actor* self, running_child& c) {
  c.handle = c.spec.start(self->system());
  self->monitor(c.handle);
}

void maybe_finish(supervisor_actor* self) {
  auto& st = self->state;
  if (!st.stopping)
    return;
  for (auto& c : st.children)
    if (c.handle)
      return;
  self->quit(st.stop_reason);
}

/// Stops every child (reverse order) and exits with `reason` once all are
/// down.
void stop_all(supervisor_actor* self, caf::error reason) {
  auto& st = self->state;
  st.stopping = true;
  st.stop_reason = std::move(reason);
  for (auto it = st.children.rbegin(); it != st.children.rend(); ++it)
    if (it->handle)
      self->send_exit(it->handle, caf::exit_reason::user_shutdown);
  maybe_finish(self);
}

/// True if another restart stays within the intensity limit.
bool allow_restart(supervisor_state& st) {
  auto now = std::chrono::steady_clock::now();
  while (!st.restarts.empty() && now - st.restarts.front() > st.flags.period)
    st.restarts.pop_front();
  if (st.restarts.size() >= st.flags.max_restarts)
    return false;
  st.restarts.push_back(now);
  return true;
}

void on_child_down(supervisor_actor* self, const caf::down_msg& dm) {
  auto& st = self->state;
  auto it = std::find_if(st.children.begin(), st.children.end(),
                         [&](auto& c) { return c.handle == dm.source; });
  if (it == st.children.end())
    return; // an old incarnation we already replaced
  it->handle = nullptr;
  if (st.stopping) {
    maybe_finish(self);
    return;
  }
  bool abnormal = dm.reason && dm.reason != caf::exit_reason::normal;
  auto policy = it->spec.policy;
  bool restart = policy == restart_policy::permanent ||
                 (policy == restart_policy::transient && abnormal);
  if (!restart) {
    if (abnormal && st.flags.on_child_stopped)
      st.flags.on_child_stopped(it->spec.name, caf::to_string(dm.reason));
    return;
  }
  if (!allow_restart(st)) {
    // Intensity exceeded: give up and let the parent decide.
    stop_all(self, caf::make_error(caf::sec::runtime_error,
                                   st.name + ": restart intensity exceeded"));
    return;
  }
  auto reason = caf::to_string(dm.reason);
  if (st.flags.strategy == restart_strategy::one_for_one) {
    start_child(self, *it);
    if (st.flags.on_restart)
      st.flags.on_restart(it->spec.name, reason);
    return;
  }
  // one_for_all: stop the siblings (without reacting to their downs), then
  // start everyone again in spec order.
  for (auto& c : st.children)
    if (c.handle) {
      self->demonitor(c.handle.address());
      self->send_exit(c.handle, caf::exit_reason::kill);
      c.handle = nullptr;
    }
  for (auto& c : st.children)
    start_child(self, c);
  if (st.flags.on_restart)
    st.flags.on_restart(it->spec.name + " (all)", reason);
}

caf::behavior supervisor(supervisor_actor* self, std::string name,
                         supervisor_flags flags,
                         std::vector<child_spec> specs) {
  auto& st = self->state;
  st.name = std::move(name);
  st.flags = std::move(flags);
  for (auto& s : specs)
    st.children.push_back({std::move(s), nullptr});
  for (auto& c : st.children)
    start_child(self, c);
  self->set_down_handler(
    [self](caf::down_msg& dm) { on_child_down(self, dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    if (self->state.stopping)
      return;
    stop_all(self, em.reason);
  });
  return {
    [self](caf::get_atom) {
      // Current child handles, for tests and diagnostics.
      std::vector<caf::actor> out;
      for (auto& c : self->state.children)
        out.push_back(c.handle);
      return out;
    },
  };
}

} // namespace

caf::actor spawn_supervisor(caf::actor_system& sys, std::string name,
                            supervisor_flags flags,
                            std::vector<child_spec> children) {
  return sys.spawn(supervisor, std::move(name), std::move(flags),
                   std::move(children));
}

child_spec supervisor_child(std::string name, supervisor_flags flags,
                            std::vector<child_spec> children) {
  child_spec spec;
  spec.name = name;
  spec.start = [name, flags, children](caf::actor_system& sys) {
    return spawn_supervisor(sys, name, flags, children);
  };
  spec.policy = restart_policy::permanent;
  return spec;
}

} // namespace themis
