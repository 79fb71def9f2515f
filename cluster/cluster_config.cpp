#include "cluster/cluster_config.hpp"

#include "themis/input_limits.hpp"
#include "themis/principal.hpp"

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

bool lower_hex(const std::string& s, size_t n) {
  return s.size() == n &&
         s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

/// An API key record: every field typed and bounded, the id the name's.
void parse_api_key(const json& j, const std::string& id, replicated_api_key& k,
                   std::vector<std::string>& errors) {
  unknown_fields(j,
                 {"id", "name", "user", "tenant", "scopes", "created_ms",
                  "expires_ms", "revoked_ms", "created_by", "digest"},
                 errors);
  auto text = [&](const char* f, std::string& out, size_t max) {
    auto i = j.find(f);
    if (i == j.end())
      return;
    if (!i->is_string() || i->get_ref<const std::string&>().size() > max)
      errors.push_back(std::string(f) + ": a string of at most " +
                       std::to_string(max) + " bytes");
    else
      out = i->get<std::string>();
  };
  auto number = [&](const char* f, int64_t& out) {
    auto i = j.find(f);
    if (i == j.end())
      return;
    if (!i->is_number_integer() || i->get<int64_t>() < 0)
      errors.push_back(std::string(f) + ": an integer >= 0");
    else
      out = i->get<int64_t>();
  };
  text("id", k.id, 16);
  text("name", k.name, 128);
  text("user", k.user, 256);
  text("tenant", k.tenant, 32);
  text("created_by", k.created_by, 300);
  text("digest", k.digest, 64);
  number("created_ms", k.created_ms);
  number("expires_ms", k.expires_ms);
  number("revoked_ms", k.revoked_ms);
  if (k.id != id)
    errors.push_back("id: must be the section's (" + id + ")");
  if (!lower_hex(k.digest, 64))
    errors.push_back("digest: 64 lower-case hex digits (SHA-256)");
  if (!k.tenant.empty() && !valid_tenant_id(k.tenant))
    errors.push_back("tenant: not a tenant id");
  std::optional<std::vector<std::string>> scopes;
  if (string_list(j, "scopes", scopes, errors) && scopes) {
    if (scopes->size() > 64)
      errors.push_back("scopes: at most 64");
    for (auto& s : *scopes)
      if (s.empty() || s.size() > 64)
        errors.push_back("scopes: 1 to 64 bytes each");
    k.scopes = std::move(*scopes);
  }
}

} // namespace

std::string api_key_section(const std::string& id) {
  return "api_key/" + id;
}

bool is_api_key_section(const std::string& name) {
  return name.rfind("api_key/", 0) == 0 && lower_hex(name.substr(8), 16);
}

std::string api_key_text(const replicated_api_key& k) {
  return json{{"id", k.id},
              {"name", k.name},
              {"user", k.user},
              {"tenant", k.tenant},
              {"scopes", k.scopes},
              {"created_ms", k.created_ms},
              {"expires_ms", k.expires_ms},
              {"revoked_ms", k.revoked_ms},
              {"created_by", k.created_by},
              {"digest", k.digest}}
    .dump();
}

const std::vector<std::string>& replicated_sections() {
  static const std::vector<std::string> s = {
    "rate_limiting", "tenant_quotas", "api_keys", "gateway", "principals"};
  return s;
}

std::vector<std::string> parse_section(const std::string& name,
                                       std::string_view text,
                                       replicated_section& out) {
  std::vector<std::string> errors;
  out = replicated_section{};
  out.name = name;
  bool known = is_api_key_section(name);
  for (auto& s : replicated_sections())
    known = known || s == name;
  if (!known) {
    std::string list;
    for (auto& s : replicated_sections())
      list += (list.empty() ? "" : ", ") + s;
    errors.push_back("unknown section '" + name + "' (known: " + list +
                     ", api_key/<16 hex digits>)");
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
  if (is_api_key_section(name)) {
    parse_api_key(j, name.substr(8), out.api_key, errors);
  } else if (name == "rate_limiting") {
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
  } else if (name == "principals") {
    // each entry is checked by the authenticator's parser (cluster_node)
    unknown_fields(j, {"entries"}, errors);
    std::optional<std::vector<std::string>> e;
    if (!j.contains("entries"))
      errors.push_back("entries: required");
    else if (string_list(j, "entries", e, errors) && e)
      out.principals = std::move(*e);
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
