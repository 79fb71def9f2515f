// engine/sqlite_shm_locks.cpp: the in-process WAL-index lock table.
#include "engine/sqlite_shm_locks.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using themis::engine::install_process_shm_locks;

namespace {

std::string temp_dir(const char* tag) {
  auto d = fs::temp_directory_path() /
           (std::string("shm_locks_") + tag + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

sqlite3* open_db(const std::string& path, const char* vfs = nullptr) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                              SQLITE_OPEN_FULLMUTEX,
                            vfs),
            SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  return db;
}

void exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "");
  sqlite3_free(err);
}

sqlite3_file* file_of(sqlite3* db) {
  sqlite3_file* f = nullptr;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f);
  return f;
}

int shm_lock(sqlite3* db, int ofst, int n, int flags) {
  auto* f = file_of(db);
  return f->pMethods->xShmLock(f, ofst, n, flags);
}

/// The lock another process would see on -shm slot `slot` (F_UNLCK,
/// F_RDLCK or F_WRLCK), asked from a forked child.
int outside_view(const std::string& shm, int slot) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(shm.c_str(), O_RDWR);
    struct flock l {};
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = 120 + slot;
    l.l_len = 1;
    if (fd < 0 || fcntl(fd, F_GETLK, &l) != 0)
      _exit(100);
    _exit(l.l_type);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

class ShmLocks : public ::testing::Test {
protected:
  void SetUp() override { ASSERT_TRUE(install_process_shm_locks()); }
};

TEST_F(ShmLocks, TwoPathsOfOneFileShareOneLockTable) {
  auto d = temp_dir("paths");
  auto a_path = d + "/a.db", b_path = d + "/b.db";
  sqlite3* a = open_db(a_path);
  exec(a,
       "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES(1)");
  // (the WAL emptied: the two names have two -wal files, which SQLite
  // does not support; only the -shm lock table is tested here)
  exec(a, "PRAGMA wal_checkpoint(TRUNCATE)");
  fs::create_hard_link(a_path, b_path);
  // a stale -shm under the second name (the unix VFS uses a.db-shm for
  // both names: one unixShmNode per inode)
  {
    FILE* s = fopen((b_path + "-shm").c_str(), "w");
    fclose(s);
  }
  sqlite3* b = open_db(b_path);
  exec(b, "SELECT count(*) FROM t"); // maps the -shm
  exec(a, "SELECT count(*) FROM t");

  // a holds read mark 1 (slot 4) shared: b must not get it exclusively
  ASSERT_EQ(shm_lock(a, 4, 1, SQLITE_SHM_LOCK | SQLITE_SHM_SHARED), SQLITE_OK);
  EXPECT_EQ(shm_lock(b, 4, 1, SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE),
            SQLITE_BUSY);
  EXPECT_EQ(shm_lock(b, 3, 5, SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE),
            SQLITE_BUSY);
  ASSERT_EQ(shm_lock(a, 4, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_SHARED),
            SQLITE_OK);
  EXPECT_EQ(shm_lock(b, 4, 1, SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE),
            SQLITE_OK);
  EXPECT_EQ(shm_lock(a, 4, 1, SQLITE_SHM_LOCK | SQLITE_SHM_SHARED),
            SQLITE_BUSY);
  EXPECT_EQ(shm_lock(b, 4, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE),
            SQLITE_OK);
  sqlite3_close(b);
  sqlite3_close(a);
  fs::remove_all(d);
}

TEST_F(ShmLocks, OnlyReadMarksKeepTheirSharedPosixLock) {
  auto d = temp_dir("sticky");
  auto p = d + "/s.db";
  sqlite3* a = open_db(p);
  sqlite3* b = open_db(p);
  exec(a,
       "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES(1)");
  exec(b, "SELECT count(*) FROM t");
  // the recover (2) and checkpoint (1) slots: released with the last
  // holder, else other processes' recovery / checkpoints stay locked out
  for (int slot : {1, 2}) {
    ASSERT_EQ(shm_lock(a, slot, 1, SQLITE_SHM_LOCK | SQLITE_SHM_SHARED),
              SQLITE_OK);
    ASSERT_EQ(shm_lock(b, slot, 1, SQLITE_SHM_LOCK | SQLITE_SHM_SHARED),
              SQLITE_OK);
    EXPECT_EQ(outside_view(p + "-shm", slot), F_RDLCK);
    ASSERT_EQ(shm_lock(a, slot, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_SHARED),
              SQLITE_OK);
    EXPECT_EQ(outside_view(p + "-shm", slot), F_RDLCK); // b still holds it
    EXPECT_EQ(shm_lock(a, slot, 1, SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE),
              SQLITE_BUSY);
    ASSERT_EQ(shm_lock(b, slot, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_SHARED),
              SQLITE_OK);
    EXPECT_EQ(outside_view(p + "-shm", slot), F_UNLCK);
  }
  // a read mark: kept (sticky) after its last holder lets go
  ASSERT_EQ(shm_lock(a, 5, 1, SQLITE_SHM_LOCK | SQLITE_SHM_SHARED), SQLITE_OK);
  ASSERT_EQ(shm_lock(a, 5, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_SHARED),
            SQLITE_OK);
  EXPECT_EQ(outside_view(p + "-shm", 5), F_RDLCK);
  // an exclusive lock is a real write lock, gone when released
  ASSERT_EQ(shm_lock(a, 5, 1, SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE),
            SQLITE_OK);
  EXPECT_EQ(shm_lock(b, 5, 1, SQLITE_SHM_LOCK | SQLITE_SHM_SHARED),
            SQLITE_BUSY);
  EXPECT_EQ(outside_view(p + "-shm", 5), F_WRLCK);
  ASSERT_EQ(shm_lock(a, 5, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE),
            SQLITE_OK);
  EXPECT_EQ(outside_view(p + "-shm", 5), F_UNLCK);
  sqlite3_close(b);
  sqlite3_close(a);
  fs::remove_all(d);
}

TEST_F(ShmLocks, LocksRetakenAfterTheLastConnectionClosed) {
  auto d = temp_dir("reopen");
  auto p = d + "/r.db";
  for (int round = 0; round < 3; ++round) {
    sqlite3* a = open_db(p);
    exec(a, "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS t(x);"
            "INSERT INTO t VALUES(1)");
    ASSERT_EQ(shm_lock(a, 6, 1, SQLITE_SHM_LOCK | SQLITE_SHM_SHARED),
              SQLITE_OK);
    ASSERT_EQ(shm_lock(a, 6, 1, SQLITE_SHM_UNLOCK | SQLITE_SHM_SHARED),
              SQLITE_OK);
    // the unix VFS's descriptor closes with the last connection (and the
    // -shm is deleted): the next one must really lock again
    EXPECT_EQ(outside_view(p + "-shm", 6), F_RDLCK) << round;
    sqlite3_close(a);
  }
  fs::remove_all(d);
}

/// Readers (threads, and another process through the plain unix VFS)
/// check an invariant while a writer moves amounts and checkpoints.
TEST_F(ShmLocks, ReadersSeeConsistentSnapshotsUnderWritesAndCheckpoints) {
  auto d = temp_dir("stress");
  auto p = d + "/x.db";
  {
    sqlite3* db = open_db(p);
    exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE acct(id INTEGER PRIMARY "
             "KEY, v INTEGER); CREATE TABLE log(n)");
    exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c "
             "WHERE i<100) INSERT INTO acct SELECT i, 1000 FROM c");
    sqlite3_close(db);
  }
  auto check = [](sqlite3* db) -> bool {
    // one read transaction: the total is constant, the log matches it
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    bool ok = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT sum(v) FROM acct), (SELECT "
                           "count(*) FROM log), (SELECT v FROM acct WHERE "
                           "id=1) - (SELECT v FROM acct WHERE id=2)",
                           -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      ok = sqlite3_column_int64(st, 0) == 100000 &&
           sqlite3_column_int64(st, 2) == 4 * sqlite3_column_int64(st, 1);
    else
      ok = true; // busy: not a wrong answer
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    return ok;
  };
  auto seconds = std::chrono::seconds(3);
  pid_t child = fork(); // before any thread of the test starts
  if (child == 0) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READWRITE, "unix") !=
        SQLITE_OK)
      _exit(101);
    sqlite3_busy_timeout(db, 5000);
    int bad = 0;
    auto end = std::chrono::steady_clock::now() + seconds;
    while (std::chrono::steady_clock::now() < end)
      bad += !check(db);
    sqlite3_close(db);
    _exit(bad > 100 ? 100 : bad);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 6; ++r)
    readers.emplace_back([&] {
      sqlite3* db = open_db(p);
      while (!stop) {
        bad += !check(db);
        ++reads;
      }
      sqlite3_close(db);
    });
  std::thread writer([&] {
    sqlite3* db = open_db(p);
    for (int i = 0; !stop; ++i) {
      exec(db, "BEGIN IMMEDIATE; UPDATE acct SET v=v+1 WHERE id=1;"
               "UPDATE acct SET v=v-1 WHERE id=2;"
               "UPDATE acct SET v=v+1 WHERE id=1;"
               "UPDATE acct SET v=v-1 WHERE id=2; INSERT INTO log VALUES(1);"
               "COMMIT");
      if (i % 50 == 0)
        sqlite3_wal_checkpoint_v2(db, nullptr,
                                  i % 150 == 0 ? SQLITE_CHECKPOINT_TRUNCATE
                                               : SQLITE_CHECKPOINT_PASSIVE,
                                  nullptr, nullptr);
    }
    sqlite3_close(db);
  });
  std::this_thread::sleep_for(seconds);
  stop = true;
  writer.join();
  for (auto& t : readers)
    t.join();
  int st = 0;
  waitpid(child, &st, 0);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 100);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
  fs::remove_all(d);
}

} // namespace
