/// GET /console[/...]: the web console's built files (docs/console.md).
///
/// The directory is read once into memory (a few hundred KiB) and files
/// are looked up by their relative path in that map, so a request can only
/// ever name a file that was in the directory: no path from a request
/// reaches the filesystem. Rebuilding the console needs a restart.

#include "handlers/console_handlers.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "handlers/http_json.hpp"
#include "handlers/route_context.hpp"
#include "handlers/route_registry.hpp"

namespace themis {

const char* const console_csp =
  "default-src 'none'; script-src 'self'; style-src 'self'; "
  "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
  "manifest-src 'self'; base-uri 'none'; form-action 'self'; "
  "frame-ancestors 'none'";

namespace {

namespace fs = std::filesystem;

/// Bounds on what is read into memory: a console build is ~1 MiB.
constexpr size_t max_files = 512;
constexpr uintmax_t max_bytes = 32u << 20;

struct console_file {
  std::string body, type, etag;
  bool immutable = false; ///< under assets/: Vite puts a hash in the name
};

struct console_files {
  std::mutex mu;
  bool loaded = false;
  std::string dir, error;
  std::unordered_map<std::string, console_file> files;
};

console_files& store() {
  static console_files s;
  return s;
}

/// console.dir (THEMIS_CONSOLE_DIR as for every key), else `console`
/// beside the themisd binary (the build directory, where scripts/setup.sh
/// builds it, or an install's bin).
std::string console_dir(const server_config& cfg) {
  if (!cfg.console.dir.empty())
    return cfg.console.dir;
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return "console";
  return (exe.parent_path() / "console").string();
}

/// The types a Vite build produces; other files are not served.
const char* type_of(const fs::path& p) {
  static const std::unordered_map<std::string, const char*> types = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
  };
  auto it = types.find(p.extension().string());
  return it == types.end() ? nullptr : it->second;
}

std::string etag_of(const std::string& body) {
  std::ostringstream s;
  s << '"' << std::hex << std::hash<std::string>{}(body) << '-' << std::dec
    << body.size() << '"';
  return s.str();
}

/// Reads the directory (regular files only, symlinks skipped, hidden
/// files skipped). Keeps nothing when index.html is missing, so a console
/// built after the server started is found on a later request.
void load(console_files& s, const server_config& cfg) {
  s.dir = console_dir(cfg);
  s.files.clear();
  std::error_code ec;
  fs::recursive_directory_iterator it(s.dir, ec), end;
  if (ec) {
    s.error = "cannot read " + s.dir + ": " + ec.message();
    return;
  }
  uintmax_t total = 0;
  for (; it != end; it.increment(ec)) {
    if (ec)
      break;
    auto st = it->symlink_status(ec);
    if (ec || !fs::is_regular_file(st))
      continue;
    auto rel = fs::relative(it->path(), s.dir, ec).generic_string();
    auto type = type_of(it->path());
    if (ec || !type || !console_path_ok(rel))
      continue;
    total += it->file_size(ec);
    if (ec || s.files.size() >= max_files || total > max_bytes) {
      s.error = "the console directory is over " + std::to_string(max_files) +
                " files or " + std::to_string(max_bytes >> 20) +
                " MiB: " + s.dir;
      s.files.clear();
      return;
    }
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    console_file f{body.str(), type, "", rel.rfind("assets/", 0) == 0};
    f.etag = etag_of(f.body);
    s.files.emplace(rel, std::move(f));
  }
  if (!s.files.count("index.html")) {
    s.error = "the console is not built: no index.html in " + s.dir +
              " (scripts/setup.sh builds it; console.dir or THEMIS_CONSOLE_DIR "
              "points elsewhere)";
    s.files.clear();
    return;
  }
  s.error.clear();
  s.loaded = true;
}

/// Headers on every console answer, errors included.
void protect(api_response& r) {
  r.set_header("Content-Security-Policy", console_csp);
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Referrer-Policy", "no-referrer");
  r.set_header("X-Frame-Options", "DENY");
  r.set_header("Cross-Origin-Opener-Policy", "same-origin");
}

void refuse(route_context& ctx, int status, const std::string& why) {
  auto r = error_response(status, why);
  protect(r);
  r.set_header("Cache-Control", "no-store");
  ctx.respond(std::move(r));
}

void serve_console(route_context& ctx) {
  static const std::string root = "/console";
  const auto& path = ctx.req.path;
  if (path == root) {
    // relative, so a gateway's prefix is kept: /db/console → /db/console/
    api_response r;
    r.status = 301;
    r.set_header("Location", "console/");
    protect(r);
    return ctx.respond(std::move(r));
  }
  auto rest = path.substr(root.size() + 1); // after "/console/"
  if (rest.empty())
    rest = "index.html";
  if (!console_path_ok(rest))
    return refuse(ctx, 400, "not a console file name: " + path);
  auto& s = store();
  std::unique_lock lock(s.mu);
  if (!s.loaded)
    load(s, ctx.env.config);
  if (!s.loaded)
    return refuse(ctx, 404, s.error);
  auto it = s.files.find(rest);
  lock.unlock(); // the map does not change once loaded
  if (it == s.files.end())
    return refuse(ctx, 404, "no console file " + path);
  const auto& f = it->second;
  api_response r;
  protect(r);
  r.set_header("Cache-Control", f.immutable
                                  ? "public, max-age=31536000, immutable"
                                  : "no-cache");
  r.set_header("ETag", f.etag);
  auto inm = ctx.req.header("If-None-Match");
  if (inm && inm->find(f.etag) != std::string::npos) {
    r.status = 304;
    return ctx.respond(std::move(r));
  }
  r.set_header("Content-Type", f.type);
  r.body = f.body;
  ctx.respond(std::move(r));
}

} // namespace

bool console_path_ok(std::string_view rest) {
  if (rest.empty() || rest.size() > 256)
    return false;
  size_t start = 0;
  while (start <= rest.size()) {
    auto end = rest.find('/', start);
    if (end == std::string_view::npos)
      end = rest.size();
    auto seg = rest.substr(start, end - start);
    if (seg.empty() || seg[0] == '.')
      return false;
    for (char c : seg)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
            c == '-' || c == '.' || c == '~'))
        return false;
    start = end + 1;
  }
  return true;
}

void register_console_routes(route_registry& reg) {
  for (auto p : {"/console", "/console/*"})
    reg.add(p, {"meta"})
      .undocumented()
      .label("/console")
      .get(serve_console, "The web console (docs/console.md)")
      .scope("");
}

} // namespace themis
