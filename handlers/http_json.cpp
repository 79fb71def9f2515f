#include "handlers/http_json.hpp"

#include "themis/hex.hpp"
#include <algorithm>

#include <charconv>
#include <nlohmann/json.hpp>

#include "engine/json_bounded.hpp"

namespace themis {

api_response json_response(int status, std::string body) {
  api_response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

api_response error_response(int status, std::string_view message) {
  nlohmann::json j = {{"error", true},
                      {"message", std::string(message)},
                      {"status_code", status}};
  return json_response(
    status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

api_response too_many_response(std::string_view message, int64_t retry_s) {
  retry_s = std::max<int64_t>(1, retry_s);
  nlohmann::json j = {{"error", true},
                      {"message", std::string(message)},
                      {"status_code", 429},
                      {"retry_after_seconds", retry_s}};
  auto r = json_response(
    429, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.set_header("Retry-After", std::to_string(retry_s));
  return r;
}

std::optional<api_response> parse_json_body(std::string_view text,
                                            nlohmann::json& out) {
  if (engine::parse_untrusted_json(text, out) ==
      engine::json_parse_status::too_deep)
    return error_response(400, engine::json_too_deep_message());
  return std::nullopt;
}

namespace {

std::string form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 &&
               hex_digit(s[i + 2]) >= 0) {
      out.push_back(
        static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

} // namespace

std::optional<std::string> query_param(std::string_view query,
                                       std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    auto key = form_decode(pair.substr(0, eq));
    if (key == name)
      return eq == std::string_view::npos ? std::string()
                                          : form_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool parse_uint(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && p == s.data() + s.size();
}

int http_status(engine::op_status s) {
  using engine::op_status;
  switch (s) {
    case op_status::ok:
      return 200;
    case op_status::created:
      return 201;
    case op_status::not_found:
    case op_status::collection_not_found:
      return 404;
    case op_status::conflict:
      return 409;
    case op_status::precondition_failed:
      return 412;
    case op_status::invalid:
      return 400;
    case op_status::not_executed:
      return 424;
    case op_status::internal:
      return 500;
  }
  return 500;
}

std::string make_etag(std::string_view rev) {
  std::string out = "\"";
  out.append(rev);
  out.push_back('"');
  return out;
}

std::string parse_etag(std::string_view tag) {
  if (tag.substr(0, 2) == "W/")
    tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"')
    tag = tag.substr(1, tag.size() - 2);
  return std::string(tag);
}

api_response unavailable_response(const engine::write_result& res) {
  auto r =
    error_response(503, res.error.empty() ? "write not executed" : res.error);
  if (res.retry_after_s > 0)
    r.set_header("Retry-After", std::to_string(res.retry_after_s));
  return r;
}

void submit_single(
  write_port& writer, engine::write_op op, responder respond,
  std::function<api_response(const engine::op_result&, int)> ok) {
  engine::write_batch b;
  b.ops.push_back(std::move(op));
  writer.submit(std::move(b), [respond = std::move(respond),
                               ok = std::move(ok)](engine::write_result res) {
    if (res.results.empty())
      return respond(unavailable_response(res));
    auto& r = res.results.front();
    auto status = http_status(r.status);
    if (status >= 400)
      return respond(error_response(status, r.message));
    if (!res.committed)
      return respond(error_response(503, res.error));
    respond(ok(r, status));
  });
}

bool has_content_type(const api_request& req, std::string_view type) {
  auto ct = req.header("Content-Type");
  if (!ct)
    return false;
  std::string_view v = *ct;
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ')
    v.remove_suffix(1);
  return iequals(v, type);
}

} // namespace themis
