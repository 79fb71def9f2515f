#include "engine/index_def.hpp"

#include <cctype>
#include <cmath>

namespace themis::engine {

namespace {

using json = nlohmann::json;

bool plain_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

bool valid_index_name(const std::string& n) {
  if (n.empty() || n.size() > max_index_name_bytes)
    return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      return false;
  return true;
}

std::string default_name(const doc_index_def& d) {
  std::string n = d.type == doc_index_type::ttl ? "ttl" : "idx";
  for (auto& f : d.fields) {
    n += '_';
    for (char c : f)
      n += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  if (n.size() > max_index_name_bytes)
    n.resize(max_index_name_bytes);
  return n;
}

} // namespace

std::string field_json_path(const std::string& field) {
  if (field.empty() || field.size() > max_field_path_bytes)
    return {};
  std::string out = "$";
  size_t steps = 0, start = 0;
  while (true) {
    auto dot = field.find('.', start);
    auto step = field.substr(start, dot == std::string::npos ? std::string::npos
                                                             : dot - start);
    if (step.empty() || ++steps > max_field_path_steps)
      return {};
    for (unsigned char c : step)
      if (c == '"' || c == '\'' || c < 0x20 || c == '\\')
        return {};
    out += plain_identifier(step) ? "." + step : ".\"" + step + "\"";
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  return out;
}

std::string field_sql(const std::string& field) {
  return "json_extract(doc,'" + field_json_path(field) + "')";
}

std::string doc_index_sqlite_name(const std::string& collection,
                                  const std::string& name) {
  return "docidx:" + collection + ":" + name;
}

std::string doc_index_side_name(const std::string& collection,
                                const std::string& name) {
  return "docbg:" + collection + ":" + name;
}

std::string quote_sql_literal(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += '\'';
    out += c;
  }
  return out + "'";
}

std::string quote_sql_ident(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string doc_index_create_sql(const doc_index_def& d) {
  std::string cols, where = "collection = " + quote_sql_literal(d.collection);
  for (auto& f : d.fields) {
    cols += (cols.empty() ? "" : ", ") + field_sql(f);
    if (d.sparse)
      where += " AND " + field_sql(f) + " IS NOT NULL";
  }
  auto id = quote_sql_ident(doc_index_sqlite_name(d.collection, d.name));
  return std::string("CREATE ") + (d.unique ? "UNIQUE " : "") + "INDEX " + id +
         " ON documents(" + cols + ") WHERE " + where;
}

std::string parse_doc_index(const json& body, doc_index_def& out) {
  if (!body.is_object())
    return "the index definition must be a JSON object";
  auto type = body.value("type", std::string());
  if (type == "persistent" || type == "hash" || type == "skiplist")
    out.type = doc_index_type::persistent; // ArangoDB's old names
  else if (type == "ttl")
    out.type = doc_index_type::ttl;
  else
    return "'type' must be \"persistent\" or \"ttl\"";
  auto f = body.find("fields");
  if (f == body.end() || !f->is_array() || f->empty())
    return "'fields' must be a non-empty array of attribute paths";
  if (f->size() > max_index_fields)
    return "an index has at most " + std::to_string(max_index_fields) +
           " fields";
  out.fields.clear();
  for (auto& x : *f) {
    if (!x.is_string())
      return "'fields' must hold strings";
    auto& s = x.get_ref<const std::string&>();
    if (field_json_path(s).empty())
      return "field '" + s.substr(0, 64) +
             "' is not an attribute path (a.b, at most " +
             std::to_string(max_field_path_steps) + " steps of " +
             std::to_string(max_field_path_bytes) +
             " bytes in all, no quotes or control characters)";
    if (s == "_key")
      return "'_key' is the primary index";
    for (auto& prev : out.fields)
      if (prev == s)
        return "field '" + s + "' is listed twice";
    out.fields.push_back(s);
  }
  for (auto* k : {"unique", "sparse"}) {
    auto it = body.find(k);
    if (it != body.end() && !it->is_boolean() && !it->is_null())
      return std::string("'") + k + "' must be a boolean";
  }
  for (auto* k : {"inBackground"}) {
    auto it = body.find(k);
    if (it != body.end() && !it->is_boolean() && !it->is_null())
      return std::string("'") + k + "' must be a boolean";
  }
  out.unique = body.value("unique", false);
  out.sparse = body.value("sparse", false);
  out.background = body.value("inBackground", false);
  if (out.type == doc_index_type::ttl) {
    if (out.fields.size() != 1)
      return "a ttl index has exactly one field";
    if (out.unique)
      return "a ttl index cannot be unique";
    auto e = body.find("expireAfter");
    if (e == body.end() || !e->is_number() ||
        !std::isfinite(e->get<double>()) || e->get<double>() < 0 ||
        e->get<double>() > 1e10)
      return "'expireAfter' (seconds, >= 0) is required for a ttl index";
    out.expire_after = e->get<double>();
    out.sparse = true; // documents without a timestamp never expire
    // the sweeper reads the expression index's range: built in place
    // (TTL indexes are sparse over numbers, docs/indexes.md)
    out.background = false;
  }
  if (auto n = body.find("name"); n != body.end() && !n->is_null()) {
    if (!n->is_string() || !valid_index_name(n->get<std::string>()))
      return "'name' must be 1-64 of [A-Za-z0-9_-]";
    out.name = n->get<std::string>();
    if (out.name == "primary" || out.name == "edge")
      return "'" + out.name + "' is the name of a built-in index";
  } else {
    out.name = default_name(out);
  }
  return {};
}

json doc_index_json(const doc_index_def& d) {
  json j = {{"name", d.name},
            {"type", d.type == doc_index_type::ttl ? "ttl" : "persistent"},
            {"fields", d.fields},
            {"unique", d.unique},
            {"sparse", d.sparse}};
  if (d.type == doc_index_type::ttl)
    j["expireAfter"] = d.expire_after;
  if (d.background)
    j["inBackground"] = true;
  return j;
}

bool doc_index_from_json(const json& j, doc_index_def& out) {
  auto coll = out.collection;
  auto e = parse_doc_index(j, out);
  out.collection = coll;
  return e.empty();
}

bool same_index(const doc_index_def& a, const doc_index_def& b) {
  return a.type == b.type && a.fields == b.fields && a.unique == b.unique &&
         a.sparse == b.sparse && a.expire_after == b.expire_after;
}

} // namespace themis::engine
