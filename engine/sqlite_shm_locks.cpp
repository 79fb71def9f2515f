/// The WAL-index (shared-memory) locks of SQLite without a system call per
/// read transaction. Measured with pgbench `-S -M prepared` (issue 36,
/// docs/performance.md): SQLite's unix VFS takes and drops a POSIX lock
/// (fcntl) on a read-mark byte of the `-shm` file at the start and end of
/// every read transaction — two system calls per point query, 8.5 % of the
/// server's CPU, whenever no other connection of the process holds that
/// read mark at the same moment.
///
/// This shim wraps the default VFS and keeps its xShmLock in the process:
/// connections of one database share a lock table (shared counts and the
/// exclusive owner per lock slot), as unix's own xShmLock does before it
/// asks the kernel. Other processes still see the locks that matter to
/// them: a read mark's shared POSIX lock is taken the first time a
/// connection of this process reads under it and kept ("sticky") after the
/// last one lets go (the other slots' go with their last holder), and every
/// exclusive lock (a checkpoint, a writer resetting read marks, rare) is a real
/// POSIX write lock that fails while another process reads. So an outside
/// reader (the sqlite3 shell on a live store) is still protected from this
/// process's checkpoints, and an outside writer still cannot reset a read mark
/// this process may use.
///
/// Installed as the default VFS before main() (every connection of the
/// process must use the same lock table for a database); the connections'
/// other methods go to the unix VFS unchanged.

#include "engine/sqlite_shm_locks.hpp"

#include <cstring>
#include <fcntl.h>
#include <map>
#include <memory>
#include <mutex>
#include <sqlite3.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace themis::engine {

namespace {

constexpr int shm_base = 120; ///< unix VFS: the first lock byte in -shm
constexpr int nlock = SQLITE_SHM_NLOCK;
/// wal.c's WAL_READ_LOCK(0): the read marks are slots 3..7. Only their
/// shared POSIX locks are kept ("sticky"): a shared lock kept on the write
/// (0), checkpoint (1) or recover (2) slot would lock other processes'
/// writers, checkpoints or WAL recovery out for the life of this process.
constexpr int first_sticky = 3;

/// A database file: its device and inode, as the unix VFS keys its own
/// unixShmNode (two paths of one file, hard links or bind mounts, share
/// one -shm in the unix VFS, so they must share one lock table here too).
using file_key = std::pair<dev_t, ino_t>;

/// The lock table of one database's -shm file in this process.
struct shm_node {
  std::mutex m;
  std::string path;
  int fd = -1;    ///< our own descriptor on the -shm file (POSIX locks)
  int refs = 0;   ///< attached files (never closed while > 0, see open_shm)
  int mapped = 0; ///< files whose xShmMap succeeded (unix's node alive)
  int shared[nlock] = {};
  const void* excl[nlock] = {};
  bool sticky[nlock] = {}; ///< the process holds a shared POSIX lock
};

/// Guards the node map, every node's refs/mapped/fd/path, and is held
/// across the unix VFS's first xShmMap and its xShmUnmap of a file, so
/// that unix's unixShmNode (its -shm descriptor) and ours come and go
/// together: no connection can attach to a node whose POSIX locks the
/// unix VFS dropped by closing its descriptor.
std::mutex nodes_mtx;
std::map<file_key, std::shared_ptr<shm_node>>& nodes() {
  static auto* m = new std::map<file_key, std::shared_ptr<shm_node>>();
  return *m;
}

struct shim_file {
  sqlite3_file base;
  sqlite3_file* real;
  std::string* shm_path; ///< main database files only
  file_key key;          ///< with shm_path
  shm_node* node;
  bool mapped; ///< counted in node->mapped
  unsigned shared_mask, excl_mask;
};

sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs shim_vfs;

struct methods_pair {
  const sqlite3_io_methods* real;
  sqlite3_io_methods shim;
};
std::mutex methods_mtx;
std::vector<std::unique_ptr<methods_pair>>& method_tables() {
  static auto* v = new std::vector<std::unique_ptr<methods_pair>>();
  return *v;
}

sqlite3_file* real_of(sqlite3_file* f) {
  return reinterpret_cast<shim_file*>(f)->real;
}

/// A POSIX lock (F_RDLCK, F_WRLCK, F_UNLCK) on slots [ofst, ofst+n).
bool posix_lock(int fd, short type, int ofst, int n) {
  struct flock l {};
  l.l_type = type;
  l.l_whence = SEEK_SET;
  l.l_start = shm_base + ofst;
  l.l_len = n;
  return fd >= 0 && fcntl(fd, F_SETLK, &l) == 0;
}

/// Our descriptor on a -shm file (read-write if we may: exclusive locks
/// need it), -1 if it does not exist yet. Never closed while a connection
/// of the process uses the file: closing any descriptor of a file drops
/// every POSIX lock the process holds on it.
int open_shm(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  return fd >= 0 ? fd : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

/// Drops one shared hold of slot i; a non-read-mark slot's POSIX lock
/// goes with the last one (nd.m held).
void release_shared(shm_node& nd, int i) {
  if (--nd.shared[i] == 0 && i < first_sticky && nd.sticky[i]) {
    posix_lock(nd.fd, F_UNLCK, i, 1);
    nd.sticky[i] = false;
  }
}

/// nodes_mtx held.
void attach_locked(shim_file* f) {
  if (f->node || !f->shm_path)
    return;
  auto& slot = nodes()[f->key];
  if (!slot) {
    slot = std::make_shared<shm_node>();
    slot->path = *f->shm_path;
    slot->fd = open_shm(slot->path);
  }
  ++slot->refs;
  f->node = slot.get();
}

void attach(shim_file* f) {
  if (f->node || !f->shm_path)
    return;
  std::lock_guard<std::mutex> g(nodes_mtx);
  attach_locked(f);
}

/// The first file of the process to map a node's -shm since the unix VFS
/// last closed it (nodes_mtx held): unix's new descriptor holds no lock
/// of ours (closing its old one dropped them all), and its -shm may be a
/// new file (xShmUnmap with deleteFlag unlinks it).
void renew_locked(shm_node& nd, const std::string& path) {
  std::lock_guard<std::mutex> g(nd.m);
  for (int i = 0; i < nlock; ++i)
    nd.sticky[i] = false;
  nd.path = path; // the name unix's node opened (this file mapped first)
  struct stat ours {
  }, now{};
  if (nd.fd >= 0 && fstat(nd.fd, &ours) == 0 &&
      ::stat(path.c_str(), &now) == 0 && ours.st_dev == now.st_dev &&
      ours.st_ino == now.st_ino)
    return; // the same file: closing our descriptor would drop locks
  if (nd.fd >= 0)
    ::close(nd.fd); // an unlinked -shm: only its own locks go
  nd.fd = open_shm(path);
}

/// nodes_mtx held.
void detach_locked(shim_file* f) {
  if (!f->node)
    return;
  auto* nd = f->node;
  {
    std::lock_guard<std::mutex> g(nd->m);
    for (int i = 0; i < nlock; ++i) {
      if (f->shared_mask & (1u << i))
        release_shared(*nd, i);
      if (nd->excl[i] == f) {
        nd->excl[i] = nullptr;
        posix_lock(nd->fd, F_UNLCK, i, 1);
        nd->sticky[i] = false;
      }
    }
  }
  f->shared_mask = f->excl_mask = 0;
  if (f->mapped) {
    --nd->mapped;
    f->mapped = false;
  }
  auto it = nodes().find(f->key);
  if (it != nodes().end() && it->second.get() == nd &&
      --it->second->refs == 0) {
    // every file that ever called unix's xShmMap is attached, so unix's
    // node is gone too (its descriptor closed, which dropped every POSIX
    // lock of the process on the file): closing ours drops nothing more
    if (it->second->fd >= 0)
      ::close(it->second->fd);
    nodes().erase(it);
  }
  f->node = nullptr;
}

int shim_shm_lock(sqlite3_file* file, int ofst, int n, int flags) {
  auto* f = reinterpret_cast<shim_file*>(file);
  if (ofst < 0 || n < 1 || ofst + n > nlock)
    return SQLITE_IOERR_SHMLOCK;
  attach(f);
  if (!f->node)
    return f->real->pMethods->xShmLock(f->real, ofst, n, flags);
  auto& nd = *f->node;
  std::lock_guard<std::mutex> g(nd.m);
  if (nd.fd < 0) // the -shm file did not exist yet when the node was made
    nd.fd = open_shm(nd.path);
  unsigned mask = ((1u << (ofst + n)) - 1) & ~((1u << ofst) - 1);
  if (flags & SQLITE_SHM_UNLOCK) {
    for (int i = ofst; i < ofst + n; ++i) {
      unsigned b = 1u << i;
      if ((flags & SQLITE_SHM_SHARED) && (f->shared_mask & b))
        release_shared(nd, i); // a read mark's POSIX lock stays (sticky)
      if ((flags & SQLITE_SHM_EXCLUSIVE) && nd.excl[i] == f) {
        nd.excl[i] = nullptr;
        posix_lock(nd.fd, F_UNLCK, i, 1);
        nd.sticky[i] = false;
      }
    }
    if (flags & SQLITE_SHM_SHARED)
      f->shared_mask &= ~mask;
    else
      f->excl_mask &= ~mask;
    return SQLITE_OK;
  }
  if (flags & SQLITE_SHM_SHARED) { // n == 1
    if (f->shared_mask & mask)
      return SQLITE_OK;
    if (nd.excl[ofst] && nd.excl[ofst] != f)
      return SQLITE_BUSY;
    if (!nd.sticky[ofst] && nd.excl[ofst] != f) {
      if (!posix_lock(nd.fd, F_RDLCK, ofst, 1))
        return SQLITE_BUSY; // another process holds it exclusively
      nd.sticky[ofst] = true;
    }
    ++nd.shared[ofst];
    f->shared_mask |= mask;
    return SQLITE_OK;
  }
  for (int i = ofst; i < ofst + n; ++i) {
    if (nd.excl[i] && nd.excl[i] != f)
      return SQLITE_BUSY;
    if (nd.shared[i] - ((f->shared_mask >> i) & 1) > 0)
      return SQLITE_BUSY;
  }
  // a real write lock: it fails while another process holds the slot
  if (!posix_lock(nd.fd, F_WRLCK, ofst, n))
    return SQLITE_BUSY;
  for (int i = ofst; i < ofst + n; ++i) {
    nd.excl[i] = f;
    nd.sticky[i] = false;
  }
  f->excl_mask |= mask;
  return SQLITE_OK;
}

int shim_shm_map(sqlite3_file* file, int page, int size, int extend,
                 void volatile** out) {
  auto* f = reinterpret_cast<shim_file*>(file);
  if (f->mapped || !f->shm_path)
    return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
  // this file's first mapping: unix may create its node (open the -shm,
  // take the DMS lock) here; ours follows under the same mutex
  std::lock_guard<std::mutex> g(nodes_mtx);
  int rc = f->real->pMethods->xShmMap(f->real, page, size, extend, out);
  // attached even on failure: unix may keep its node for this file
  // (an error after opening the -shm) until xShmUnmap
  attach_locked(f);
  if (rc == SQLITE_OK || rc == SQLITE_READONLY) {
    f->mapped = true;
    if (f->node->mapped++ == 0)
      renew_locked(*f->node, *f->shm_path);
  }
  return rc;
}

int shim_shm_unmap(sqlite3_file* file, int delete_flag) {
  auto* f = reinterpret_cast<shim_file*>(file);
  std::lock_guard<std::mutex> g(nodes_mtx);
  int rc = f->real->pMethods->xShmUnmap(f->real, delete_flag);
  detach_locked(f);
  return rc;
}

int shim_close(sqlite3_file* file) {
  auto* f = reinterpret_cast<shim_file*>(file);
  int rc = f->real->pMethods->xClose(f->real);
  {
    std::lock_guard<std::mutex> g(nodes_mtx);
    detach_locked(f);
  }
  delete f->shm_path;
  f->shm_path = nullptr;
  return rc;
}

/// The shim's methods for files whose unix methods are `real`.
const sqlite3_io_methods* shim_methods(const sqlite3_io_methods* real) {
  std::lock_guard<std::mutex> g(methods_mtx);
  for (auto& p : method_tables())
    if (p->real == real)
      return &p->shim;
  auto p = std::make_unique<methods_pair>();
  p->real = real;
  auto& m = p->shim;
  m.iVersion = real->iVersion;
  m.xClose = shim_close;
  m.xRead = [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
    return real_of(f)->pMethods->xRead(real_of(f), b, n, o);
  };
  m.xWrite = [](sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
    return real_of(f)->pMethods->xWrite(real_of(f), b, n, o);
  };
  m.xTruncate = [](sqlite3_file* f, sqlite3_int64 s) {
    return real_of(f)->pMethods->xTruncate(real_of(f), s);
  };
  m.xSync = [](sqlite3_file* f, int fl) {
    return real_of(f)->pMethods->xSync(real_of(f), fl);
  };
  m.xFileSize = [](sqlite3_file* f, sqlite3_int64* s) {
    return real_of(f)->pMethods->xFileSize(real_of(f), s);
  };
  m.xLock = [](sqlite3_file* f, int l) {
    return real_of(f)->pMethods->xLock(real_of(f), l);
  };
  m.xUnlock = [](sqlite3_file* f, int l) {
    return real_of(f)->pMethods->xUnlock(real_of(f), l);
  };
  m.xCheckReservedLock = [](sqlite3_file* f, int* r) {
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), r);
  };
  m.xFileControl = [](sqlite3_file* f, int op, void* a) {
    return real_of(f)->pMethods->xFileControl(real_of(f), op, a);
  };
  m.xSectorSize = [](sqlite3_file* f) {
    return real_of(f)->pMethods->xSectorSize(real_of(f));
  };
  m.xDeviceCharacteristics = [](sqlite3_file* f) {
    return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
  };
  if (real->iVersion >= 2) {
    m.xShmMap = shim_shm_map;
    m.xShmLock = shim_shm_lock;
    m.xShmBarrier = [](sqlite3_file* f) {
      real_of(f)->pMethods->xShmBarrier(real_of(f));
    };
    m.xShmUnmap = shim_shm_unmap;
  }
  if (real->iVersion >= 3) {
    m.xFetch = [](sqlite3_file* f, sqlite3_int64 o, int n, void** pp) {
      return real_of(f)->pMethods->xFetch(real_of(f), o, n, pp);
    };
    m.xUnfetch = [](sqlite3_file* f, sqlite3_int64 o, void* p) {
      return real_of(f)->pMethods->xUnfetch(real_of(f), o, p);
    };
  }
  method_tables().push_back(std::move(p));
  return &method_tables().back()->shim;
}

int shim_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file,
              int flags, int* out_flags) {
  auto* f = reinterpret_cast<shim_file*>(file);
  std::memset(static_cast<void*>(f), 0, sizeof(shim_file));
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
  if (!f->real->pMethods) {
    f->base.pMethods = nullptr;
    return rc;
  }
  struct stat st {};
  if (rc == SQLITE_OK && name && (flags & SQLITE_OPEN_MAIN_DB) &&
      ::stat(name, &st) == 0) {
    f->shm_path = new std::string(std::string(name) + "-shm");
    f->key = {st.st_dev, st.st_ino};
  }
  f->base.pMethods = shim_methods(f->real->pMethods);
  return rc;
}

} // namespace

bool install_process_shm_locks() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    real_vfs = sqlite3_vfs_find(nullptr);
    if (!real_vfs || std::strcmp(real_vfs->zName, "unix") != 0 ||
        real_vfs->iVersion < 3)
      return; // not the VFS this was written against: leave it alone
    shim_vfs = *real_vfs;
    shim_vfs.szOsFile =
      static_cast<int>(sizeof(shim_file)) + real_vfs->szOsFile;
    shim_vfs.zName = "themis-unix";
    shim_vfs.pNext = nullptr;
    shim_vfs.xOpen = shim_open;
    // the rest as unix does it, called with unix's own vfs object
    shim_vfs.xDelete = [](sqlite3_vfs*, const char* n, int s) {
      return real_vfs->xDelete(real_vfs, n, s);
    };
    shim_vfs.xAccess = [](sqlite3_vfs*, const char* n, int f, int* r) {
      return real_vfs->xAccess(real_vfs, n, f, r);
    };
    shim_vfs.xFullPathname = [](sqlite3_vfs*, const char* n, int sz,
                                char* out) {
      return real_vfs->xFullPathname(real_vfs, n, sz, out);
    };
    shim_vfs.xDlOpen = [](sqlite3_vfs*, const char* n) {
      return real_vfs->xDlOpen(real_vfs, n);
    };
    shim_vfs.xDlError = [](sqlite3_vfs*, int n, char* m) {
      real_vfs->xDlError(real_vfs, n, m);
    };
    shim_vfs.xDlSym = [](sqlite3_vfs*, void* h, const char* s) {
      return real_vfs->xDlSym(real_vfs, h, s);
    };
    shim_vfs.xDlClose = [](sqlite3_vfs*, void* h) {
      real_vfs->xDlClose(real_vfs, h);
    };
    shim_vfs.xRandomness = [](sqlite3_vfs*, int n, char* out) {
      return real_vfs->xRandomness(real_vfs, n, out);
    };
    shim_vfs.xSleep = [](sqlite3_vfs*, int us) {
      return real_vfs->xSleep(real_vfs, us);
    };
    shim_vfs.xCurrentTime = [](sqlite3_vfs*, double* t) {
      return real_vfs->xCurrentTime(real_vfs, t);
    };
    shim_vfs.xGetLastError = [](sqlite3_vfs*, int n, char* m) {
      return real_vfs->xGetLastError(real_vfs, n, m);
    };
    shim_vfs.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* t) {
      return real_vfs->xCurrentTimeInt64(real_vfs, t);
    };
    shim_vfs.xSetSystemCall = [](sqlite3_vfs*, const char* n,
                                 sqlite3_syscall_ptr p) {
      return real_vfs->xSetSystemCall(real_vfs, n, p);
    };
    shim_vfs.xGetSystemCall = [](sqlite3_vfs*, const char* n) {
      return real_vfs->xGetSystemCall(real_vfs, n);
    };
    shim_vfs.xNextSystemCall = [](sqlite3_vfs*, const char* n) {
      return real_vfs->xNextSystemCall(real_vfs, n);
    };
    ok = sqlite3_vfs_register(&shim_vfs, 1) == SQLITE_OK;
  });
  return ok;
}

} // namespace themis::engine
