/// The ArangoDB HTTP API subset (docs/arangodb-api.md): every path twice,
/// as /_api/… in database _system and as /_db/{db}/_api/…; the handlers
/// get the database name first either way. No request schemas: these
/// paths answer in ArangoDB's error shape, which the handlers produce.

#include "handlers/arango_routes.hpp"
#include "handlers/route_registry.hpp"
#include "handlers/route_table.hpp"

namespace themis {

namespace {

/// `reg.add` for both prefixes; `fill` adds the operations.
template <class F>
void both(route_registry& reg, const std::string& tail, F fill) {
  auto plain = reg.add("/_api" + tail, {"arangodb"});
  plain.leading({"_system"});
  fill(plain);
  auto db = reg.add("/_db/{db}/_api" + tail, {"arangodb"});
  db.undocumented();
  fill(db);
}

} // namespace

void register_arango_routes(route_registry& reg) {
  both(reg, "/version", [](route_builder& b) {
    b.get(arango_version, "ArangoDB: server version").scope("authenticated");
  });
  both(reg, "/database/current", [](route_builder& b) {
    b.get(arango_database_current, "ArangoDB: current database")
      .scope("authenticated");
  });
  both(reg, "/cursor", [](route_builder& b) {
    b.post(arango_cursor_create, "ArangoDB: run AQL, open a cursor")
      .scope("query")
      .errors({400, 404});
  });
  // 3.11 drivers read on with POST, older ones with PUT
  both(reg, "/cursor/{id}", [](route_builder& b) {
    b.post(arango_cursor_next, "ArangoDB: next batch")
      .scope("query")
      .errors({404})
      .put(arango_cursor_next, "ArangoDB: next batch (older drivers)")
      .scope("query")
      .errors({404})
      .del(arango_cursor_delete, "ArangoDB: delete a cursor")
      .scope("query")
      .errors({404});
  });
  // a batch id (retriable batches) is matched and ignored
  both(reg, "/cursor/{id}/{_batch}", [](route_builder& b) {
    b.post(arango_cursor_next, "ArangoDB: next batch (retriable)")
      .scope("query")
      .errors({404})
      .put(arango_cursor_next, "ArangoDB: next batch (retriable, PUT)")
      .scope("query")
      .errors({404});
  });
  both(reg, "/document/{c}", [](route_builder& b) {
    b.post(arango_document_insert, "ArangoDB: insert documents")
      .scope("data:write")
      .errors({400, 404, 409})
      .put(arango_document_lookup, "ArangoDB: look documents up (onlyget)")
      .scope("data:write")
      .errors({400, 404});
  });
  both(reg, "/document/{c}/{key}", [](route_builder& b) {
    b.get(arango_document_get, "ArangoDB: get a document")
      .scope("data:read")
      .errors({304, 404, 412})
      .put(arango_document_write, "ArangoDB: replace a document")
      .scope("data:write")
      .errors({400, 404, 412})
      .patch(arango_document_write, "ArangoDB: update a document")
      .scope("data:write")
      .errors({400, 404, 412})
      .del(arango_document_write, "ArangoDB: remove a document")
      .scope("data:write")
      .errors({404, 412});
  });
  both(reg, "/collection", [](route_builder& b) {
    b.get(arango_collection_list, "ArangoDB: list collections")
      .scope("data:read")
      .post(arango_collection_create, "ArangoDB: create a collection")
      .scope("data:write")
      .errors({400, 409});
  });
  both(reg, "/collection/{c}", [](route_builder& b) {
    b.get(arango_collection_get, "ArangoDB: a collection")
      .scope("data:read")
      .errors({404})
      .del(arango_collection_drop, "ArangoDB: drop a collection")
      .scope("data:write")
      .errors({404});
  });
  both(reg, "/collection/{c}/{sub}", [](route_builder& b) {
    b.get(arango_collection_sub,
          "ArangoDB: properties, count, figures of a collection")
      .scope("data:read")
      .errors({404})
      .put(arango_collection_sub, "ArangoDB: truncate, change properties")
      .scope("data:write")
      .errors({400, 404, 501});
  });
  both(reg, "/index", [](route_builder& b) {
    b.get(arango_index_list, "ArangoDB: list indexes (?collection=)")
      .scope("data:read")
      .errors({400, 404})
      .post(arango_index_create, "ArangoDB: create an index")
      .scope("data:write")
      .errors({400, 404, 501});
  });
  both(reg, "/index/{c}/{id}", [](route_builder& b) {
    b.get(arango_index_get, "ArangoDB: an index")
      .scope("data:read")
      .errors({404})
      .del(arango_index_drop, "ArangoDB: drop an index")
      .scope("data:write")
      .errors({404, 501});
  });
  both(reg, "/import", [](route_builder& b) {
    b.post(arango_import, "ArangoDB: import documents")
      .scope("data:write")
      .errors({400, 404});
  });
  // any other /_api path: ArangoDB's 404 body; the gate's arango rule
  // decides the scope (unset here)
  for (std::string p : {"/_api/*", "/_db/{db}/_api/*"}) {
    auto b = reg.add(p, {"arangodb"});
    b.undocumented();
    if (p == "/_api/*")
      b.leading({"_system"});
    for (auto m : {"GET", "POST", "PUT", "PATCH", "DELETE"})
      b.op(m, arango_unknown, "ArangoDB: unknown path");
  }
}

} // namespace themis
