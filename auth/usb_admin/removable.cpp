#include "auth/usb_admin/removable.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <fstream>

namespace themis::auth::usb_admin {

namespace {

namespace fs = std::filesystem;

bool valid_dev(const std::string& dev) {
  auto colon = dev.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == dev.size() ||
      dev.size() > 21)
    return false;
  for (size_t i = 0; i < dev.size(); ++i)
    if (i != colon && (dev[i] < '0' || dev[i] > '9'))
      return false;
  return true;
}

/// The `removable` attribute in `dir`: 1, 0, or -1 when absent.
int read_flag(const fs::path& dir) {
  std::ifstream in(dir / "removable");
  char c = 0;
  if (!(in >> c))
    return -1;
  return c == '1' ? 1 : c == '0' ? 0 : -1;
}

} // namespace

removable_state removable_device(const std::string& dev,
                                 const std::string& sysfs_root) {
  if (!valid_dev(dev))
    return removable_state::unknown;
  std::error_code ec;
  auto dir = fs::canonical(fs::path(sysfs_root) / "dev" / "block" / dev, ec);
  if (ec)
    return removable_state::unknown;
  int f = read_flag(dir);
  // a partition has no `removable` of its own: its disk is the parent
  if (f < 0 && fs::exists(dir / "partition", ec))
    f = read_flag(dir.parent_path());
  return f == 1   ? removable_state::yes
         : f == 0 ? removable_state::no
                  : removable_state::unknown;
}

std::string device_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return {};
  return std::to_string(major(st.st_dev)) + ":" +
         std::to_string(minor(st.st_dev));
}

const char* to_string(removable_state s) {
  switch (s) {
    case removable_state::yes:
      return "removable";
    case removable_state::no:
      return "not removable";
    default:
      return "unknown";
  }
}

} // namespace themis::auth::usb_admin
