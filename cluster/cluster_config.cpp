#include "cluster/cluster_config.hpp"

#include "themis/input_limits.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "cluster/etcd_codec.hpp"
#include "limits/rate_limiter.hpp"
#include "limits/tenant_quotas.hpp"

namespace themis::cluster {

using json = nlohmann::json;

namespace {

constexpr size_t max_section_bytes = 1u << 20;
constexpr size_t max_entries = 10000;

bool string_list(const json& o, const char* name,
                 std::optional<std::vector<std::string>>& out,
                 std::vector<std::string>& errors) {
  auto it = o.find(name);
  if (it == o.end())
    return true;
  if (!it->is_array() || it->size() > max_entries) {
    errors.push_back(std::string(name) + ": expected an array of at most " +
                     std::to_string(max_entries) + " strings");
    return false;
  }
  std::vector<std::string> v;
  for (auto& e : *it) {
    if (!e.is_string()) {
      errors.push_back(std::string(name) + ": every entry must be a string");
      return false;
    }
    v.push_back(e.get<std::string>());
  }
  out = std::move(v);
  return true;
}

void boolean(const json& o, const char* name, std::optional<bool>& out,
             std::vector<std::string>& errors) {
  auto it = o.find(name);
  if (it == o.end())
    return;
  if (!it->is_boolean())
    errors.push_back(std::string(name) + ": expected true or false");
  else
    out = it->get<bool>();
}

void unknown_fields(const json& o, std::initializer_list<const char*> known,
                    std::vector<std::string>& errors) {
  for (auto& [k, v] : o.items()) {
    bool ok = false;
    for (auto* n : known)
      ok = ok || k == n;
    if (!ok)
      errors.push_back(k + ": unknown field");
  }
}

} // namespace

const std::vector<std::string>& replicated_sections() {
  static const std::vector<std::string> s = {"rate_limiting", "tenant_quotas",
                                             "api_keys", "gateway"};
  return s;
}

std::vector<std::string> parse_section(const std::string& name,
                                       std::string_view text,
                                       replicated_section& out) {
  std::vector<std::string> errors;
  out = replicated_section{};
  out.name = name;
  bool known = false;
  for (auto& s : replicated_sections())
    known = known || s == name;
  if (!known) {
    std::string list;
    for (auto& s : replicated_sections())
      list += (list.empty() ? "" : ", ") + s;
    errors.push_back("unknown section '" + name + "' (known: " + list + ")");
    return errors;
  }
  if (text.size() > max_section_bytes) {
    errors.push_back("section larger than 1 MiB");
    return errors;
  }
  // every section is an object of flat arrays (2 levels)
  if (json_depth(text, 3) > 3) {
    errors.push_back("nested too deeply (sections are flat objects)");
    return errors;
  }
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    errors.push_back("not a JSON object");
    return errors;
  }
  if (name == "rate_limiting") {
    auto& rl = out.rate_limiting;
    unknown_fields(j, {"enabled", "dry_run", "rules", "groups", "whitelist"},
                   errors);
    boolean(j, "enabled", rl.enabled, errors);
    boolean(j, "dry_run", rl.dry_run, errors);
    if (string_list(j, "rules", rl.rules, errors) && rl.rules)
      for (auto& r : *rl.rules) {
        limits::rule parsed;
        if (auto e = limits::parse_rule(r, parsed))
          errors.push_back("rules: '" + r + "': " + *e);
      }
    if (string_list(j, "groups", rl.groups, errors) && rl.groups)
      for (auto& r : *rl.groups) {
        limits::rule parsed;
        if (auto e = limits::parse_group_rule(r, parsed))
          errors.push_back("groups: '" + r + "': " + *e);
      }
    string_list(j, "whitelist", rl.whitelist, errors);
  } else if (name == "tenant_quotas") {
    unknown_fields(j, {"quotas"}, errors);
    std::optional<std::vector<std::string>> q;
    if (!j.contains("quotas"))
      errors.push_back("quotas: required");
    else if (string_list(j, "quotas", q, errors) && q) {
      std::map<std::string, limits::tenant_quota> parsed;
      if (auto e = limits::tenant_quotas::parse(*q, parsed))
        errors.push_back("quotas: " + *e);
      out.tenant_quotas = std::move(*q);
    }
  } else if (name == "gateway") {
    unknown_fields(j, {"yaml"}, errors);
    auto y = j.find("yaml");
    if (y == j.end() || !y->is_string())
      errors.push_back("yaml: required, the gateway file's text");
    else
      out.gateway_yaml = y->get<std::string>();
  } else if (name == "api_keys") {
    unknown_fields(j, {"revoked"}, errors);
    std::optional<std::vector<std::string>> ids;
    if (!j.contains("revoked"))
      errors.push_back("revoked: required");
    else if (string_list(j, "revoked", ids, errors) && ids) {
      for (auto& id : *ids)
        if (id.empty() || id.size() > 64 ||
            id.find_first_not_of("0123456789abcdef") != std::string::npos)
          errors.push_back("revoked: '" + id + "' is not a key id (hex)");
      out.revoked_keys = std::move(*ids);
    }
  }
  return errors;
}

} // namespace themis::cluster
