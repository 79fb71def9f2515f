/// WASI preview 1 (the subset in docs/functions.md) and the themis host
/// API as wabt host functions. Nothing here reaches the host file system
/// or network: fds other than 0, 1, 2 answer EBADF, paths and sockets
/// ENOTCAPABLE. wabt's own interp-wasi (uvwasi) is not in Debian's
/// libwabt.a, and it would open the host file system anyway.

#include "functions/wasi_host.hpp"

#include <sys/random.h>

#include <chrono>
#include <cstring>

namespace themis::functions {

namespace wi = wabt::interp;

namespace {

// WASI errno values
constexpr uint32_t e_success = 0, e_badf = 8, e_fault = 21, e_inval = 28,
                   e_spipe = 70, e_notcapable = 76;

/// Bounds-checked views of the instance's linear memory.
class guest_memory {
public:
  explicit guest_memory(wi::Memory& m) : m_(m) {}
  bool ok(uint64_t ptr, uint64_t len) const {
    return ptr <= m_.ByteSize() && len <= m_.ByteSize() - ptr;
  }
  uint8_t* at(uint64_t ptr) { return m_.UnsafeData() + ptr; }
  uint32_t u32(uint64_t ptr) {
    uint32_t v;
    std::memcpy(&v, at(ptr), 4);
    return v;
  }
  void put32(uint64_t ptr, uint32_t v) { std::memcpy(at(ptr), &v, 4); }
  void put64(uint64_t ptr, uint64_t v) { std::memcpy(at(ptr), &v, 8); }
  bool text(uint32_t ptr, uint32_t len, std::string& out) {
    if (!ok(ptr, len))
      return false;
    out.assign(reinterpret_cast<const char*>(at(ptr)), len);
    return true;
  }

private:
  wi::Memory& m_;
};

uint32_t arg(const wi::Values& p, size_t i) {
  return p[i].Get<uint32_t>();
}

void append_capped(std::string& to, std::string_view what, size_t cap) {
  if (to.size() >= cap)
    return;
  to.append(what.substr(0, cap - to.size()));
}

/// argv or environ: the pointer table then the NUL-terminated strings.
uint32_t put_strings(guest_memory& g, const std::vector<std::string>& v,
                     uint32_t table, uint32_t buf) {
  uint64_t need = 0;
  for (auto& s : v)
    need += s.size() + 1;
  if (!g.ok(table, uint64_t{v.size()} * 4) || !g.ok(buf, need))
    return e_fault;
  for (auto& s : v) {
    g.put32(table, buf);
    table += 4;
    std::memcpy(g.at(buf), s.data(), s.size());
    g.at(buf)[s.size()] = 0;
    buf += static_cast<uint32_t>(s.size() + 1);
  }
  return e_success;
}

uint32_t put_sizes(guest_memory& g, const std::vector<std::string>& v,
                   uint32_t count_ptr, uint32_t size_ptr) {
  if (!g.ok(count_ptr, 4) || !g.ok(size_ptr, 4))
    return e_fault;
  uint64_t bytes = 0;
  for (auto& s : v)
    bytes += s.size() + 1;
  g.put32(count_ptr, static_cast<uint32_t>(v.size()));
  g.put32(size_ptr, static_cast<uint32_t>(bytes));
  return e_success;
}

/// fd_write to 1 (stdout, capped: over the cap ends the invocation) or
/// 2 (stderr, kept in the log up to its cap).
wabt::Result fd_write(invocation_state& st, guest_memory& g,
                      const wi::Values& p, uint32_t& err) {
  uint32_t fd = arg(p, 0), iovs = arg(p, 1), n = arg(p, 2), out = arg(p, 3);
  if (fd != 1 && fd != 2) {
    err = e_badf;
    return wabt::Result::Ok;
  }
  if (!g.ok(iovs, uint64_t{n} * 8) || !g.ok(out, 4)) {
    err = e_fault;
    return wabt::Result::Ok;
  }
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t buf = g.u32(iovs + i * 8), len = g.u32(iovs + i * 8 + 4);
    if (!g.ok(buf, len)) {
      err = e_fault;
      return wabt::Result::Ok;
    }
    std::string_view piece(reinterpret_cast<const char*>(g.at(buf)), len);
    if (fd == 1) {
      if (st.res.out.size() + piece.size() > st.lim.output_bytes) {
        st.output_over = true;
        return wabt::Result::Error;
      }
      st.res.out.append(piece);
    } else {
      append_capped(st.res.log, piece, st.lim.log_bytes);
    }
    total += len;
  }
  g.put32(out, static_cast<uint32_t>(total));
  err = e_success;
  return wabt::Result::Ok;
}

uint32_t fd_read(invocation_state& st, guest_memory& g, const wi::Values& p) {
  uint32_t fd = arg(p, 0), iovs = arg(p, 1), n = arg(p, 2), out = arg(p, 3);
  if (fd != 0)
    return e_badf;
  if (!g.ok(iovs, uint64_t{n} * 8) || !g.ok(out, 4))
    return e_fault;
  uint64_t total = 0;
  const std::string& body = st.in.body;
  for (uint32_t i = 0; i < n && st.stdin_pos < body.size(); ++i) {
    uint32_t buf = g.u32(iovs + i * 8), len = g.u32(iovs + i * 8 + 4);
    if (!g.ok(buf, len))
      return e_fault;
    size_t take = std::min<size_t>(len, body.size() - st.stdin_pos);
    std::memcpy(g.at(buf), body.data() + st.stdin_pos, take);
    st.stdin_pos += take;
    total += take;
  }
  g.put32(out, static_cast<uint32_t>(total));
  return e_success;
}

uint32_t fdstat(guest_memory& g, uint32_t fd, uint32_t ptr) {
  if (fd > 2)
    return e_badf;
  if (!g.ok(ptr, 24))
    return e_fault;
  std::memset(g.at(ptr), 0, 24);
  g.at(ptr)[0] = 2; // character device
  // rights: fd_read (bit 1) on stdin, fd_write (bit 6) on stdout/stderr
  g.put64(ptr + 8, fd == 0 ? (1u << 1) : (1u << 6));
  return e_success;
}

uint64_t now_ns(uint32_t clock) {
  using namespace std::chrono;
  if (clock == 0)
    return duration_cast<nanoseconds>(system_clock::now().time_since_epoch())
      .count();
  return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch())
    .count();
}

/// A host call's text answer: copied into (buf, cap) when it fits; the
/// result is its length either way (a caller whose buffer was short
/// learns how much to offer), or the call's error status.
int32_t give(guest_memory& g, uint32_t buf, uint32_t cap, host_status s,
             const std::string& payload) {
  if (s != host_status::ok)
    return static_cast<int32_t>(s);
  if (payload.size() > INT32_MAX)
    return static_cast<int32_t>(host_status::failed);
  if (payload.size() <= cap)
    std::memcpy(g.at(buf), payload.data(), payload.size());
  return static_cast<int32_t>(payload.size());
}

/// themis.doc_get / doc_put: collection and key as (ptr, len) pairs.
int32_t doc_call(invocation_state& st, guest_memory& g, const wi::Values& p,
                 bool put) {
  std::string coll, key, payload;
  if (!g.text(arg(p, 0), arg(p, 1), coll) || !g.text(arg(p, 2), arg(p, 3), key))
    return static_cast<int32_t>(host_status::invalid);
  if (!st.in.host)
    return static_cast<int32_t>(host_status::failed);
  if (put) {
    if (!g.text(arg(p, 4), arg(p, 5), payload))
      return static_cast<int32_t>(host_status::invalid);
    return static_cast<int32_t>(st.in.host->put_document(coll, key, payload));
  }
  uint32_t buf = arg(p, 4), cap = arg(p, 5);
  if (!g.ok(buf, cap))
    return static_cast<int32_t>(host_status::invalid);
  return give(g, buf, cap, st.in.host->get_document(coll, key, payload),
              payload);
}

/// themis.aql_query (query; buffer) and themis.mqtt_publish (topic;
/// payload): strings as (ptr, len) pairs.
int32_t query_call(invocation_state& st, guest_memory& g, const wi::Values& p,
                   bool publish) {
  std::string text, payload;
  if (!g.text(arg(p, 0), arg(p, 1), text))
    return static_cast<int32_t>(host_status::invalid);
  if (!st.in.host)
    return static_cast<int32_t>(host_status::failed);
  if (publish) {
    if (!g.text(arg(p, 2), arg(p, 3), payload))
      return static_cast<int32_t>(host_status::invalid);
    return static_cast<int32_t>(st.in.host->mqtt_publish(text, payload));
  }
  uint32_t buf = arg(p, 2), cap = arg(p, 3);
  if (!g.ok(buf, cap))
    return static_cast<int32_t>(host_status::invalid);
  return give(g, buf, cap, st.in.host->aql_query(text, payload), payload);
}

bool valid_header(const std::string& name, const std::string& value) {
  if (name.empty() || name.size() > 256 || value.size() > 8192)
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
      return false;
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0')
      return false;
  return true;
}

} // namespace

wi::HostFunc::Callback host_callback(host_import what, invocation_state& st) {
  return [what, &st](wi::Thread& thread, const wi::Values& p,
                     wi::Values& results, wi::Trap::Ptr* trap) {
    guest_memory g(*st.memory);
    uint32_t r = e_success;
    switch (what) {
      case host_import::args_get:
        r = put_strings(g, st.in.args, arg(p, 0), arg(p, 1));
        break;
      case host_import::args_sizes_get:
        r = put_sizes(g, st.in.args, arg(p, 0), arg(p, 1));
        break;
      case host_import::environ_get:
        r = put_strings(g, st.in.environ, arg(p, 0), arg(p, 1));
        break;
      case host_import::environ_sizes_get:
        r = put_sizes(g, st.in.environ, arg(p, 0), arg(p, 1));
        break;
      case host_import::clock_res_get:
      case host_import::clock_time_get: {
        uint32_t clock = arg(p, 0);
        uint32_t out =
          what == host_import::clock_res_get ? arg(p, 1) : arg(p, 2);
        if (clock > 3)
          r = e_inval;
        else if (!g.ok(out, 8))
          r = e_fault;
        else
          g.put64(out,
                  what == host_import::clock_res_get ? 1000 : now_ns(clock));
        break;
      }
      case host_import::fd_read:
        r = fd_read(st, g, p);
        break;
      case host_import::fd_write:
        if (wabt::Failed(fd_write(st, g, p, r))) {
          *trap = wi::Trap::New(thread.store(), output_trap);
          return wabt::Result::Error;
        }
        break;
      case host_import::fd_close:
        r = arg(p, 0) <= 2 ? e_success : e_badf;
        break;
      case host_import::fd_seek:
        r = arg(p, 0) <= 2 ? e_spipe : e_badf;
        break;
      case host_import::fd_fdstat_get:
        r = fdstat(g, arg(p, 0), arg(p, 1));
        break;
      case host_import::fd_prestat_get: // no preopened directories
      case host_import::wasi_denied_badf:
        r = e_badf;
        break;
      case host_import::wasi_denied_notcapable:
        r = e_notcapable;
        break;
      case host_import::proc_exit:
        st.exited = true;
        st.res.exit_code = static_cast<int32_t>(arg(p, 0));
        *trap = wi::Trap::New(thread.store(), exit_trap);
        return wabt::Result::Error;
      case host_import::random_get: {
        uint32_t buf = arg(p, 0), len = arg(p, 1);
        if (!g.ok(buf, len)) {
          r = e_fault;
          break;
        }
        for (uint32_t done = 0; done < len;) {
          ssize_t n = getrandom(g.at(buf + done), len - done, 0);
          if (n <= 0)
            break;
          done += static_cast<uint32_t>(n);
        }
        break;
      }
      case host_import::sched_yield:
        break;
      case host_import::set_status: {
        uint32_t code = arg(p, 0);
        if (code < 200 || code > 599)
          r = static_cast<uint32_t>(host_status::invalid);
        else
          st.res.status = static_cast<int>(code);
        break;
      }
      case host_import::set_header: {
        std::string name, value;
        if (!g.text(arg(p, 0), arg(p, 1), name) ||
            !g.text(arg(p, 2), arg(p, 3), value) ||
            !valid_header(name, value) || st.res.headers.size() >= 64)
          r = static_cast<uint32_t>(host_status::invalid);
        else
          st.res.headers.emplace_back(std::move(name), std::move(value));
        break;
      }
      case host_import::log: {
        std::string line;
        if (!g.text(arg(p, 0), arg(p, 1), line)) {
          r = static_cast<uint32_t>(host_status::invalid);
          break;
        }
        append_capped(st.res.log, line + "\n", st.lim.log_bytes);
        break;
      }
      case host_import::doc_get:
      case host_import::doc_put:
        r = static_cast<uint32_t>(
          doc_call(st, g, p, what == host_import::doc_put));
        break;
      case host_import::aql_query:
      case host_import::mqtt_publish:
        r = static_cast<uint32_t>(
          query_call(st, g, p, what == host_import::mqtt_publish));
        break;
    }
    if (!results.empty())
      results[0] = wi::Value::Make(r);
    return wabt::Result::Ok;
  };
}

} // namespace themis::functions
