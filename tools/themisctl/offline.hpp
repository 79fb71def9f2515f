#pragma once
/// themisctl commands that work on a data directory while no themisd runs
/// on it (each takes the directory's lock, so a running server refuses
/// them): `init` (the first admin API key) and `restore`.

#include <string>

namespace themisctl {

/// Creates the first admin API key in `data_dir`/auth.db and prints its
/// token once. 0: created; 2: refused (an admin key exists, or a server
/// holds the directory); 1: another failure. `force` adds one even
/// when a live admin key exists (its token was lost).
int init_data_dir(const std::string& data_dir, const std::string& name,
                  bool force, bool json);

/// Copies a finished backup into an empty data directory. 0 / 2 (refused)
/// / 1.
int restore_data_dir(const std::string& from, const std::string& data_dir,
                     bool json);

} // namespace themisctl
