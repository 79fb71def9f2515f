#include "handlers/mcp_rpc.hpp"

#include <algorithm>

namespace themis::mcp {

namespace {

bool starts(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/// Strict percent-decoding: a bad escape or a NUL is no URI of ours.
std::optional<std::string> pct_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size())
      return std::nullopt;
    int h = hex_value(s[i + 1]), l = hex_value(s[i + 2]);
    if (h < 0 || l < 0 || (h == 0 && l == 0))
      return std::nullopt;
    out.push_back(static_cast<char>(h * 16 + l));
    i += 2;
  }
  return out;
}

std::string pct_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                 c == '~' || c == ':' || c == '@';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

} // namespace

rpc_message classify(const json& j) {
  rpc_message m;
  if (!j.is_object()) {
    m.error = "a JSON-RPC message is a JSON object";
    return m;
  }
  auto v = j.find("jsonrpc");
  if (v == j.end() || !v->is_string() || v->get<std::string>() != "2.0") {
    m.error = "\"jsonrpc\" must be \"2.0\"";
    return m;
  }
  auto id = j.find("id");
  bool has_id = id != j.end();
  if (has_id) {
    if (!(id->is_string() || id->is_number_integer())) {
      m.error = "\"id\" must be a string or an integer";
      return m;
    }
    m.id = *id;
  }
  auto method = j.find("method");
  if (method != j.end()) {
    if (!method->is_string() || method->get_ref<const std::string&>().empty()) {
      m.error = "\"method\" must be a non-empty string";
      return m;
    }
    m.method = method->get<std::string>();
    if (auto p = j.find("params"); p != j.end()) {
      if (!p->is_object()) {
        m.error = "\"params\" must be an object";
        return m;
      }
      m.params = *p;
    }
    m.kind = has_id ? rpc_kind::request : rpc_kind::notification;
    return m;
  }
  // a response to a request of ours (we send none, but clients may answer
  // e.g. a ping): exactly one of result and error
  bool res = j.contains("result"), err = j.contains("error");
  if (has_id && res != err) {
    m.kind = rpc_kind::response;
    return m;
  }
  m.error = "neither a request, a notification nor a response";
  return m;
}

json rpc_error(const json& id, int code, std::string_view message,
               const json& data) {
  json e = {{"code", code}, {"message", std::string(message)}};
  if (!data.is_null())
    e["data"] = data;
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(e)}};
}

json rpc_result(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json rpc_notification(std::string_view method, json params) {
  return {{"jsonrpc", "2.0"},
          {"method", std::string(method)},
          {"params", std::move(params)}};
}

const std::vector<std::string>& supported_versions() {
  static const std::vector<std::string> v = {
    "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07"};
  return v;
}

bool supported_version(std::string_view v) {
  auto& all = supported_versions();
  return std::find(all.begin(), all.end(), v) != all.end();
}

std::string negotiate_version(const json& requested) {
  if (requested.is_string() &&
      supported_version(requested.get_ref<const std::string&>()))
    return requested.get<std::string>();
  return supported_versions().front();
}

bool batches_allowed(std::string_view version) {
  return version == "2025-03-26";
}

bool origin_allowed(const std::string* origin,
                    const std::vector<std::string>& allowed,
                    bool allow_localhost) {
  if (!origin)
    return true;
  auto& o = *origin;
  for (auto& a : allowed)
    if (a == "*" || a == o)
      return true;
  if (!allow_localhost)
    return false;
  std::string_view rest;
  if (starts(o, "http://"))
    rest = std::string_view(o).substr(7);
  else if (starts(o, "https://"))
    rest = std::string_view(o).substr(8);
  else
    return false;
  for (std::string_view host : {"localhost", "127.0.0.1", "[::1]"}) {
    if (!starts(rest, host))
      continue;
    auto tail = rest.substr(host.size());
    if (tail.empty())
      return true;
    if (tail[0] != ':' || tail.size() < 2 || tail.size() > 6)
      continue;
    if (std::all_of(tail.begin() + 1, tail.end(),
                    [](char c) { return c >= '0' && c <= '9'; }))
      return true;
  }
  return false;
}

std::optional<resource_ref> parse_resource_uri(std::string_view uri) {
  static constexpr std::string_view prefix = "themis://collections/";
  if (uri.size() > 4096 || !starts(uri, prefix))
    return std::nullopt;
  auto rest = uri.substr(prefix.size());
  resource_ref r;
  auto slash = rest.find('/');
  auto name = rest.substr(0, slash);
  auto dn = pct_decode(name);
  if (!dn || dn->empty())
    return std::nullopt;
  r.collection = *dn;
  if (slash == std::string_view::npos)
    return r;
  auto tail = rest.substr(slash);
  static constexpr std::string_view docs = "/documents/";
  if (!starts(tail, docs))
    return std::nullopt;
  auto key = tail.substr(docs.size());
  if (key.empty() || key.find('/') != std::string_view::npos)
    return std::nullopt;
  auto dk = pct_decode(key);
  if (!dk || dk->empty())
    return std::nullopt;
  r.key = *dk;
  return r;
}

std::string collection_uri(std::string_view name) {
  return "themis://collections/" + pct_encode(name);
}

std::string document_uri(std::string_view name, std::string_view key) {
  return collection_uri(name) + "/documents/" + pct_encode(key);
}

bool accepts(const std::string* accept, std::string_view type) {
  if (!accept)
    return true;
  std::string_view a = *accept;
  if (a.find(type) != std::string_view::npos ||
      a.find("*/*") != std::string_view::npos)
    return true;
  auto slash = type.find('/');
  auto wild = std::string(type.substr(0, slash)) + "/*";
  return a.find(wild) != std::string_view::npos;
}

} // namespace themis::mcp
