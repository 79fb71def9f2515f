#pragma once
/// Subscription filters and the event JSON shared by every changefeed
/// transport (long-poll, SSE and WebSocket use the same rules).

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/read_types.hpp"
#include "themis/principal.hpp"

namespace themis {

/// How events are shown: themisd's own shape (document as JSON, the
/// collection named) or ThemisDB's (`key` "table:pk", `value` a JSON text
/// string, `metadata`, transaction markers); handlers/themisdb_events.hpp.
enum class event_format { native, themisdb };

/// Transaction markers (TRANSACTION_COMMIT / TRANSACTION_ROLLBACK) carry
/// no collection of their own: `collection` is "" for a transaction of the
/// global namespace and "tenant." for a tenant's; `key` is the
/// transaction id and `value` `{"transaction_id","operations"}`. Any type
/// other than PUT and DELETE is a marker too.
bool is_marker(const engine::change_event& e);
/// The tenant a marker belongs to ("" : the global namespace).
std::string_view marker_tenant(const engine::change_event& e);

struct change_filter {
  std::vector<std::string> collections; ///< empty = all
  std::string key_prefix; ///< on the key, or on "collection:key" if it has ':'
  bool puts = true;
  bool deletes = true;
  /// Markers pass only in the ThemisDB format (native subscribers see
  /// PUT and DELETE alone, so their sequences can have gaps).
  bool commits = true;
  bool rollbacks = true;
  bool include_docs = true;
  event_format format = event_format::native;
  /// Tenant scoping (issue 9): a tenant's subscriber sees only its own
  /// collections' events, under the names it knows them by; a global
  /// admin sees all, a global non-admin only the global namespace.
  std::string tenant;
  bool all_tenants = true;

  /// Scopes the filter to what `who` may see.
  void scope_to(const principal& who) {
    tenant = who.tenant;
    all_tenants = who.tenant.empty() && who.is_admin();
  }
  bool matches(const engine::change_event& e) const;
  /// The event's JSON for this subscriber: `pre` (rendered once for all
  /// subscribers, native format) unless the collection name must be shown
  /// tenant-local or the format is ThemisDB's.
  std::string render(const engine::change_event& e,
                     const std::string* pre) const;
  /// The collection's name as this subscriber knows it ("" : not its).
  std::string shown(const engine::change_event& e) const;

  /// Reads `collection` (comma list), `key_prefix`, `event_types`
  /// (PUT,DELETE and, for ThemisDB, TRANSACTION_COMMIT,
  /// TRANSACTION_ROLLBACK), `include_docs` and `format` (themisd |
  /// themisdb) from a query string. Returns an error message naming the
  /// parameter, or nullopt.
  static std::optional<std::string> parse(std::string_view query,
                                          change_filter& out);
};

/// `{"sequence","type","collection","key","timestamp_ms","value"?}`; the
/// value is the document as JSON (not a string), only for PUT.
/// `collection` overrides the event's (a tenant-local name).
std::string event_json(const engine::change_event& e, bool include_docs,
                       const std::string* collection = nullptr);

/// A committed group's events as the hub fans them out: rendered to JSON
/// once (with and without documents), not once per subscriber — and only
/// when a subscriber reads them: the hub always has subscribers (LISTEN
/// channels, MQTT) that usually have nobody to deliver to, and rendering
/// every event twice cost ~10 % of the SQL write path's CPU (pgbench).
struct published_events {
  std::vector<engine::change_event> events;
  const std::vector<std::string>& json() const;       ///< event_json(e, true)
  const std::vector<std::string>& json_nodoc() const; ///< event_json(e, false)

  static published_events render(std::vector<engine::change_event> events);

private:
  struct lazy {
    std::once_flag with_docs, without_docs;
    std::vector<std::string> json, json_nodoc;
  };
  std::shared_ptr<lazy> lazy_ = std::make_shared<lazy>();
};

} // namespace themis
