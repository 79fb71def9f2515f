#include "handlers/change_filter.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/names.hpp"
#include "handlers/http_json.hpp"
#include "handlers/themisdb_events.hpp"

namespace themis {

namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    auto j = s.find(',', i);
    if (j == std::string::npos)
      j = s.size();
    auto item = s.substr(i, j - i);
    if (!item.empty())
      out.push_back(item);
    i = j + 1;
  }
  return out;
}

} // namespace

bool is_marker(const engine::change_event& e) {
  return (e.type != "PUT" && e.type != "DELETE") || e.collection.empty() ||
         e.collection.back() == '.';
}

std::string_view marker_tenant(const engine::change_event& e) {
  std::string_view c = e.collection;
  return c.empty() ? c : c.substr(0, c.size() - 1);
}

std::string change_filter::shown(const engine::change_event& e) const {
  return visible_collection(tenant, e.collection, all_tenants);
}

bool change_filter::matches(const engine::change_event& e) const {
  if (is_marker(e)) {
    // not a collection's event: no collection or key filter lets it pass
    if (format != event_format::themisdb || !collections.empty() ||
        !key_prefix.empty())
      return false;
    if (e.type == "TRANSACTION_COMMIT"     ? !commits
        : e.type == "TRANSACTION_ROLLBACK" ? !rollbacks
                                           : true)
      return false;
    return all_tenants || marker_tenant(e) == tenant;
  }
  if (e.type == "PUT" ? !puts : !deletes)
    return false;
  auto name = shown(e);
  if (name.empty())
    return false;
  bool themisdb = format == event_format::themisdb;
  auto table = themisdb ? engine::themisdb_table_of(name) : std::string();
  if (!collections.empty() &&
      std::find(collections.begin(), collections.end(), name) ==
        collections.end() &&
      (!themisdb || std::find(collections.begin(), collections.end(), table) ==
                      collections.end()))
    return false;
  if (key_prefix.empty())
    return true;
  if (themisdb) { // ThemisDB matches on its key, "table:pk"
    auto full = table + ":" + e.key;
    return full.compare(0, key_prefix.size(), key_prefix) == 0;
  }
  if (key_prefix.find(':') != std::string::npos) {
    auto full = name + ":" + e.key;
    return full.compare(0, key_prefix.size(), key_prefix) == 0;
  }
  return e.key.compare(0, key_prefix.size(), key_prefix) == 0;
}

std::optional<std::string> change_filter::parse(std::string_view query,
                                                change_filter& out) {
  if (auto c = query_param(query, "collection"))
    out.collections = split_list(*c);
  else if (auto cs = query_param(query, "collections"))
    out.collections = split_list(*cs);
  if (auto p = query_param(query, "key_prefix"))
    out.key_prefix = *p;
  if (auto t = query_param(query, "event_types")) {
    out.puts = out.deletes = out.commits = out.rollbacks = false;
    for (auto& type : split_list(*t)) {
      if (iequals(type, "PUT"))
        out.puts = true;
      else if (iequals(type, "DELETE"))
        out.deletes = true;
      else if (iequals(type, "TRANSACTION_COMMIT"))
        out.commits = true;
      else if (iequals(type, "TRANSACTION_ROLLBACK"))
        out.rollbacks = true;
      else
        return "event_types: unknown type '" + type +
               "' (PUT, DELETE, TRANSACTION_COMMIT, TRANSACTION_ROLLBACK)";
    }
  }
  if (auto f = query_param(query, "format")) {
    if (*f == "themisdb")
      out.format = event_format::themisdb;
    else if (*f == "themisd" || f->empty())
      out.format = event_format::native;
    else
      return "format: expected themisd (default) or themisdb";
  }
  if (auto d = query_param(query, "include_docs")) {
    if (*d == "true" || *d == "1" || d->empty())
      out.include_docs = true;
    else if (*d == "false" || *d == "0")
      out.include_docs = false;
    else
      return "include_docs: expected true or false";
  }
  return std::nullopt;
}

std::string change_filter::render(const engine::change_event& e,
                                  const std::string* pre) const {
  if (format == event_format::themisdb)
    return themisdb_event_json(e, engine::themisdb_table_of(shown(e)));
  if (tenant.empty())
    return pre ? *pre : event_json(e, include_docs);
  auto name = visible_collection(tenant, e.collection);
  return event_json(e, include_docs, &name);
}

std::string event_json(const engine::change_event& e, bool include_docs,
                       const std::string* collection) {
  nlohmann::json j = {{"sequence", e.sequence},
                      {"type", e.type},
                      {"collection", collection ? *collection : e.collection},
                      {"key", e.key},
                      {"timestamp_ms", e.timestamp_ms}};
  if (include_docs && e.type == "PUT" && !e.value.empty()) {
    auto v = nlohmann::json::parse(e.value, nullptr, false);
    if (!v.is_discarded())
      j["value"] = std::move(v);
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

published_events
published_events::render(std::vector<engine::change_event> events) {
  published_events out;
  out.events = std::move(events);
  return out;
}

const std::vector<std::string>& published_events::json() const {
  std::call_once(lazy_->with_docs, [this] {
    lazy_->json.reserve(events.size());
    for (auto& e : events)
      lazy_->json.push_back(event_json(e, true));
  });
  return lazy_->json;
}

const std::vector<std::string>& published_events::json_nodoc() const {
  std::call_once(lazy_->without_docs, [this] {
    lazy_->json_nodoc.reserve(events.size());
    for (auto& e : events)
      lazy_->json_nodoc.push_back(event_json(e, false));
  });
  return lazy_->json_nodoc;
}

} // namespace themis
