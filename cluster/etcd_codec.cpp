#include "cluster/etcd_codec.hpp"

#include "themis/input_limits.hpp"

#include <nlohmann/json.hpp>

#include "themis/base64.hpp"

namespace themis::cluster::etcd {

using json = nlohmann::json;

namespace {

std::optional<json> parse(std::string_view text, std::string& error,
                          const codec_limits& lim) {
  if (text.size() > lim.max_bytes) {
    error = "message larger than " + std::to_string(lim.max_bytes) + " bytes";
    return std::nullopt;
  }
  if (json_depth(text, lim.max_depth) > lim.max_depth) {
    error = "message nested deeper than " + std::to_string(lim.max_depth);
    return std::nullopt;
  }
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  return j;
}

/// A 64-bit field: the gateway sends strings, tolerate numbers too.
bool get_int(const json& o, const char* name, int64_t& out,
             std::string& error) {
  auto it = o.find(name);
  if (it == o.end() || it->is_null())
    return true;
  if (it->is_number_integer()) {
    out = it->get<int64_t>();
    return true;
  }
  if (it->is_string()) {
    auto& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 20)
      return error = std::string(name) + " is not a number", false;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size())
      return error = std::string(name) + " is not a number", false;
    for (size_t k = i; k < s.size(); ++k)
      if (s[k] < '0' || s[k] > '9')
        return error = std::string(name) + " is not a number", false;
    try {
      out = std::stoll(s);
    } catch (...) {
      return error = std::string(name) + " is out of range", false;
    }
    return true;
  }
  error = std::string(name) + " is not a number";
  return false;
}

/// An unsigned 64-bit field (member and cluster ids use the whole range).
bool get_uint(const json& o, const char* name, uint64_t& out,
              std::string& error) {
  auto it = o.find(name);
  if (it == o.end() || it->is_null())
    return true;
  if (it->is_number_unsigned()) {
    out = it->get<uint64_t>();
    return true;
  }
  if (it->is_string()) {
    auto& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 20 ||
        s.find_first_not_of("0123456789") != std::string::npos)
      return error = std::string(name) + " is not a number", false;
    try {
      out = std::stoull(s);
    } catch (...) {
      return error = std::string(name) + " is out of range", false;
    }
    return true;
  }
  error = std::string(name) + " is not a number";
  return false;
}

bool get_b64(const json& o, const char* name, std::string& out,
             std::string& error) {
  auto it = o.find(name);
  if (it == o.end() || it->is_null())
    return true;
  if (!it->is_string())
    return error = std::string(name) + " is not a string", false;
  auto d = base64_decode(it->get_ref<const std::string&>());
  if (!d)
    return error = std::string(name) + " is not base64", false;
  out = std::move(*d);
  return true;
}

bool get_header(const json& o, response_header& h, std::string& error) {
  auto it = o.find("header");
  if (it == o.end())
    return true;
  if (!it->is_object())
    return error = "header is not an object", false;
  return get_int(*it, "revision", h.revision, error) &&
         get_uint(*it, "member_id", h.member_id, error) &&
         get_uint(*it, "raft_term", h.raft_term, error);
}

bool get_kv(const json& o, key_value& kv, std::string& error) {
  if (!o.is_object())
    return error = "kv is not an object", false;
  return get_b64(o, "key", kv.key, error) &&
         get_b64(o, "value", kv.value, error) &&
         get_int(o, "create_revision", kv.create_revision, error) &&
         get_int(o, "mod_revision", kv.mod_revision, error) &&
         get_int(o, "version", kv.version, error) &&
         get_int(o, "lease", kv.lease, error);
}

bool get_kvs(const json& o, std::vector<key_value>& out, std::string& error) {
  auto it = o.find("kvs");
  if (it == o.end() || it->is_null())
    return true;
  if (!it->is_array())
    return error = "kvs is not an array", false;
  for (auto& e : *it) {
    key_value kv;
    if (!get_kv(e, kv, error))
      return false;
    out.push_back(std::move(kv));
  }
  return true;
}

/// {"error": "...", "code": N, "message": "..."} (or the "error" object a
/// streaming call ends with).
std::optional<gateway_error> get_error(const json& o) {
  auto it = o.find("error");
  if (it == o.end())
    return std::nullopt;
  gateway_error e;
  const json& src = it->is_object() ? *it : o;
  if (auto c = src.find("code"); c != src.end() && c->is_number_integer())
    e.code = c->get<int>();
  if (auto m = src.find("message"); m != src.end() && m->is_string())
    e.message = m->get<std::string>();
  if (e.message.empty() && it->is_string())
    e.message = it->get<std::string>();
  if (e.message.empty())
    e.message = "etcd error";
  return e;
}

std::string b64(std::string_view s) {
  return base64_encode(s);
}

} // namespace

std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(end.back());
    if (c < 0xff) {
      ++c;
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');
}

std::string encode_put(std::string_view key, std::string_view value,
                       int64_t lease) {
  json j = {{"key", b64(key)}, {"value", b64(value)}};
  if (lease)
    j["lease"] = std::to_string(lease);
  return j.dump();
}

std::string encode_range(std::string_view key, std::string_view range_end) {
  json j = {{"key", b64(key)}};
  if (!range_end.empty())
    j["range_end"] = b64(range_end);
  return j.dump();
}

std::string encode_delete(std::string_view key) {
  return json{{"key", b64(key)}}.dump();
}

std::string encode_cas_put(std::string_view key, std::string_view value,
                           int64_t mod_revision) {
  json cmp = {{"key", b64(key)},
              {"target", "MOD"},
              {"result", "EQUAL"},
              {"mod_revision", std::to_string(mod_revision)}};
  json put = {{"request_put", {{"key", b64(key)}, {"value", b64(value)}}}};
  json range = {{"request_range", {{"key", b64(key)}}}};
  if (mod_revision < 0) // no condition: the transaction always succeeds
    return json{{"compare", json::array()},
                {"success", json::array({put})},
                {"failure", json::array({range})}}
      .dump();
  return json{{"compare", json::array({cmp})},
              {"success", json::array({put})},
              {"failure", json::array({range})}}
    .dump();
}

std::string encode_lease_grant(int64_t ttl_s) {
  return json{{"TTL", std::to_string(ttl_s)}, {"ID", "0"}}.dump();
}

std::string encode_lease_id(int64_t id) {
  return json{{"ID", std::to_string(id)}}.dump();
}

std::string encode_watch(std::string_view key, std::string_view range_end,
                         int64_t start_revision) {
  json c = {{"key", b64(key)}, {"range_end", b64(range_end)}};
  if (start_revision)
    c["start_revision"] = std::to_string(start_revision);
  return json{{"create_request", c}}.dump();
}

std::string encode_authenticate(std::string_view user,
                                std::string_view password) {
  return json{{"name", std::string(user)}, {"password", std::string(password)}}
    .dump();
}

std::optional<decoded> decode_response(std::string_view text,
                                       std::string& error,
                                       const codec_limits& lim) {
  auto parsed = parse(text, error, lim);
  if (!parsed)
    return std::nullopt;
  const json* o = &*parsed;
  if (auto r = o->find("result"); r != o->end()) {
    if (!r->is_object())
      return error = "result is not an object", std::nullopt;
    o = &*r;
  }
  decoded d;
  if ((d.error = get_error(*parsed)))
    return d;
  if (!get_header(*o, d.header, error) || !get_kvs(*o, d.kvs, error) ||
      !get_int(*o, "ID", d.lease_id, error) ||
      !get_int(*o, "TTL", d.ttl, error))
    return std::nullopt;
  if (auto s = o->find("succeeded"); s != o->end()) {
    if (!s->is_boolean())
      return error = "succeeded is not a boolean", std::nullopt;
    d.succeeded = s->get<bool>();
  }
  if (auto t = o->find("token"); t != o->end()) {
    if (!t->is_string())
      return error = "token is not a string", std::nullopt;
    d.token = t->get<std::string>();
  }
  // a txn: the range of its failure branch carries the current key
  if (auto rs = o->find("responses"); rs != o->end()) {
    if (!rs->is_array())
      return error = "responses is not an array", std::nullopt;
    for (auto& r : *rs) {
      if (!r.is_object())
        return error = "response is not an object", std::nullopt;
      if (auto rr = r.find("response_range"); rr != r.end()) {
        if (!rr->is_object() || !get_kvs(*rr, d.kvs, error))
          return error.empty() ? (error = "bad response_range", std::nullopt)
                               : std::nullopt;
      }
    }
  }
  return d;
}

std::optional<watch_message> decode_watch_line(std::string_view text,
                                               std::string& error,
                                               const codec_limits& lim) {
  auto parsed = parse(text, error, lim);
  if (!parsed)
    return std::nullopt;
  watch_message m;
  if ((m.error = get_error(*parsed)))
    return m;
  auto r = parsed->find("result");
  if (r == parsed->end() || !r->is_object())
    return error = "watch line without a result object", std::nullopt;
  if (!get_header(*r, m.header, error) ||
      !get_int(*r, "compact_revision", m.compact_revision, error))
    return std::nullopt;
  auto flag = [&](const char* name, bool& out) {
    auto f = r->find(name);
    if (f == r->end())
      return true;
    if (!f->is_boolean())
      return error = std::string(name) + " is not a boolean", false;
    out = f->get<bool>();
    return true;
  };
  if (!flag("created", m.created) || !flag("canceled", m.canceled))
    return std::nullopt;
  if (auto cr = r->find("cancel_reason"); cr != r->end() && cr->is_string())
    m.cancel_reason = cr->get<std::string>();
  auto ev = r->find("events");
  if (ev != r->end() && !ev->is_null()) {
    if (!ev->is_array())
      return error = "events is not an array", std::nullopt;
    for (auto& e : *ev) {
      if (!e.is_object())
        return error = "event is not an object", std::nullopt;
      watch_event we;
      if (auto t = e.find("type"); t != e.end()) {
        if (*t == "DELETE" || *t == 1)
          we.type = event_type::del;
        else if (!(*t == "PUT" || *t == 0))
          return error = "unknown event type", std::nullopt;
      }
      auto kv = e.find("kv");
      if (kv == e.end() || !get_kv(*kv, we.kv, error))
        return error.empty() ? (error = "event without kv", std::nullopt)
                             : std::nullopt;
      m.events.push_back(std::move(we));
    }
  }
  return m;
}

} // namespace themis::cluster::etcd
