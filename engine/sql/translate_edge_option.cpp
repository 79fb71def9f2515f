#include "engine/sql/translate_edge_option.hpp"

#include <nlohmann/json.hpp>

#include "engine/sql/sql_catalog.hpp"
#include "engine/sql/translator.hpp"

namespace themis::sql {

void apply_edge_option(const nlohmann::json& b, statement& st) {
  auto opts = b.find("options");
  if (opts == b.end() || !opts->is_array())
    return;
  for (auto& o : *opts) {
    auto d = o.find("DefElem");
    if (d == o.end() || d->value("defname", "") != "themis_type")
      continue;
    // WITH (themis_type = 'edge') or = edge: a String either way
    std::string v;
    if (auto arg = d->find("arg"); arg != d->end() && arg->is_object()) {
      if (auto s = arg->find("String"); s != arg->end())
        v = s->value("sval", "");
      else if (auto t = arg->find("TypeName"); t != arg->end()) {
        auto& names = (*t)["names"];
        if (names.is_array() && names.size() == 1)
          v = names[0]
                .value("String", nlohmann::json::object())
                .value("sval", "");
      }
    }
    if (v == "document")
      continue;
    if (v != "edge")
      throw sql_error("22023", "invalid value for parameter \"themis_type\": "
                               "expected 'edge' or 'document'");
    // the table name is a checked identifier; quoted all the same
    st.ddl.push_back(
      "INSERT OR REPLACE INTO collection_types(name, type) VALUES(" +
      quote_literal(st.table) + ", 'edge')");
  }
}

} // namespace themis::sql
