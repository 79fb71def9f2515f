#include "engine/sql/pg_enum.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "engine/sql/sql_catalog.hpp"

namespace themis::sql {

namespace {

struct entry {
  std::string name;
  std::vector<std::string> labels;
};

struct registry {
  std::shared_mutex m;
  std::map<uint32_t, std::shared_ptr<const entry>> types;
  /// names handed out as const char*: interned, never freed
  std::map<uint32_t, std::unique_ptr<const std::string>> names;
};

registry& reg() {
  static registry r;
  return r;
}

std::shared_ptr<const entry> lookup(uint32_t oid) {
  auto& r = reg();
  std::shared_lock lock(r.m);
  auto it = r.types.find(oid);
  return it == r.types.end() ? nullptr : it->second;
}

} // namespace

uint32_t enum_oid(const std::string& stored_name) {
  return table_oid("enum:" + stored_name);
}

void enum_registry_set(uint32_t oid, const std::string& display_name,
                       const std::vector<std::string>& labels) {
  auto e = std::make_shared<const entry>(entry{display_name, labels});
  auto& r = reg();
  std::unique_lock lock(r.m);
  r.types[oid] = std::move(e);
  if (!r.names.count(oid))
    r.names[oid] = std::make_unique<const std::string>(display_name);
}

uint32_t enum_oid_by_name(const std::string& name) {
  auto& r = reg();
  std::shared_lock lock(r.m);
  for (auto& [oid, e] : r.types)
    if (e->name == name)
      return oid;
  return 0;
}

const char* enum_type_cname(uint32_t oid) {
  auto& r = reg();
  std::shared_lock lock(r.m);
  auto it = r.names.find(oid);
  return it == r.names.end() ? nullptr : it->second->c_str();
}

bool is_enum_type(uint32_t oid) {
  return oid >= 16384 && lookup(oid) != nullptr;
}

std::string enum_type_name(uint32_t oid) {
  auto e = lookup(oid);
  return e ? e->name : std::string();
}

value enum_in(const value& v, uint32_t oid) {
  if (v.is_null())
    return v;
  auto e = lookup(oid);
  auto text = v.k == value::kind::text || v.k == value::kind::blob ? v.s
              : v.k == value::kind::integer ? std::to_string(v.i)
                                            : std::to_string(v.d);
  if (!e ||
      std::find(e->labels.begin(), e->labels.end(), text) == e->labels.end())
    throw sql_error("22P02", "invalid input value for enum " +
                               (e ? e->name : std::string("?")) + ": \"" +
                               text + "\"");
  return value::of_text(text);
}

} // namespace themis::sql
