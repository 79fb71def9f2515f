#include "engine/aql/named_graph.hpp"

#include <algorithm>

#include "engine/names.hpp"

namespace themis::aql {

namespace {

const json* member(const json& o, const char* camel, const char* snake) {
  if (auto it = o.find(camel); it != o.end())
    return &*it;
  if (auto it = o.find(snake); it != o.end())
    return &*it;
  return nullptr;
}

/// A list of collection names (each once, order kept); null means empty.
bool name_list(const json* v, const std::string& what, json& out,
               std::string& error) {
  out = json::array();
  if (!v || v->is_null())
    return true;
  if (!v->is_array()) {
    error = what + " must be an array of collection names";
    return false;
  }
  if (v->size() > max_vertex_collections) {
    error = what + " names more than " +
            std::to_string(max_vertex_collections) + " collections";
    return false;
  }
  for (auto& n : *v) {
    if (!n.is_string() ||
        !engine::valid_collection_name(n.get_ref<const std::string&>())) {
      error = what + " holds an invalid collection name";
      return false;
    }
    if (std::find(out.begin(), out.end(), n) == out.end())
      out.push_back(n);
  }
  return true;
}

bool edge_definitions(const json* defs, json& out, std::string& error) {
  out = json::array();
  if (!defs || defs->is_null())
    return true; // a graph of orphan collections only
  if (!defs->is_array()) {
    error = "edgeDefinitions must be an array";
    return false;
  }
  if (defs->size() > max_edge_definitions) {
    error = "a graph has at most " + std::to_string(max_edge_definitions) +
            " edge definitions";
    return false;
  }
  for (auto& d : *defs) {
    if (!d.is_object()) {
      error = "an edge definition must be an object {collection, from, to}";
      return false;
    }
    auto c = d.find("collection");
    if (c == d.end() || !c->is_string() ||
        !engine::valid_collection_name(c->get_ref<const std::string&>())) {
      error = "an edge definition needs a valid \"collection\" name";
      return false;
    }
    for (auto& seen : out)
      if (seen["collection"] == *c) {
        error =
          "edge collection " + c->get<std::string>() + " is defined twice";
        return false;
      }
    json from, to;
    auto f = d.find("from");
    auto t = d.find("to");
    if (!name_list(f == d.end() ? nullptr : &*f, "from", from, error) ||
        !name_list(t == d.end() ? nullptr : &*t, "to", to, error))
      return false;
    out.push_back({{"collection", *c}, {"from", from}, {"to", to}});
  }
  return true;
}

} // namespace

bool normalize_graph_definition(const json& body, json& out,
                                std::string& error) {
  if (!body.is_object()) {
    error = "a graph definition must be a JSON object";
    return false;
  }
  auto n = body.find("name");
  if (n == body.end() || !n->is_string() ||
      !engine::valid_key(n->get_ref<const std::string&>())) {
    error = "a graph needs a \"name\" (1-254 characters, no '/')";
    return false;
  }
  json defs, orphans;
  if (!edge_definitions(member(body, "edgeDefinitions", "edge_definitions"),
                        defs, error) ||
      !name_list(member(body, "orphanCollections", "orphan_collections"),
                 "orphanCollections", orphans, error))
    return false;
  out = {{"_key", *n},
         {"name", *n},
         {"edgeDefinitions", std::move(defs)},
         {"orphanCollections", std::move(orphans)}};
  return true;
}

bool graph_edge_collections(const json& stored, std::vector<std::string>& out,
                            std::string& error) {
  out.clear();
  if (!stored.is_object()) {
    error = "the stored graph definition is invalid: not an object";
    return false;
  }
  json defs;
  if (!edge_definitions(member(stored, "edgeDefinitions", "edge_definitions"),
                        defs, error)) {
    error = "the stored graph definition is invalid: " + error;
    return false;
  }
  for (auto& d : defs)
    out.push_back(d["collection"].get<std::string>());
  return true;
}

std::string graph_not_found_message(const std::string& name) {
  return "graph '" + name + "' not found";
}

} // namespace themis::aql
