#pragma once
/// `themisd admin …`: offline administration that writes the stores the
/// server reads (issue 24: USB admin keys). Works with the server running
/// or stopped — the key file is replaced atomically under an flock and
/// the server re-reads it when it changes.

namespace themis {

/// argv[1] is "admin"; returns the process exit code (0 ok, 1 failed, 2
/// misused).
int run_admin_cli(int argc, char** argv, char** env);

} // namespace themis
