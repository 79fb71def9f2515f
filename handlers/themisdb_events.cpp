#include "handlers/themisdb_events.hpp"

#include <nlohmann/json.hpp>

#include "handlers/change_filter.hpp"
#include "handlers/themisdb_compat.hpp"

namespace themis {

namespace {

using json = nlohmann::json;

std::string text_of(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The event as a JSON object in ThemisDB's shape.
json themisdb_object(const engine::change_event& e, std::string_view table) {
  json j = {{"sequence", e.sequence},
            {"timestamp_ms", e.timestamp_ms},
            {"type", e.type}};
  if (is_marker(e)) {
    auto v = json::parse(e.value, nullptr, false);
    json meta = json::object();
    meta["transaction_id"] = v.is_object() && v.contains("transaction_id")
                               ? v["transaction_id"]
                               : json(e.key);
    meta["operations"] =
      v.is_object() && v.contains("operations") ? v["operations"] : json(0);
    j["key"] = "";
    j["metadata"] = std::move(meta);
    j["value"] = nullptr;
    return j;
  }
  std::string t(table);
  j["key"] = t + ":" + e.key;
  j["metadata"] = {{"pk", e.key}, {"table", t}};
  if (e.type == "PUT" && !e.value.empty()) {
    // what the client stored: the blob as GET /entities answers it
    j["value"] = user_document(e.value);
  } else {
    j["value"] = nullptr;
  }
  return j;
}

} // namespace

int themisdb_event_ordinal(std::string_view type) {
  if (type == "DELETE")
    return 1;
  if (type == "TRANSACTION_COMMIT")
    return 2;
  if (type == "TRANSACTION_ROLLBACK")
    return 3;
  return 0;
}

std::string themisdb_event_json(const engine::change_event& e,
                                std::string_view table) {
  return text_of(themisdb_object(e, table));
}

std::string themisdb_ws_frame(const engine::change_event& e,
                              std::string_view table) {
  auto j = themisdb_object(e, table);
  j["event_type"] = themisdb_event_ordinal(e.type);
  j["type"] = "cdc_event";
  if (j["value"].is_null())
    j.erase("value");
  if (j["metadata"].empty())
    j.erase("metadata");
  return text_of(j);
}

} // namespace themis
