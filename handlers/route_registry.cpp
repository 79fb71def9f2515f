#include "handlers/route_registry.hpp"

#include <map>
#include <stdexcept>

namespace themis {

std::vector<std::string> split_template(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    auto j = path.find('/', i);
    if (j == std::string::npos)
      j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

namespace {

bool is_capture(const std::string& seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

} // namespace

std::string label_of(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i)
    if (!(path[i] == '_' && i > 0 && path[i - 1] == '{'))
      out.push_back(path[i]);
  return out;
}

const route_op* route_entry::op(const std::string& method) const {
  const route_op* any = nullptr;
  for (auto& o : ops) {
    if (o.method == method || (method == "HEAD" && o.method == "GET"))
      return &o;
    if (o.method == "*")
      any = &o;
  }
  return any;
}

// --- builder ---------------------------------------------------------------

route_op& route_builder::last() {
  auto& e = reg_.at(i_);
  if (e.ops.empty())
    throw std::logic_error("route " + e.path + ": no operation yet");
  return e.ops.back();
}

route_builder& route_builder::op(std::string method, handler_fn fn,
                                 std::string summary) {
  auto& e = reg_.at(i_);
  for (auto& o : e.ops)
    if (o.method == method)
      throw std::logic_error("route " + e.path + ": " + method + " twice");
  route_op o;
  o.method = std::move(method);
  o.fn = fn;
  o.summary = std::move(summary);
  o.tags = e.tags;
  e.ops.push_back(std::move(o));
  return *this;
}

route_builder& route_builder::get(handler_fn fn, std::string summary) {
  return op("GET", fn, std::move(summary));
}
route_builder& route_builder::post(handler_fn fn, std::string summary) {
  return op("POST", fn, std::move(summary));
}
route_builder& route_builder::put(handler_fn fn, std::string summary) {
  return op("PUT", fn, std::move(summary));
}
route_builder& route_builder::patch(handler_fn fn, std::string summary) {
  return op("PATCH", fn, std::move(summary));
}
route_builder& route_builder::del(handler_fn fn, std::string summary) {
  return op("DELETE", fn, std::move(summary));
}
route_builder& route_builder::any(handler_fn fn, std::string summary) {
  return op("*", fn, std::move(summary));
}
route_builder& route_builder::describe(std::string text) {
  last().description = std::move(text);
  return *this;
}
route_builder& route_builder::scope(std::string s) {
  last().scope = std::move(s);
  return *this;
}
route_builder& route_builder::body(nlohmann::json schema,
                                   nlohmann::json example) {
  last().body_schema = std::move(schema);
  last().example = std::move(example);
  return *this;
}
route_builder& route_builder::query(nlohmann::json schema) {
  last().query_schema = std::move(schema);
  return *this;
}
route_builder& route_builder::response(nlohmann::json schema, int status) {
  last().response_schema = std::move(schema);
  last().success = status;
  return *this;
}
route_builder& route_builder::produces(std::string content_type) {
  last().response_type = std::move(content_type);
  return *this;
}
route_builder& route_builder::consumes(std::string content_type) {
  last().request_type = std::move(content_type);
  return *this;
}
route_builder& route_builder::also_consumes(std::string content_type,
                                            nlohmann::json schema) {
  last().other_bodies.emplace_back(std::move(content_type), std::move(schema));
  return *this;
}
route_builder& route_builder::errors(std::vector<int> statuses) {
  last().errors = std::move(statuses);
  return *this;
}
route_builder& route_builder::own_error_shape() {
  last().own_error_shape = true;
  return *this;
}
route_builder& route_builder::rate_group(std::string g) {
  last().rate_group = std::move(g);
  return *this;
}
route_builder& route_builder::cache(cache_policy p) {
  p.render();
  last().cache = std::move(p);
  return *this;
}
route_builder& route_builder::deprecated(int64_t at, int64_t sunset,
                                         std::string successor) {
  last().deprecation = {at, sunset, std::move(successor)};
  return *this;
}
route_builder& route_builder::label(std::string l) {
  reg_.at(i_).label = std::move(l);
  return *this;
}
route_builder& route_builder::leading(std::vector<std::string> params) {
  reg_.at(i_).leading_params = std::move(params);
  return *this;
}
route_builder& route_builder::when(route_entry::gate g) {
  reg_.at(i_).when = g;
  return *this;
}
route_builder& route_builder::undocumented() {
  reg_.at(i_).documented = false;
  return *this;
}

// --- registry --------------------------------------------------------------

struct route_registry::node {
  std::map<std::string, std::unique_ptr<node>, std::less<>> lit;
  std::unique_ptr<node> cap;
  std::optional<size_t> here; ///< a route ending at this node
  std::optional<size_t> star; ///< a route with a trailing * here
};

route_registry::route_registry() : root_(std::make_unique<node>()) {}
route_registry::~route_registry() = default;

route_builder route_registry::add(std::string path,
                                  std::vector<std::string> tags) {
  if (find(path))
    throw std::logic_error("route registered twice: " + path);
  auto e = std::make_unique<route_entry>();
  e->label = label_of(path);
  e->path = std::move(path);
  e->tags = std::move(tags);
  routes_.push_back(std::move(e));
  return route_builder(*this, routes_.size() - 1);
}

bool route_registry::add_entry(route_entry e) {
  if (find(e.path))
    return false;
  routes_.push_back(std::make_unique<route_entry>(std::move(e)));
  return true;
}

void route_registry::reserve(std::string path) {
  auto e = std::make_unique<route_entry>();
  e->label = path;
  e->path = std::move(path);
  e->reserved = true;
  e->documented = false;
  routes_.push_back(std::move(e));
}

const route_entry* route_registry::find(const std::string& path) const {
  for (auto& r : routes_)
    if (r->path == path)
      return r.get();
  return nullptr;
}

void route_registry::insert(size_t index) {
  auto& e = *routes_[index];
  auto segs = split_template(e.path);
  node* n = root_.get();
  for (size_t k = 0; k < segs.size(); ++k) {
    auto& s = segs[k];
    if (s == "*") {
      if (k + 1 != segs.size())
        throw std::logic_error("'*' must end the template: " + e.path);
      if (n->star)
        throw std::logic_error("two routes of one shape: " + e.path);
      n->star = index;
      return;
    }
    auto& next = is_capture(s) ? n->cap : n->lit[s];
    if (!next)
      next = std::make_unique<node>();
    n = next.get();
  }
  if (n->here)
    throw std::logic_error("two routes of one shape: " + e.path + " and " +
                           routes_[*n->here]->path);
  n->here = index;
}

void route_registry::finish() {
  for (auto& e : routes_)
    if (e->ops.empty() && !e->reserved)
      throw std::logic_error("route without operations: " + e->path);
  root_ = std::make_unique<node>();
  for (size_t i = 0; i < routes_.size(); ++i)
    insert(i);
}

const route_entry*
route_registry::match(const std::vector<std::string>& segs, bool debug,
                      bool faults, std::vector<std::string>& params) const {
  auto on = [&](size_t i) {
    auto w = routes_[i]->when;
    return w == route_entry::gate::always ||
           (w == route_entry::gate::debug && debug) ||
           (w == route_entry::gate::faults && faults);
  };
  // depth-first: literal, then capture, then '*'; depth is the number of
  // segments (bounded by the request line's length)
  auto walk = [&](auto& self, const node& n, size_t k) -> const route_entry* {
    if (k == segs.size())
      return n.here && on(*n.here) ? routes_[*n.here].get() : nullptr;
    if (auto it = n.lit.find(segs[k]); it != n.lit.end())
      if (auto r = self(self, *it->second, k + 1))
        return r;
    if (n.cap)
      if (auto r = self(self, *n.cap, k + 1))
        return r;
    if (n.star && on(*n.star))
      return routes_[*n.star].get();
    return nullptr;
  };
  auto r = walk(walk, *root_, 0);
  if (!r)
    return nullptr;
  params = r->leading_params;
  auto t = split_template(r->path);
  for (size_t k = 0; k < t.size() && k < segs.size(); ++k)
    if (is_capture(t[k]) && t[k][1] != '_')
      params.push_back(segs[k]);
  return r;
}

std::optional<std::string> registry_scope(const std::string& method,
                                          const std::string& path) {
  std::vector<std::string> params;
  auto r =
    route_registry::global().match(split_template(path), true, true, params);
  if (!r || r->reserved)
    return std::nullopt;
  auto o = r->op(method);
  if (!o)
    return std::nullopt;
  return o->scope;
}

} // namespace themis
