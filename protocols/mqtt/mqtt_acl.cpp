#include "protocols/mqtt/mqtt_acl.hpp"

#include "protocols/mqtt/mqtt_codec.hpp"

namespace themis::mqtt {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// The next whitespace-separated word of `s` (consumed).
std::string_view word(std::string_view& s) {
  s = trim(s);
  auto end = s.find_first_of(" \t");
  auto w = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view{} : trim(s.substr(end));
  return w;
}

std::optional<acl_access> access_of(std::string_view w) {
  if (w == "read")
    return acl_access::read;
  if (w == "write")
    return acl_access::write;
  if (w == "readwrite")
    return acl_access::readwrite;
  if (w == "deny")
    return acl_access::deny;
  return std::nullopt;
}

/// `%c` / `%u` replaced; false if a needed value is missing or unsafe.
bool substitute(const std::string& pattern,
                const std::optional<std::string>& user,
                const std::string& client_id, std::string& out) {
  auto safe = [](const std::string& v) {
    return !v.empty() && v.find_first_of("/+#") == std::string::npos;
  };
  out.clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() &&
        (pattern[i + 1] == 'c' || pattern[i + 1] == 'u')) {
      const std::string* v = pattern[i + 1] == 'c' ? &client_id
                             : user                ? &*user
                                                   : nullptr;
      if (!v || !safe(*v))
        return false;
      out += *v;
      ++i;
    } else {
      out.push_back(pattern[i]);
    }
  }
  return true;
}

bool grants(acl_access have, acl_access want) {
  return have != acl_access::deny &&
         (static_cast<uint8_t>(have) & static_cast<uint8_t>(want)) != 0;
}

} // namespace

bool filter_covers(std::string_view outer, std::string_view inner) {
  if (!inner.empty() && inner[0] == '$' && !outer.empty() &&
      (outer[0] == '+' || outer[0] == '#'))
    return false;
  while (true) {
    auto oe = outer.find('/');
    auto ie = inner.find('/');
    auto ol = outer.substr(0, oe);
    auto il = inner.substr(0, ie);
    if (ol == "#")
      return true;
    if (il == "#")
      return false; // a wider filter than the rule
    if (ol != "+" && (il == "+" || ol != il))
      return false;
    bool o_last = oe == std::string_view::npos;
    bool i_last = ie == std::string_view::npos;
    if (o_last && i_last)
      return true;
    if (i_last) // "a" is under "a/#"
      return outer.substr(oe + 1) == "#";
    if (o_last)
      return false;
    outer.remove_prefix(oe + 1);
    inner.remove_prefix(ie + 1);
  }
}

bool acl_rules::allows(std::string_view topic, acl_access want) const {
  if (!enabled_)
    return true;
  topic = local(topic);
  bool granted = false;
  for (auto& r : rules_) {
    if (!topic_matches(r.filter, topic))
      continue;
    if (r.access == acl_access::deny)
      return false;
    granted = granted || grants(r.access, want);
  }
  return granted;
}

bool acl_rules::can_subscribe(std::string_view filter) const {
  if (!enabled_)
    return true;
  filter = local(filter);
  bool granted = false;
  for (auto& r : rules_) {
    if (r.access == acl_access::deny) {
      if (filter_covers(r.filter, filter))
        return false; // all of it is denied
      continue;
    }
    granted = granted || (grants(r.access, acl_access::read) &&
                          filter_covers(r.filter, filter));
  }
  return granted;
}

std::optional<acl> acl::parse(std::string_view text, std::string& error) {
  acl out;
  std::vector<acl_rule>* section = &out.anonymous_;
  size_t line_no = 0;
  while (!text.empty()) {
    auto end = text.find_first_of("\n;");
    auto line = trim(text.substr(0, end));
    text =
      end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_no;
    if (line.empty() || line[0] == '#')
      continue;
    auto kind = word(line);
    if (kind == "user") {
      if (line.empty()) {
        error = "line " + std::to_string(line_no) + ": user needs a name";
        return std::nullopt;
      }
      out.users_.emplace_back(std::string(line), std::vector<acl_rule>{});
      section = &out.users_.back().second;
      continue;
    }
    if (kind != "topic" && kind != "pattern") {
      error = "line " + std::to_string(line_no) +
              ": expected user, topic or "
              "pattern, got '" +
              std::string(kind) + "'";
      return std::nullopt;
    }
    acl_rule r;
    auto rest = line;
    auto first = word(rest);
    if (auto a = access_of(first)) {
      r.access = *a;
      line = rest;
    }
    r.filter = std::string(trim(line));
    if (r.filter.empty() || !valid_topic_filter(r.filter)) {
      error = "line " + std::to_string(line_no) + ": bad topic filter '" +
              r.filter + "'";
      return std::nullopt;
    }
    (kind == "pattern" ? out.patterns_ : *section).push_back(std::move(r));
  }
  return out;
}

std::shared_ptr<const acl_rules>
acl::for_client(const std::optional<std::string>& user,
                const std::string& client_id) const {
  if (empty())
    return std::make_shared<const acl_rules>();
  std::vector<acl_rule> rules;
  auto add = [&](const acl_rule& p) {
    acl_rule r;
    r.access = p.access;
    if (substitute(p.filter, user, client_id, r.filter))
      rules.push_back(std::move(r));
  };
  if (!user) {
    for (auto& r : anonymous_)
      add(r);
  } else {
    for (auto& [name, list] : users_)
      if (name == *user)
        for (auto& r : list)
          add(r);
  }
  for (auto& p : patterns_)
    add(p);
  return std::make_shared<const acl_rules>(std::move(rules));
}

} // namespace themis::mqtt
