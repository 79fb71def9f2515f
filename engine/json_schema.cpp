#include "engine/json_schema.hpp"

#include <stdexcept>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "engine/json_schema_keywords.hpp"

namespace themis::engine {

using json = nlohmann::json;

struct json_schema::impl {
  json source; ///< as given (the stored, renamed copy is not shown)
  valijson::Schema schema;
};

json_schema::json_schema(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
json_schema::~json_schema() = default;

const json& json_schema::source() const { return impl_->source; }

namespace {

/// Deeper than `max` levels? Stops descending at the limit.
bool too_deep(const json& j, size_t max) {
  if (!j.is_structured())
    return false;
  if (max == 0)
    return true;
  for (auto& e : j)
    if (too_deep(e, max - 1))
      return true;
  return false;
}

/// valijson reports each failing level; the generic parent lines say
/// nothing the leaf does not.
bool generic(const std::string& d) {
  return d.rfind("Failed to validate against schema associated with", 0) == 0 ||
         d.rfind("Failed to validate item #", 0) == 0;
}

} // namespace

std::shared_ptr<const json_schema>
json_schema::compile_trusted(const json& source) {
  auto p = std::make_unique<impl>();
  p->source = source;
  try {
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter doc(p->source);
    parser.populateSchema(doc, p->schema);
  } catch (const std::exception& e) {
    throw std::invalid_argument(e.what());
  }
  return std::shared_ptr<const json_schema>(new json_schema(std::move(p)));
}

std::shared_ptr<const json_schema>
json_schema::compile_untrusted(const json& source, const schema_limits& limits,
                               std::string& error) {
  if (!source.is_object() && !source.is_boolean()) {
    error = "#: a schema must be an object or a boolean";
    return nullptr;
  }
  if (too_deep(source, limits.max_depth)) {
    error = "#: nested deeper than " + std::to_string(limits.max_depth) +
            " levels";
    return nullptr;
  }
  if (source.dump().size() > limits.max_bytes) {
    error = "#: larger than " + std::to_string(limits.max_bytes) + " bytes";
    return nullptr;
  }
  json safe = source;
  if (error = make_schema_safe(safe, limits); !error.empty())
    return nullptr;
  auto p = std::make_unique<impl>();
  p->source = source;
  try {
    valijson::SchemaParser parser;
    add_safe_keywords(parser);
    valijson::adapters::NlohmannJsonAdapter doc(safe);
    parser.populateSchema(doc, p->schema);
  } catch (const std::exception& e) {
    error = std::string("#: not a valid JSON Schema: ") + e.what();
    return nullptr;
  }
  return std::shared_ptr<const json_schema>(new json_schema(std::move(p)));
}

json json_schema::violations(const json& value, const char* in,
                             size_t max) const {
  // a validator per call: valijson's keeps a std::regex cache that is not
  // shared between threads (untrusted schemas have no std::regex left)
  valijson::Validator v;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  json out = json::array();
  if (v.validate(impl_->schema, target, &results))
    return out;
  json parents = json::array();
  for (auto& e : results) {
    auto entry = json{{"in", in},
                      {"pointer", pointer_of(e.context)},
                      {"detail", e.description}};
    auto& to = generic(e.description) ? parents : out;
    if (to.size() < max)
      to.push_back(std::move(entry));
  }
  return out.empty() ? parents : out;
}

std::string pointer_of(const std::vector<std::string>& context) {
  std::string out = "#";
  for (auto& c : context) {
    if (c == "<root>")
      continue;
    std::string_view t = c;
    if (t.size() >= 2 && t.front() == '[' && t.back() == ']')
      t = t.substr(1, t.size() - 2);
    out.push_back('/');
    for (char ch : t) {
      if (ch == '~')
        out += "~0";
      else if (ch == '/')
        out += "~1";
      else
        out.push_back(ch);
    }
  }
  return out;
}

} // namespace themis::engine
