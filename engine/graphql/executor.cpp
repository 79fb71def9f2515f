#include "engine/graphql/executor.hpp"

#include <map>
#include <unordered_map>

#include "engine/graphql/exec_support.hpp"
#include "engine/graphql/introspection.hpp"
#include "engine/graphql/values.hpp"

namespace themis::graphql {

namespace {
using json = nlohmann::json;
using value_ptr = std::shared_ptr<const json>;

/// A response path as a parent-linked list: a segment is allocated only
/// where children hang below it (objects, list items), and turned into
/// JSON only for errors and resolvers that are called with it.
struct path_seg;
using path_ptr = std::shared_ptr<const path_seg>;
struct path_seg {
  path_ptr up;
  const std::string* key = nullptr; ///< null: a list index
  std::size_t index = 0;
};

/// A position being completed: below `up`, at `key` or `index`.
struct path_ref {
  const path_ptr* up = nullptr;
  const std::string* key = nullptr;
  std::size_t index = 0;

  path_ptr materialize() const {
    return std::make_shared<const path_seg>(
      path_seg{up ? *up : nullptr, key, index});
  }
};

void append_path(const path_seg* s, json& out) {
  if (!s)
    return;
  append_path(s->up.get(), out);
  if (s->key)
    out.push_back(*s->key);
  else
    out.push_back(s->index);
}

json path_json(const path_ref& p) {
  json out = json::array();
  if (p.up)
    append_path(p.up->get(), out);
  if (p.key)
    out.push_back(*p.key);
  else
    out.push_back(p.index);
  return out;
}

} // namespace

/// The response is built as a tree of nodes (index 0 = data). Null
/// propagation happens when the tree is assembled: a node marked non-null
/// that ends up null invalidates its parent (section 6.4.4).
///
/// Costs per item (the hot path of a list of N objects with M fields):
/// field values are not copied — an object's value is shared with its
/// parent's (aliasing shared_ptr), the default resolver points into it;
/// CollectFields runs once per (object type, field group), not per item;
/// response keys point into the grouped fields; paths are linked segments.
struct executor::impl {
  struct node {
    enum class kind { null_, leaf, object, list } k = kind::null_;
    bool non_null = false;
    json leaf;
    std::vector<std::pair<const std::string*, std::size_t>> fields;
    std::vector<std::size_t> items;
  };
  /// One field of one object, waiting to be resolved.
  struct task {
    const type_def* type = nullptr;
    value_ptr parent;
    const std::vector<const selection*>* nodes = nullptr; ///< stable
    path_ptr parent_path;                                 ///< the object's
    const std::string* key = nullptr;                     ///< response key
    std::size_t slot = 0;
    const field_def* def = nullptr;

    path_ref where() const { return {&parent_path, key, 0}; }
  };

  impl(executor& self, const schema& sc, const document& d, execute_options o) :
    self(self), s(sc), doc(d), opts(std::move(o)) {}

  executor& self;
  const schema& s;
  const document& doc;
  execute_options opts;
  const operation_definition* op = nullptr;
  json variables = json::object();
  std::vector<error> errors;
  bool request_error = false;
  bool finished = false;
  std::vector<node> nodes;
  std::vector<task> next;
  std::unordered_map<deferred_handle, task> waiting;
  std::unordered_map<deferred_handle, field_result> early;
  deferred_handle last_handle = 0;
  // serial (mutation) root fields
  grouped_fields root_fields;
  std::size_t next_root = 0;
  bool serial = false;
  const type_def* root_type = nullptr;
  value_ptr root_value;
  /// CollectFields results by (object type, field node group): the same
  /// for every item of a list (variables do not change during execution);
  /// std::map keeps the grouped fields (and their keys) at fixed addresses.
  struct collected_fields {
    grouped_fields fields;
    std::vector<const field_def*> defs; ///< per entry; null: unknown field
  };
  std::map<std::pair<const type_def*, const void*>, collected_fields> collected;
  /// Named types of the field types met so far (type_refs live in the
  /// schema): one hash lookup per value instead of a map search by name.
  std::unordered_map<const type_ref*, const type_def*> named;

  const type_def* named_type(const type_ref& t) {
    auto [it, fresh] = named.try_emplace(&t, nullptr);
    if (fresh)
      it->second = s.find(t.name);
    return it->second;
  }

  void add_error(std::string msg, const task& t, const path_ref& at,
                 std::string code = {}) {
    if (errors.size() >= opts.max_errors)
      return;
    std::vector<location> locs;
    if (t.nodes && !t.nodes->empty())
      locs.push_back(t.nodes->front()->loc);
    errors.push_back(
      {std::move(msg), std::move(locs), path_json(at), std::move(code)});
  }

  void start() {
    error e;
    op = select_operation(doc, opts.operation_name, e);
    if (!op) {
      errors.push_back(e);
      request_error = finished = true;
      return;
    }
    root_type = s.root_type(op->op);
    if (!root_type) {
      errors.push_back({std::string("Schema is not configured to execute ") +
                          to_string(op->op) + " operation.",
                        {op->loc},
                        nullptr,
                        codes::operation});
      request_error = finished = true;
      return;
    }
    auto vars = coerce_variables(s, *op, opts.variables, errors);
    if (!vars) {
      request_error = finished = true;
      return;
    }
    variables = std::move(*vars);
    root_value = std::make_shared<const json>(opts.root_value);
    nodes.emplace_back();
    nodes[0].k = node::kind::object;
    collect_fields(s, doc, *root_type, {&op->selections}, variables,
                   root_fields);
    serial = op->op == operation_type::mutation;
    if (!serial) {
      for (auto& [key, fnodes] : root_fields)
        schedule(0, *root_type, root_value, key, fnodes, nullptr);
      next_root = root_fields.size();
    }
    run();
  }

  void schedule(std::size_t obj, const type_def& type, const value_ptr& parent,
                const std::string& key,
                const std::vector<const selection*>& fnodes,
                const path_ptr& parent_path, const field_def* def = nullptr) {
    if (!def)
      def = find_field(s, type, fnodes.front()->name);
    if (!def)
      return; // validation rejects unknown fields; skip defensively
    std::size_t slot = nodes.size();
    nodes.emplace_back();
    nodes[obj].fields.push_back({&key, slot});
    next.push_back(task{&type, parent, &fnodes, parent_path, &key, slot, def});
  }

  void run() {
    while (!finished) {
      if (!waiting.empty())
        return;
      if (!next.empty()) {
        std::vector<task> level;
        level.swap(next);
        dispatch(level);
        continue;
      }
      if (serial && next_root < root_fields.size()) {
        auto& [key, fnodes] = root_fields[next_root++];
        schedule(0, *root_type, root_value, key, fnodes, nullptr);
        continue;
      }
      finished = true;
    }
  }

  std::optional<json> args_for(task& t) {
    std::string why;
    auto a =
      coerce_arguments(s, t.def->args, t.nodes->front()->args, variables, why);
    if (!a) {
      add_error(why, t, t.where(), codes::bad_input);
      nodes[t.slot] = node{};
      nodes[t.slot].non_null = t.def->type.is_non_null();
    }
    return a;
  }

  void dispatch(std::vector<task>& level) {
    // batch groups: same field definition and same field node (same args)
    std::map<std::pair<const field_def*, const selection*>,
             std::vector<std::size_t>>
      batches;
    std::vector<std::pair<const field_def*, const selection*>> batch_order;
    for (std::size_t i = 0; i < level.size(); ++i) {
      task& t = level[i];
      if (op->op == operation_type::subscription && !t.parent_path &&
          opts.subscription_event) {
        complete(std::move(t), field_result::of(*opts.subscription_event));
        continue;
      }
      if (!opts.introspection && is_meta_schema_field(t.def->name)) {
        add_error("GraphQL introspection is not allowed.", t, t.where());
        nodes[t.slot].non_null = t.def->type.is_non_null();
        continue;
      }
      if (t.def->resolve_batch) {
        auto key = std::make_pair(t.def, t.nodes->front());
        auto& v = batches[key];
        if (v.empty())
          batch_order.push_back(key);
        v.push_back(i);
        continue;
      }
      if (!t.def->resolve && t.def->args.empty() &&
          t.nodes->front()->args.empty()) {
        // the default resolver: parent[name], shared with the parent (no
        // copy, no argument coercion)
        static const json null_value;
        const json* v = &null_value;
        if (t.parent->is_object())
          if (auto it = t.parent->find(t.def->name); it != t.parent->end())
            v = &*it;
        complete_value(t, t.def->type, t.parent, *v, t.slot, t.where());
        continue;
      }
      auto args = args_for(t);
      if (!args)
        continue;
      if (!t.def->resolve) {
        json v =
          t.parent->is_object() ? t.parent->value(t.def->name, json()) : json();
        complete(std::move(t), field_result::of(std::move(v)));
        continue;
      }
      json path = path_json(t.where());
      resolve_context ctx{s,         *t.type,   *t.def, *t.nodes->front(),
                          *t.parent, *args,     path,   variables,
                          doc,       opts.user, self};
      field_result r;
      try {
        r = t.def->resolve(ctx);
      } catch (const std::exception& ex) {
        r = field_result::fail(ex.what(), codes::internal);
      }
      complete(std::move(t), std::move(r));
    }
    for (const auto& key : batch_order)
      run_batch(level, batches[key]);
  }

  void run_batch(std::vector<task>& level,
                 const std::vector<std::size_t>& idx) {
    task& first = level[idx.front()];
    auto args = args_for(first);
    if (!args) {
      for (std::size_t k = 1; k < idx.size(); ++k) {
        nodes[level[idx[k]].slot] = node{};
        nodes[level[idx[k]].slot].non_null = first.def->type.is_non_null();
      }
      return;
    }
    batch_context ctx{s,   *first.type, *first.def, *first.nodes->front(),
                      {},  *args,       {},         variables,
                      doc, opts.user,   self};
    for (std::size_t i : idx) {
      ctx.parents.push_back(level[i].parent.get());
      ctx.paths.push_back(path_json(level[i].where()));
    }
    std::vector<field_result> results;
    try {
      results = first.def->resolve_batch(ctx);
    } catch (const std::exception& ex) {
      results.clear();
      results.resize(idx.size(), field_result::fail(ex.what()));
    }
    if (results.size() != idx.size())
      results.assign(
        idx.size(),
        field_result::fail("Batch resolver returned " +
                           std::to_string(results.size()) + " results for " +
                           std::to_string(idx.size()) + " parents."));
    for (std::size_t k = 0; k < idx.size(); ++k)
      complete(std::move(level[idx[k]]), std::move(results[k]));
  }

  void complete(task t, field_result r) {
    if (r.k == field_result::kind::pending) {
      auto e = early.find(r.handle);
      if (e != early.end()) {
        field_result done = std::move(e->second);
        early.erase(e);
        complete(std::move(t), std::move(done));
        return;
      }
      waiting.emplace(r.handle, std::move(t));
      return;
    }
    if (r.k == field_result::kind::error) {
      add_error(std::move(r.message), t, t.where(), std::move(r.code));
      nodes[t.slot].k = node::kind::null_;
      nodes[t.slot].non_null = t.def->type.is_non_null();
      return;
    }
    // the resolver's value is moved, not copied, into shared ownership
    auto owner = std::make_shared<const json>(std::move(r.val));
    const json& v = *owner;
    complete_value(t, t.def->type, owner, v, t.slot, t.where());
  }

  /// `owner` keeps `v` alive (v is *owner or a part of it).
  void complete_value(const task& t, const type_ref& type,
                      const value_ptr& owner, const json& v, std::size_t slot,
                      const path_ref& at) {
    if (type.is_non_null()) {
      nodes[slot].non_null = true;
      if (v.is_null()) {
        add_error("Cannot return null for non-nullable field " + t.type->name +
                    "." + t.def->name + ".",
                  t, at);
        return;
      }
      complete_value(t, *type.of, owner, v, slot, at);
      return;
    }
    if (v.is_null())
      return;
    if (type.is_list()) {
      if (!v.is_array()) {
        add_error("Expected Iterable, but did not find one for field \"" +
                    t.type->name + "." + t.def->name + "\".",
                  t, at);
        return;
      }
      nodes[slot].k = node::kind::list;
      nodes[slot].items.reserve(v.size());
      path_ptr list_path = at.materialize();
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::size_t item = nodes.size();
        nodes.emplace_back();
        nodes[slot].items.push_back(item);
        complete_value(t, *type.of, owner, v[i], item,
                       {&list_path, nullptr, i});
      }
      return;
    }
    const type_def* td = named_type(type);
    if (!td)
      return;
    if (td->is_leaf()) {
      std::string why;
      auto out = serialize_leaf(*td, v, why);
      if (!out) {
        add_error(why, t, at);
        return;
      }
      nodes[slot].k = node::kind::leaf;
      nodes[slot].leaf = std::move(*out);
      return;
    }
    const type_def* object_type = td;
    if (td->is_abstract()) {
      std::string name = td->resolve_type ? td->resolve_type(v, opts.user)
                         : v.is_object()  ? v.value("__typename", std::string())
                                          : std::string();
      object_type = s.find(name);
      if (!object_type || object_type->kind != type_kind::object ||
          !s.is_possible_type(*td, *object_type)) {
        add_error("Abstract type \"" + td->name +
                    "\" must resolve to an Object type at runtime for field "
                    "\"" +
                    t.type->name + "." + t.def->name + "\"; got \"" + name +
                    "\".",
                  t, at);
        return;
      }
    }
    nodes[slot].k = node::kind::object;
    auto [it, fresh] = collected.try_emplace({object_type, t.nodes});
    auto& c = it->second;
    if (fresh) {
      std::vector<const selection_set*> sets;
      for (const auto* n : *t.nodes)
        sets.push_back(&n->selections);
      collect_fields(s, doc, *object_type, sets, variables, c.fields);
      for (const auto& f : c.fields)
        c.defs.push_back(find_field(s, *object_type, f.second.front()->name));
    }
    value_ptr parent(owner, &v); // aliasing: shares the owner, no copy
    path_ptr here = at.materialize();
    for (std::size_t k = 0; k < c.fields.size(); ++k)
      if (c.defs[k])
        schedule(slot, *object_type, parent, c.fields[k].first,
                 c.fields[k].second, here, c.defs[k]);
  }

  /// Which nodes end up null after null propagation (children have higher
  /// indices than their parents, so one backward pass settles it).
  std::vector<char> nulled() const {
    std::vector<char> out(nodes.size(), 0);
    for (std::size_t i = nodes.size(); i-- > 0;) {
      const node& n = nodes[i];
      bool is_null = n.k == node::kind::null_;
      if (n.k == node::kind::list)
        for (std::size_t c : n.items)
          is_null = is_null || (out[c] && nodes[c].non_null);
      if (n.k == node::kind::object)
        for (const auto& f : n.fields)
          is_null = is_null || (out[f.second] && nodes[f.second].non_null);
      out[i] = is_null;
    }
    return out;
  }

  /// One serializer for the whole answer (constructing one per leaf reads
  /// the locale each time).
  using text_serializer = nlohmann::detail::serializer<json>;

  void write(std::size_t i, const std::vector<char>& null_at, std::string& out,
             text_serializer& leaves) const {
    const node& n = nodes[i];
    if (null_at[i]) {
      out += "null";
      return;
    }
    switch (n.k) {
      case node::kind::null_:
        out += "null";
        return;
      case node::kind::leaf:
        leaves.dump(n.leaf, false, false, 0);
        return;
      case node::kind::list:
        out += '[';
        for (std::size_t k = 0; k < n.items.size(); ++k) {
          if (k)
            out += ',';
          write(n.items[k], null_at, out, leaves);
        }
        out += ']';
        return;
      case node::kind::object:
        out += '{';
        for (std::size_t k = 0; k < n.fields.size(); ++k) {
          if (k)
            out += ',';
          // response keys are GraphQL names ([_A-Za-z][_0-9A-Za-z]*)
          out += '"';
          out += *n.fields[k].first;
          out += "\":";
          write(n.fields[k].second, null_at, out, leaves);
        }
        out += '}';
        return;
    }
  }

  /// nullopt: null that must propagate to the parent.
  template <class J>
  std::optional<J> build(std::size_t i) const {
    const node& n = nodes[i];
    J out;
    switch (n.k) {
      case node::kind::null_:
        break;
      case node::kind::leaf:
        out = J(n.leaf);
        break;
      case node::kind::list: {
        out = J::array();
        for (std::size_t c : n.items) {
          auto v = build<J>(c);
          if (!v) {
            out = nullptr;
            break;
          }
          out.push_back(std::move(*v));
        }
        break;
      }
      case node::kind::object: {
        out = J::object();
        for (const auto& [key, c] : n.fields) {
          auto v = build<J>(c);
          if (!v) {
            out = nullptr;
            break;
          }
          out[*key] = std::move(*v);
        }
        break;
      }
    }
    if (out.is_null() && n.non_null)
      return std::nullopt;
    return out;
  }
};

deferred_handle resolve_context::defer() {
  return exec.new_handle();
}
deferred_handle batch_context::defer() {
  return exec.new_handle();
}

executor::executor(const schema& s, const document& doc, execute_options opts) :
  impl_(std::make_unique<impl>(*this, s, doc, std::move(opts))) {}

executor::~executor() = default;

void executor::start() {
  impl_->start();
}

bool executor::resolve(deferred_handle h, field_result result) {
  if (h == 0 || h > impl_->last_handle)
    return false;
  auto it = impl_->waiting.find(h);
  if (it == impl_->waiting.end()) {
    // completed before the resolver returned pending(h)
    return impl_->early.emplace(h, std::move(result)).second;
  }
  auto t = std::move(it->second);
  impl_->waiting.erase(it);
  if (result.k == field_result::kind::pending)
    result = field_result::fail("deferred field resolved as pending");
  impl_->complete(std::move(t), std::move(result));
  return true;
}

void executor::resume() {
  if (impl_->op && !impl_->finished)
    impl_->run();
}

bool executor::done() const {
  return impl_->finished;
}

std::size_t executor::pending() const {
  return impl_->waiting.size();
}

std::vector<deferred_handle> executor::pending_handles() const {
  std::vector<deferred_handle> out;
  for (const auto& [h, t] : impl_->waiting)
    out.push_back(h);
  return out;
}

bool executor::has_errors() const {
  return !impl_->errors.empty();
}

bool executor::request_error() const {
  return impl_->request_error;
}

deferred_handle executor::new_handle() {
  return ++impl_->last_handle;
}

template <class J>
static J make_response(const executor::impl& m) {
  J r = J::object();
  if (!m.request_error) {
    auto data = m.nodes.empty() ? std::optional<J>() : m.template build<J>(0);
    r["data"] = data ? std::move(*data) : J();
  }
  if (!m.errors.empty())
    r["errors"] = errors_to_json(m.errors);
  return r;
}

json executor::response() const {
  return make_response<json>(*impl_);
}

nlohmann::ordered_json executor::response_ordered() const {
  return make_response<nlohmann::ordered_json>(*impl_);
}

std::string executor::response_text() const {
  const impl& m = *impl_;
  std::string out = "{";
  if (!m.request_error) {
    out += "\"data\":";
    if (m.nodes.empty()) {
      out += "null";
    } else {
      auto null_at = m.nulled();
      out.reserve(m.nodes.size() * 16);
      impl::text_serializer leaves(
        nlohmann::detail::output_adapter<char, std::string>(out), ' ',
        json::error_handler_t::replace);
      m.write(0, null_at, out, leaves);
    }
  }
  if (!m.errors.empty()) {
    if (out.size() > 1)
      out += ',';
    out += "\"errors\":";
    out += errors_to_json(m.errors).dump(-1, ' ', false,
                                         json::error_handler_t::replace);
  }
  out += '}';
  return out;
}

json execute_sync(const schema& s, const document& doc, execute_options opts) {
  executor e(s, doc, std::move(opts));
  e.start();
  for (int guard = 0; !e.done() && guard < 1000; ++guard) {
    // nobody will complete these: fail them so the response is well formed
    for (auto h : e.pending_handles())
      e.resolve(h, field_result::fail("Resolver did not complete."));
    e.resume();
  }
  return e.response();
}

} // namespace themis::graphql
