#include "handlers/grpc_json.hpp"

namespace themis {

namespace {
constexpr int max_depth = 200;
}

nlohmann::json json_of(const google::protobuf::Value& v, int depth) {
  using K = google::protobuf::Value::KindCase;
  if (depth > max_depth)
    return nullptr;
  switch (v.kind_case()) {
    case K::kNumberValue: {
      double d = v.number_value();
      // integral values come back as integers (a key or a count stays 3,
      // not 3.0, in the stored JSON)
      if (d == static_cast<double>(static_cast<int64_t>(d)) && d < 9.2e18 &&
          d > -9.2e18)
        return static_cast<int64_t>(d);
      return d;
    }
    case K::kStringValue:
      return v.string_value();
    case K::kBoolValue:
      return v.bool_value();
    case K::kStructValue:
      return json_of(v.struct_value(), depth + 1);
    case K::kListValue: {
      auto arr = nlohmann::json::array();
      for (auto& e : v.list_value().values())
        arr.push_back(json_of(e, depth + 1));
      return arr;
    }
    default:
      return nullptr;
  }
}

nlohmann::json json_of(const google::protobuf::Struct& s, int depth) {
  auto obj = nlohmann::json::object();
  if (depth > max_depth)
    return obj;
  for (auto& [k, v] : s.fields())
    obj[k] = json_of(v, depth + 1);
  return obj;
}

bool value_of(const nlohmann::json& j, google::protobuf::Value& out,
              int depth) {
  if (depth > max_depth)
    return false;
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      out.set_null_value(google::protobuf::NULL_VALUE);
      return true;
    case nlohmann::json::value_t::boolean:
      out.set_bool_value(j.get<bool>());
      return true;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      out.set_number_value(j.get<double>());
      return true;
    case nlohmann::json::value_t::string:
      out.set_string_value(j.get_ref<const std::string&>());
      return true;
    case nlohmann::json::value_t::array: {
      auto* l = out.mutable_list_value();
      for (auto& e : j)
        if (!value_of(e, *l->add_values(), depth + 1))
          return false;
      return true;
    }
    case nlohmann::json::value_t::object:
      return struct_of(j, *out.mutable_struct_value(), depth + 1);
    default:
      out.set_null_value(google::protobuf::NULL_VALUE);
      return true;
  }
}

bool struct_of(const nlohmann::json& j, google::protobuf::Struct& out,
               int depth) {
  if (!j.is_object() || depth > max_depth)
    return false;
  auto* f = out.mutable_fields();
  for (auto& [k, v] : j.items())
    if (!value_of(v, (*f)[k], depth + 1))
      return false;
  return true;
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xf];
    }
  }
  return out;
}

} // namespace themis
