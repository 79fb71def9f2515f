#include "handlers/process_metrics.hpp"

#include <dirent.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

#include "handlers/prometheus_text.hpp"

namespace themis {

namespace {

/// Seconds since the epoch at which the kernel booted (/proc/stat btime).
double boot_time() {
  std::ifstream f("/proc/stat");
  std::string key;
  double v = 0;
  while (f >> key) {
    if (key == "btime") {
      f >> v;
      return v;
    }
    f.ignore(1 << 20, '\n');
  }
  return 0;
}

int64_t open_fds() {
  int64_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (auto* e = ::readdir(d))
      if (e->d_name[0] != '.')
        ++n;
    ::closedir(d);
    --n; // the directory stream's own descriptor
  }
  return n;
}

} // namespace

void render_process_metrics(prometheus_text& out) {
  std::ifstream f("/proc/self/stat");
  std::string line;
  std::getline(f, line);
  // fields after "pid (comm)": the command may hold spaces and ')'
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return;
  std::istringstream in(line.substr(close + 2));
  std::string field[24];
  for (auto& s : field) // state(3) … rss(24), numbered from 3
    in >> s;
  auto at = [&](int n) { return std::stod(field[n - 3]); };
  static const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  static const double started = boot_time() + at(22) / tick;
  out.single("process_cpu_seconds_total", "counter",
             "Total user and system CPU time spent in seconds.",
             (at(14) + at(15)) / tick);
  out.single("process_resident_memory_bytes", "gauge",
             "Resident memory size in bytes.", at(24) * page);
  out.single("process_virtual_memory_bytes", "gauge",
             "Virtual memory size in bytes.", at(23));
  out.single("process_open_fds", "gauge", "Number of open file descriptors.",
             open_fds());
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0)
    out.single("process_max_fds", "gauge",
               "Maximum number of open file descriptors.",
               static_cast<double>(rl.rlim_cur));
  out.single("process_threads", "gauge", "Number of OS threads.", at(20));
  out.single("process_start_time_seconds", "gauge",
             "Start time of the process since unix epoch in seconds.", started);
}

long long process_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  long long size = 0, resident = 0;
  if (!(f >> size >> resident))
    return 0;
  return resident * static_cast<long long>(::sysconf(_SC_PAGESIZE));
}

} // namespace themis
