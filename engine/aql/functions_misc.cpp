/// Type checks and conversions, LENGTH, NOT_NULL and friends, JSON text
/// functions, hashes and UUID.

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <random>

#include "engine/aql/functions_impl.hpp"
#include "engine/json_bounded.hpp"

namespace themis::aql::fn {

namespace {

json length(args_t& a) {
  const json& v = a[0];
  switch (v.type()) {
    case json::value_t::array:
    case json::value_t::object:
      return v.size();
    case json::value_t::string:
      return utf8_length(v.get_ref<const std::string&>());
    case json::value_t::boolean:
      return v.get<bool>() ? 1 : 0;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      // ArangoDB counts the characters of the number's text form
      return to_string(v).size();
    default:
      return 0;
  }
}

json to_number_fn(args_t& a) {
  if (a[0].is_number_integer())
    return a[0];
  return number(to_number(a[0]));
}

json to_string_fn(args_t& a) {
  return to_string(a[0]);
}
json to_bool_fn(args_t& a) {
  return truthy(a[0]);
}

json to_array_fn(args_t& a) {
  json& v = a[0];
  if (v.is_array())
    return std::move(v);
  if (v.is_null())
    return json::array();
  json out = json::array();
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      out.push_back(std::move(it.value()));
  } else {
    out.push_back(std::move(v));
  }
  return out;
}

template <bool (json::*pred)() const noexcept>
json is_type(args_t& a) {
  return (a[0].*pred)();
}

json typename_fn(args_t& a) {
  return type_name(a[0]);
}

json not_null(args_t& a) {
  for (auto& v : a) {
    if (!v.is_null())
      return std::move(v);
  }
  return nullptr;
}

template <bool (json::*pred)() const noexcept>
json first_of_type(args_t& a) {
  for (auto& v : a) {
    if ((v.*pred)())
      return std::move(v);
  }
  return nullptr;
}

json json_stringify(args_t& a) {
  return a[0].dump(-1, ' ', false, json::error_handler_t::replace);
}

json json_parse(args_t& a) {
  if (!a[0].is_string())
    return nullptr;
  const auto& s = a[0].get_ref<const std::string&>();
  // too deep (limits.max_json_depth) or malformed: null, as ArangoDB
  // answers unparsable text
  json out;
  return engine::parse_untrusted_json(s, out) == engine::json_parse_status::ok
           ? out
           : json();
}

json digest(const json& v, const EVP_MD* md) {
  std::string data = to_string(v);
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr) != 1)
    return nullptr;
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(hex[buf[i] >> 4]);
    out.push_back(hex[buf[i] & 0xF]);
  }
  return out;
}

json md5(args_t& a) {
  return digest(a[0], EVP_md5());
}
json sha1(args_t& a) {
  return digest(a[0], EVP_sha1());
}

json uuid(args_t&) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) {
    // OpenSSL's CSPRNG practically never fails; a UUID must still come out
    thread_local std::mt19937_64 rng{std::random_device{}()};
    for (auto& byte : b)
      byte = static_cast<unsigned char>(rng());
  }
  b[6] = (b[6] & 0x0F) | 0x40; // version 4
  b[8] = (b[8] & 0x3F) | 0x80; // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof(out),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                "%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
                b[10], b[11], b[12], b[13], b[14], b[15]);
  return std::string(out);
}

constexpr entry entries[] = {
  {"LENGTH", {1, 1}, length},
  {"COUNT", {1, 1}, length},
  {"TO_NUMBER", {1, 1}, to_number_fn},
  {"TO_STRING", {1, 1}, to_string_fn},
  {"TO_BOOL", {1, 1}, to_bool_fn},
  {"TO_ARRAY", {1, 1}, to_array_fn},
  {"TO_LIST", {1, 1}, to_array_fn},
  {"IS_NULL", {1, 1}, is_type<&json::is_null>},
  {"IS_BOOL", {1, 1}, is_type<&json::is_boolean>},
  {"IS_NUMBER", {1, 1}, is_type<&json::is_number>},
  {"IS_STRING", {1, 1}, is_type<&json::is_string>},
  {"IS_ARRAY", {1, 1}, is_type<&json::is_array>},
  {"IS_LIST", {1, 1}, is_type<&json::is_array>},
  {"IS_OBJECT", {1, 1}, is_type<&json::is_object>},
  {"IS_DOCUMENT", {1, 1}, is_type<&json::is_object>},
  {"TYPENAME", {1, 1}, typename_fn},
  {"NOT_NULL", {1, variadic}, not_null},
  {"FIRST_DOCUMENT", {1, variadic}, first_of_type<&json::is_object>},
  {"FIRST_LIST", {1, variadic}, first_of_type<&json::is_array>},
  {"JSON_STRINGIFY", {1, 1}, json_stringify},
  {"JSON_PARSE", {1, 1}, json_parse},
  {"MD5", {1, 1}, md5},
  {"SHA1", {1, 1}, sha1},
  {"UUID", {0, 0}, uuid},
};

} // namespace

std::span<const entry> misc_functions() {
  return entries;
}

} // namespace themis::aql::fn
