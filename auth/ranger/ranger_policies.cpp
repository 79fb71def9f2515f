#include "auth/ranger/ranger_policies.hpp"

#include <algorithm>

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "themis/input_limits.hpp"

namespace themis::auth::ranger {

namespace {

using json = nlohmann::json;

std::vector<std::string> strings(const json& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || !it->is_array())
    return out;
  for (auto& v : *it)
    if (v.is_string())
      out.push_back(v.get<std::string>());
  return out;
}

bool flag(const json& o, const char* key, bool def) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() ? it->get<bool>() : def;
}

int64_t integer(const json& o, const char* key, int64_t def) {
  auto it = o.find(key);
  return it != o.end() && it->is_number_integer() ? it->get<int64_t>() : def;
}

std::string text(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>()
                                          : std::string();
}

std::vector<policy_item> items(const json& p, const char* key) {
  std::vector<policy_item> out;
  auto it = p.find(key);
  if (it == p.end() || !it->is_array())
    return out;
  for (auto& j : *it) {
    if (!j.is_object())
      continue;
    policy_item item;
    item.users = strings(j, "users");
    item.groups = strings(j, "groups");
    item.roles = strings(j, "roles");
    item.delegate_admin = flag(j, "delegateAdmin", false);
    if (auto a = j.find("accesses"); a != j.end() && a->is_array())
      for (auto& acc : *a)
        if (acc.is_object() && flag(acc, "isAllowed", true)) {
          auto t = text(acc, "type");
          if (!t.empty())
            item.accesses.push_back(std::move(t));
        }
    if (auto c = j.find("conditions"); c != j.end() && c->is_array())
      item.unknown_conditions = !c->empty();
    out.push_back(std::move(item));
  }
  return out;
}

} // namespace

std::optional<int64_t> parse_schedule_time(std::string_view s,
                                           std::string_view tz) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  std::string str(s);
  int n =
    std::sscanf(str.c_str(), "%d/%d/%d %d:%d:%d", &y, &mo, &d, &h, &mi, &se);
  if (n != 3 && n != 6)
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || se < 0 || se > 60)
    return std::nullopt;
  int64_t offset_s = 0;
  if (!(tz.empty() || tz == "UTC" || tz == "GMT" || tz == "Etc/UTC" ||
        tz == "Z")) {
    // GMT+05:30, GMT-8, UTC+01:00
    if (tz.size() < 5 ||
        !(tz.substr(0, 3) == "GMT" || tz.substr(0, 3) == "UTC"))
      return std::nullopt;
    char sign = tz[3];
    if (sign != '+' && sign != '-')
      return std::nullopt;
    int oh = 0, om = 0;
    std::string rest(tz.substr(4));
    int k = std::sscanf(rest.c_str(), "%d:%d", &oh, &om);
    if (k < 1 || oh > 14 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (sign == '+' ? 1 : -1);
  }
  std::tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  t.tm_sec = se;
  return static_cast<int64_t>(timegm(&t)) - offset_s;
}

std::optional<service_policies> parse_service_policies(std::string_view text_in,
                                                       std::string& error,
                                                       parse_limits lim) {
  if (text_in.size() > lim.max_bytes) {
    error =
      "policy document larger than " + std::to_string(lim.max_bytes) + " bytes";
    return std::nullopt;
  }
  if (json_depth(text_in, lim.max_depth) > lim.max_depth) {
    error =
      "policy document nested deeper than " + std::to_string(lim.max_depth);
    return std::nullopt;
  }
  auto doc = json::parse(text_in.begin(), text_in.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "policy document is not a JSON object";
    return std::nullopt;
  }
  service_policies out;
  out.service_name = text(doc, "serviceName");
  if (out.service_name.empty()) {
    error = "policy document lacks serviceName";
    return std::nullopt;
  }
  out.policy_version = integer(doc, "policyVersion", -1);
  if (auto sd = doc.find("serviceDef"); sd != doc.end() && sd->is_object())
    out.service_def_name = text(*sd, "name");
  auto ps = doc.find("policies");
  if (ps == doc.end() || !ps->is_array()) {
    error = "policy document lacks a policies array";
    return std::nullopt;
  }
  if (ps->size() > lim.max_policies) {
    error = "more than " + std::to_string(lim.max_policies) + " policies";
    return std::nullopt;
  }
  for (auto& j : *ps) {
    if (!j.is_object()) {
      error = "a policy is not an object";
      return std::nullopt;
    }
    policy p;
    p.id = integer(j, "id", -1);
    p.name = text(j, "name");
    p.enabled = flag(j, "isEnabled", true);
    p.priority = static_cast<int>(integer(j, "policyPriority", 0));
    p.policy_type = static_cast<int>(integer(j, "policyType", 0));
    p.deny_all_else = flag(j, "isDenyAllElse", false);
    auto rs = j.find("resources");
    if (rs == j.end() || !rs->is_object() || rs->empty()) {
      error = "policy " + std::to_string(p.id) + " has no resources";
      return std::nullopt;
    }
    for (auto& [name, r] : rs->items()) {
      if (!r.is_object()) {
        error = "policy " + std::to_string(p.id) + ": resource " + name +
                " is not an object";
        return std::nullopt;
      }
      policy_resource pr;
      pr.values = strings(r, "values");
      pr.is_excludes = flag(r, "isExcludes", false);
      pr.is_recursive = flag(r, "isRecursive", false);
      p.resources.emplace(name, std::move(pr));
    }
    p.allow = items(j, "policyItems");
    p.deny = items(j, "denyPolicyItems");
    p.allow_exceptions = items(j, "allowExceptions");
    p.deny_exceptions = items(j, "denyExceptions");
    if (auto vs = j.find("validitySchedules"); vs != j.end() && vs->is_array())
      for (auto& v : *vs) {
        if (!v.is_object())
          continue;
        validity_schedule s;
        auto tz = text(v, "timeZone");
        auto st = text(v, "startTime");
        auto en = text(v, "endTime");
        if (!st.empty()) {
          auto t = parse_schedule_time(st, tz);
          s.unknown_zone |= !t;
          s.start_s = t.value_or(0);
        }
        if (!en.empty()) {
          auto t = parse_schedule_time(en, tz);
          s.unknown_zone |= !t;
          s.end_s = t.value_or(0);
        }
        p.schedules.push_back(s);
      }
    out.policies.push_back(std::move(p));
  }
  out.index_priorities();
  return out;
}

void service_policies::index_priorities() {
  priority_levels.clear();
  for (auto& p : policies)
    if (std::find(priority_levels.begin(), priority_levels.end(), p.priority) ==
        priority_levels.end())
      priority_levels.push_back(p.priority);
  std::sort(priority_levels.rbegin(), priority_levels.rend());
}

} // namespace themis::auth::ranger
