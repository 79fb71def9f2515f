#pragma once
/// Whether a block device is removable, from sysfs (issue 24): the
/// optional check that a USB admin key file lives on removable media.
/// The device is "MAJOR:MINOR" (what stat(2) reports as st_dev of the key
/// file); /sys/dev/block/MAJOR:MINOR is the disk or one of its
/// partitions, and the disk's `removable` attribute says 1 for USB sticks
/// and SD cards. Only meaningful on the host that holds the device, and
/// only as strong as the client's honesty: see docs/security.md.

#include <string>

namespace themis::auth::usb_admin {

enum class removable_state { yes, no, unknown };

/// "8:17" → its state under `sysfs_root` (tests pass a fake tree); a
/// malformed device string is unknown (never a path: digits and one ':').
removable_state removable_device(const std::string& dev,
                                 const std::string& sysfs_root = "/sys");

/// The "MAJOR:MINOR" of the device holding `path`, or "" (stat failed).
std::string device_of(const std::string& path);

const char* to_string(removable_state s);

} // namespace themis::auth::usb_admin
