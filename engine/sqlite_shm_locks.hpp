#pragma once
/// SQLite's WAL-index locks kept in the process (engine/sqlite_shm_locks.cpp):
/// no fcntl per read transaction (issue 36, pgbench -S).

namespace themis::engine {

/// Makes the lock-keeping shim the default SQLite VFS; idempotent. Must run
/// before the process opens its first database (every connection of a
/// database has to use the same lock table): the store writer's translation
/// unit calls it from a static initializer. False if the default VFS is not
/// SQLite's unix VFS (then nothing changes).
bool install_process_shm_locks();

} // namespace themis::engine
