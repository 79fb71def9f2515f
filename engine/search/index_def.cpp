#include "engine/search/index_def.hpp"

namespace themis::search {

namespace {

using json = nlohmann::json;

/// A positive integer option under any of `names`; "" or the reason.
std::string read_size(const json& cfg, std::initializer_list<const char*> names,
                      size_t lo, size_t hi, size_t& out) {
  for (auto* n : names) {
    auto it = cfg.find(n);
    if (it == cfg.end())
      continue;
    if (!it->is_number_integer() ||
        it->get<int64_t>() < static_cast<int64_t>(lo) ||
        it->get<int64_t>() > static_cast<int64_t>(hi))
      return std::string("'") + n + "' must be an integer from " +
             std::to_string(lo) + " to " + std::to_string(hi);
    out = it->get<size_t>();
  }
  return {};
}

const json* first_of(const json& j, std::initializer_list<const char*> names) {
  for (auto* n : names)
    if (auto it = j.find(n); it != j.end())
      return &*it;
  return nullptr;
}

} // namespace

bool valid_attribute(const std::string& path) {
  if (path.empty() || path.size() > max_attribute_bytes || path[0] == '_')
    return false;
  bool seg_empty = true;
  for (unsigned char c : path) {
    if (c == '.') {
      if (seg_empty)
        return false;
      seg_empty = true;
      continue;
    }
    if (c < 0x20 || c == 0x7f)
      return false;
    seg_empty = false;
  }
  return !seg_empty;
}

const json* attribute_of(const json& doc, const std::string& path) {
  const json* cur = &doc;
  size_t pos = 0;
  while (true) {
    if (!cur->is_object())
      return nullptr;
    auto dot = path.find('.', pos);
    auto seg = path.substr(pos, dot == std::string::npos ? dot : dot - pos);
    auto it = cur->find(seg);
    if (it == cur->end())
      return nullptr;
    cur = &*it;
    if (dot == std::string::npos)
      return cur;
    pos = dot + 1;
  }
}

std::string parse_index_def(const json& body, index_def& out) {
  if (!body.is_object())
    return "expected a JSON object";
  auto* type = first_of(body, {"type", "kind"});
  if (!type || !type->is_string())
    return "'type' must be \"vector\" or \"fulltext\"";
  auto t = type->get<std::string>();
  if (t == "vector" || t == "hnsw")
    out.kind = index_kind::vector;
  else if (t == "fulltext" || t == "fts")
    out.kind = index_kind::fulltext;
  else
    return "'type' must be \"vector\" or \"fulltext\" (this server keeps "
           "equality and range indexes implicit)";
  auto* attr = first_of(body, {"field", "attribute", "column"});
  if (!attr || !attr->is_string() || !valid_attribute(attr->get<std::string>()))
    return "'field' must name a document attribute (\"text\" or \"a.b\"; not "
           "a system attribute)";
  out.attribute = attr->get<std::string>();
  json cfg = json::object();
  if (auto c = body.find("config"); c != body.end()) {
    if (!c->is_object())
      return "'config' must be an object";
    cfg = *c;
  }
  // options may sit at the top level too
  for (auto& [k, v] : body.items())
    if (!cfg.contains(k))
      cfg[k] = v;
  if (auto* n = first_of(cfg, {"name"})) {
    if (!n->is_string() || !valid_attribute(n->get<std::string>()) ||
        n->get<std::string>().find('.') != std::string::npos)
      return "'name' must be a plain identifier";
    out.name = n->get<std::string>();
  } else {
    out.name =
      std::string(out.kind == index_kind::vector ? "vector_" : "fulltext_") +
      out.attribute;
  }
  if (out.kind == index_kind::fulltext) {
    if (auto* tok = first_of(cfg, {"tokenizer"})) {
      if (!tok->is_string())
        return "'tokenizer' must be unicode61, porter or trigram";
      out.tokenizer = tok->get<std::string>();
    } else if (cfg.value("stemming_enabled", false)) {
      out.tokenizer = "porter";
    }
    if (out.tokenizer != "unicode61" && out.tokenizer != "porter" &&
        out.tokenizer != "trigram")
      return "'tokenizer' must be unicode61, porter or trigram";
    return {};
  }
  if (auto e = read_size(cfg, {"dimension", "dim", "dimensions"}, 1,
                         vector::max_dimension, out.dimension);
      !e.empty())
    return e;
  if (out.dimension == 0)
    return "a vector index needs 'dimension' (1 to " +
           std::to_string(vector::max_dimension) + ")";
  if (auto* m = first_of(cfg, {"metric", "distance"})) {
    auto parsed = m->is_string() ? vector::parse_metric(m->get<std::string>())
                                 : std::nullopt;
    if (!parsed)
      return "'metric' must be cosine, l2 or inner_product";
    out.metric = *parsed;
  }
  for (auto e :
       {read_size(cfg, {"M", "m"}, 2, max_m, out.m),
        read_size(cfg, {"efConstruction", "ef_construction"}, 1, max_ef,
                  out.ef_construction),
        read_size(cfg, {"efSearch", "ef_search"}, 1, max_ef, out.ef_search),
        read_size(cfg, {"max_elements", "maxElements"}, 1, max_index_floats,
                  out.max_elements)})
    if (!e.empty())
      return e;
  if (static_cast<uint64_t>(out.max_elements) * out.dimension >
      max_index_floats)
    return "max_elements × dimension is above " +
           std::to_string(max_index_floats) + " floats; lower max_elements";
  return {};
}

json to_json(const index_def& d, const std::string& shown) {
  json j = {{"name", d.name},
            {"type", d.kind == index_kind::vector ? "vector" : "fulltext"},
            {"collection", shown},
            {"table", shown},
            {"field", d.attribute},
            {"column", d.attribute}};
  if (d.kind == index_kind::vector) {
    j["dimension"] = d.dimension;
    j["metric"] = vector::metric_name(d.metric);
    j["M"] = d.m;
    j["efConstruction"] = d.ef_construction;
    j["efSearch"] = d.ef_search;
    j["max_elements"] = d.max_elements;
  } else {
    j["tokenizer"] = d.tokenizer;
  }
  return j;
}

json to_storage(const index_def& d) {
  auto j = to_json(d, d.collection);
  j["id"] = d.id;
  return j;
}

std::optional<index_def> from_storage(const json& j) {
  index_def d;
  if (!j.is_object() || parse_index_def(j, d).empty() == false)
    return std::nullopt;
  d.id = j.value("id", uint64_t{0});
  d.collection = j.value("collection", std::string());
  if (d.id == 0 || d.collection.empty())
    return std::nullopt;
  return d;
}

} // namespace themis::search
