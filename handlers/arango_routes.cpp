/// The matcher of the ArangoDB HTTP API subset's paths (issue 22).

#include "handlers/arango_routes.hpp"

namespace themis {

bool match_arango_route(const std::vector<std::string>& segs, method_map& m,
                        std::vector<std::string>& params, std::string& label) {
  // /_db/{name}/_api/… is /_api/… in database {name}
  size_t at = 0;
  std::string db = "_system";
  std::string prefix;
  if (segs.size() >= 3 && segs[0] == "_db") {
    db = segs[1];
    at = 2;
    prefix = "/_db/{db}";
  }
  if (segs.size() < at + 2 || segs[at] != "_api")
    return false;
  std::vector<std::string> s(segs.begin() + at + 1, segs.end());
  auto n = s.size();
  params.assign(1, db);
  auto& r = s[0];
  if (n == 1 && r == "version") {
    label = "/_api/version";
    m.get = arango_version;
  } else if (n == 2 && r == "database" && s[1] == "current") {
    label = "/_api/database/current";
    m.get = arango_database_current;
  } else if (r == "cursor" && n <= 3) {
    if (n == 1) {
      label = "/_api/cursor";
      m.post = arango_cursor_create;
    } else {
      // 3.11 drivers read on with POST, older ones with PUT; a batch id
      // (retriable batches) is accepted and ignored
      label = n == 2 ? "/_api/cursor/{id}" : "/_api/cursor/{id}/{batch}";
      m.post = m.put = arango_cursor_next;
      if (n == 2)
        m.del = arango_cursor_delete;
      params.push_back(s[1]);
    }
  } else if (r == "document" && (n == 2 || n == 3)) {
    params.insert(params.end(), s.begin() + 1, s.end());
    if (n == 2) {
      label = "/_api/document/{c}";
      m.post = arango_document_insert;
      m.put = arango_document_lookup;
    } else {
      label = "/_api/document/{c}/{key}";
      m.get = arango_document_get;
      m.put = m.patch = m.del = arango_document_write;
    }
  } else if (r == "collection" && n <= 3) {
    params.insert(params.end(), s.begin() + 1, s.end());
    if (n == 1) {
      label = "/_api/collection";
      m.get = arango_collection_list;
      m.post = arango_collection_create;
    } else if (n == 2) {
      label = "/_api/collection/{c}";
      m.get = arango_collection_get;
      m.del = arango_collection_drop;
    } else {
      label = "/_api/collection/{c}/{sub}";
      m.get = m.put = arango_collection_sub;
    }
  } else if (r == "index" && (n == 1 || n == 3)) {
    params.insert(params.end(), s.begin() + 1, s.end());
    if (n == 1) {
      label = "/_api/index";
      m.get = arango_index_list;
      m.post = arango_index_create;
    } else {
      label = "/_api/index/{c}/{id}";
      m.get = arango_index_get;
      m.del = arango_index_drop;
    }
  } else if (n == 1 && r == "import") {
    label = "/_api/import";
    m.post = arango_import;
  } else {
    // any other /_api path: ArangoDB's 404 body, not themisd's
    label = "/_api/*";
    m.get = m.post = m.put = m.patch = m.del = arango_unknown;
  }
  label = prefix + label;
  return true;
}

} // namespace themis
