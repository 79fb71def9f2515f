#pragma once
/// ThemisDB's change events (its `ChangeEvent::toJson`, keys in
/// alphabetical order as nlohmann writes them):
///
///   {"key":"relational.default.users:42",
///    "metadata":{"pk":"42","table":"relational.default.users"},
///    "sequence":7,"timestamp_ms":1795600000000,"type":"PUT",
///    "value":"{\"name\":\"Ada\"}"}
///
/// `value` is the document as a JSON *text* without `_key` and `_rev`
/// (what the client stored), null for DELETE. Transaction markers:
/// `{"key":"","metadata":{"operations":N,"transaction_id":"…"},…,
/// "type":"TRANSACTION_COMMIT","value":null}`.

#include <string>
#include <string_view>

#include "engine/read_types.hpp"

namespace themis {

/// ThemisDB's event JSON; `table` is ThemisDB's name of the collection as
/// the subscriber knows it (engine::themisdb_table_of), unused for markers.
std::string themisdb_event_json(const engine::change_event& e,
                                std::string_view table);

/// A `/v2/changes` event frame: the same fields, `type` "cdc_event" and
/// `event_type` the ordinal (0 PUT, 1 DELETE, 2 TRANSACTION_COMMIT,
/// 3 TRANSACTION_ROLLBACK); `value` and an empty `metadata` are left out.
std::string themisdb_ws_frame(const engine::change_event& e,
                              std::string_view table);

/// 0–3 as above (unknown types count as PUT, as ThemisDB parses them).
int themisdb_event_ordinal(std::string_view type);

} // namespace themis
