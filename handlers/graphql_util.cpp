#include "handlers/graphql_util.hpp"

#include <cctype>

#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "handlers/graphql_resolvers.hpp"
#include "handlers/graphql_run.hpp"
#include "handlers/query_common.hpp"

namespace themis::gql {

using json = nlohmann::json;

json run_aql(const operation_run& run, const std::string& text,
             const json& binds) {
  auto q = aql::parse(text);
  run.count_read();
  aql::run_progress progress;
  aql::run_limits limits;
  limits.deadline = run.deadline();
  limits.max_rows = run.env().config.query.max_rows;
  limits.tenant = run.who().tenant;
  limits.all_tenants = false;
  json rows = json::array();
  aql::execute_file(
    run.db_path(), q, binds,
    [](engine::write_batch) -> engine::write_result {
      throw aql::aql_error(aql::error_kind::semantic,
                           "aql in GraphQL is read-only: write with the "
                           "mutations, submitJob or POST /query/aql");
    },
    progress, limits, [&](json row) { rows.push_back(std::move(row)); });
  return rows;
}

graphql::field_result aql_field_error(const aql::aql_error& e) {
  std::string code = std::string("AQL_") + aql_kind_name(e.kind());
  for (auto& c : code)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string msg = e.what();
  if (e.line() > 0)
    msg += " (AQL line " + std::to_string(e.line()) + ", column " +
           std::to_string(e.column()) + ")";
  return graphql::field_result::fail(msg, code);
}

bool selects(const graphql::document& doc, const graphql::selection_set& set,
             const std::string& name, int depth) {
  if (depth > 32)
    return false;
  for (auto& s : set.items) {
    switch (s.kind) {
      case graphql::selection_kind::field:
        if (s.name == name)
          return true;
        break;
      case graphql::selection_kind::inline_fragment:
        if (selects(doc, s.selections, name, depth + 1))
          return true;
        break;
      case graphql::selection_kind::fragment_spread:
        if (auto f = doc.fragment(s.name);
            f && selects(doc, f->selections, name, depth + 1))
          return true;
        break;
    }
  }
  return false;
}

json node_of(const collection_type& t, json doc) {
  auto key = doc.value("_key", std::string());
  if (t.typed && doc.is_object()) {
    bool same_names = true;
    for (const auto& f : t.fields)
      same_names = same_names && f.name == f.column;
    if (same_names) {
      // the row already holds its columns under the field names: add what
      // the type adds instead of rebuilding the object (a list's hot path)
      doc["_key"] = key;
      doc["_rev"] = doc.value("_rev", std::string());
      doc["_id"] = t.collection + "/" + key;
      return doc;
    }
  }
  json node = json::object();
  node["_key"] = key;
  node["_rev"] = doc.value("_rev", std::string());
  node["_id"] = t.collection + "/" + key;
  if (!t.typed) {
    node["doc"] = std::move(doc);
    return node;
  }
  for (auto& f : t.fields) {
    auto it = doc.find(f.column);
    node[f.name] = it == doc.end() ? json() : std::move(*it); // no copy
  }
  return node;
}

json node_of(const collection_type& t, const std::string& doc_json) {
  auto j = json::parse(doc_json, nullptr, false);
  if (!j.is_object())
    j = json::object();
  return node_of(t, std::move(j));
}

namespace {
constexpr char b64[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}

std::string make_cursor(const std::string& raw) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : raw) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(b64[(acc >> bits) & 63]);
    }
  }
  if (bits > 0)
    out.push_back(b64[(acc << (6 - bits)) & 63]);
  return out;
}

bool read_cursor(const std::string& cursor, std::string& raw) {
  if (cursor.empty() || cursor.size() > 400)
    return false;
  raw.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : cursor) {
    const char* p = std::char_traits<char>::find(b64, 64, c);
    if (!p)
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - b64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      raw.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

} // namespace themis::gql
