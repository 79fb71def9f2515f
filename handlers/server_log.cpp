#include "handlers/server_log.hpp"

#include <atomic>
#include <mutex>
#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <vector>
#ifdef THEMIS_HAVE_JOURNAL
#include <spdlog/sinks/systemd_sink.h>
#endif

#include "handlers/access_log.hpp"
#include "handlers/log_output.hpp"
#include "themis/server_config.hpp"

namespace themis::server_log {

namespace {

constexpr const char* main_pattern = "%Y-%m-%dT%H:%M:%S.%e %l %v";
constexpr const char* access_text_pattern = "%Y-%m-%dT%H:%M:%S.%e access %v";
/// JSON lines: the timestamp (UTC, µs) is the first member, the record
/// (access_log::format_line) the rest.
constexpr const char* access_json_pattern =
  R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ",%v)";

struct state {
  std::mutex mtx;
  std::vector<std::shared_ptr<log_output>> outputs; ///< reopened on SIGUSR1
  std::shared_ptr<spdlog::logger> access;
  bool journal = false;
  bool access_on = false;
  access_log::format fmt = access_log::format::json;
};

state& st() {
  static state s;
  return s;
}

/// Where records go now (access_log::detail::route): the access log when
/// it is on, else the server log when it shows debug lines.
void update_route() {
  auto& s = st();
  int route = 0;
  if (s.access_on && s.access)
    route = 1;
  else if (auto* l = spdlog::default_logger_raw();
           l && l->should_log(spdlog::level::debug))
    route = 2;
  access_log::detail::route.store(route, std::memory_order_relaxed);
}

void set_access_pattern() {
  auto& s = st();
  access_log::detail::configure(s.access.get(), s.fmt);
  if (!s.access || s.journal)
    return; // the journal stamps its own time
  if (s.fmt == access_log::format::json)
    s.access->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      access_json_pattern, spdlog::pattern_time_type::utc, "}\n"));
  else
    s.access->set_pattern(access_text_pattern);
}

} // namespace

std::optional<std::string> start(const log_section& cfg) {
  auto& s = st();
  std::lock_guard<std::mutex> g(s.mtx);
  std::optional<std::string> error;
  std::shared_ptr<spdlog::logger> main, access;
  try {
    if (cfg.journal) {
#ifdef THEMIS_HAVE_JOURNAL
      main = std::make_shared<spdlog::logger>(
        "themisd", std::make_shared<spdlog::sinks::systemd_sink_mt>("themisd"));
      // sd_journal_send per line: off the request path, on spdlog's
      // thread; a full queue drops the oldest lines, never blocks
      spdlog::init_thread_pool(8192, 1);
      access = std::make_shared<spdlog::async_logger>(
        "access",
        std::make_shared<spdlog::sinks::systemd_sink_mt>("themisd-access"),
        spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest);
      s.journal = true;
#else
      error = "log.journal: this themisd was built without libsystemd";
#endif
    }
    if (!main) {
      auto out = std::make_shared<log_output>(cfg.file);
      auto access_out = cfg.access_file.empty()
                          ? out
                          : std::make_shared<log_output>(cfg.access_file);
      s.outputs = {out};
      if (access_out != out)
        s.outputs.push_back(access_out);
      main = std::make_shared<spdlog::logger>(
        "themisd", std::make_shared<log_output_sink>(out));
      access = std::make_shared<spdlog::logger>(
        "access", std::make_shared<log_output_sink>(access_out));
      main->set_pattern(main_pattern);
    }
  } catch (const std::exception& e) {
    error = std::string("log: ") + e.what();
  }
  if (!main) { // the file cannot be opened: stderr, and say why
    auto out = std::make_shared<log_output>("");
    s.outputs = {out};
    main = std::make_shared<spdlog::logger>(
      "themisd", std::make_shared<log_output_sink>(out));
    access = std::make_shared<spdlog::logger>(
      "access", std::make_shared<log_output_sink>(out));
    main->set_pattern(main_pattern);
  }
  spdlog::drop("themisd");
  spdlog::drop("access");
  main->set_level(spdlog::level::from_str(cfg.level));
  // warnings and the start-up lines are written at once; debug lines and
  // access records wait for 64 KiB or the next second
  main->flush_on(spdlog::level::info);
  access->set_level(spdlog::level::info);
  access->flush_on(spdlog::level::err);
  spdlog::register_logger(main);
  spdlog::register_logger(access);
  spdlog::set_default_logger(main);
  spdlog::flush_every(std::chrono::seconds(1));
  s.access = access;
  s.access_on = cfg.access;
  s.fmt = cfg.access_format == "text" ? access_log::format::text
                                      : access_log::format::json;
  set_access_pattern();
  update_route();
  return error;
}

void apply(const log_section& cfg) {
  set_level(cfg.level);
  auto& s = st();
  std::lock_guard<std::mutex> g(s.mtx);
  s.access_on = cfg.access;
  s.fmt = cfg.access_format == "text" ? access_log::format::text
                                      : access_log::format::json;
  set_access_pattern();
  update_route();
}

std::optional<std::string> reopen() {
  auto& s = st();
  std::lock_guard<std::mutex> g(s.mtx);
  if (s.access)
    s.access->flush();
  for (auto& o : s.outputs)
    if (auto e = o->reopen())
      return e;
  return std::nullopt;
}

bool set_level(std::string_view level) {
  static constexpr std::string_view names[] = {
    "trace", "debug", "info", "warn", "error", "critical", "off"};
  bool known = false;
  for (auto n : names)
    known = known || n == level;
  if (!known)
    return false;
  auto lv = spdlog::level::from_str(std::string(level));
  if (auto* l = spdlog::default_logger_raw())
    l->set_level(lv);
  std::lock_guard<std::mutex> g(st().mtx);
  update_route();
  return true;
}

std::string level() {
  auto* l = spdlog::default_logger_raw();
  if (!l)
    return "info";
  auto sv = spdlog::level::to_string_view(l->level());
  auto name = std::string(sv.data(), sv.size());
  return name == "warning" ? "warn" : name;
}

bool access_enabled() {
  std::lock_guard<std::mutex> g(st().mtx);
  return st().access_on;
}

void set_access(bool on) {
  std::lock_guard<std::mutex> g(st().mtx);
  st().access_on = on;
  update_route();
}

std::string access_format() {
  std::lock_guard<std::mutex> g(st().mtx);
  return st().fmt == access_log::format::text ? "text" : "json";
}

void flush() {
  if (auto a = spdlog::get("access"))
    a->flush();
  if (auto* l = spdlog::default_logger_raw())
    l->flush();
}

} // namespace themis::server_log
