#include "handlers/grpc_connect_json.hpp"

#include <algorithm>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>
#include <memory>

namespace themis {

namespace gp = google::protobuf;

namespace {

constexpr std::string_view type_prefix = "type.googleapis.com";

gp::util::TypeResolver& resolver() {
  // thread-safe: the resolver only reads the (immutable) generated pool
  static std::unique_ptr<gp::util::TypeResolver> r(
    gp::util::NewTypeResolverForDescriptorPool(
      std::string(type_prefix), gp::DescriptorPool::generated_pool()));
  return *r;
}

const gp::MethodDescriptor* method_of(std::string_view path) {
  // "/pkg.Service/Method" → "pkg.Service.Method"
  if (path.size() < 4 || path[0] != '/')
    return nullptr;
  std::string name(path.substr(1));
  auto slash = name.find('/');
  if (slash == std::string::npos)
    return nullptr;
  name[slash] = '.';
  return gp::DescriptorPool::generated_pool()->FindMethodByName(name);
}

std::string url_of(const gp::Descriptor* d) {
  return std::string(type_prefix) + "/" + d->full_name();
}

/// Nesting of a JSON text (brackets outside strings), to refuse deep
/// documents before libprotobuf's recursive parser sees them.
size_t json_depth(std::string_view s) {
  size_t depth = 0, max = 0;
  bool in_str = false, esc = false;
  for (char c : s) {
    if (in_str) {
      if (esc)
        esc = false;
      else if (c == '\\')
        esc = true;
      else if (c == '"')
        in_str = false;
      continue;
    }
    if (c == '"')
      in_str = true;
    else if (c == '{' || c == '[')
      max = std::max(max, ++depth);
    else if ((c == '}' || c == ']') && depth > 0)
      --depth;
  }
  return max;
}

} // namespace

bool grpc_request_from_json(std::string_view path, std::string_view json,
                            std::string& binary, std::string& error) {
  auto* m = method_of(path);
  if (!m) {
    error = "unknown method";
    return false;
  }
  if (json_depth(json) > 100) {
    error = "the JSON nests deeper than 100 levels";
    return false;
  }
  gp::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto st = gp::util::JsonToBinaryString(&resolver(), url_of(m->input_type()),
                                         std::string(json), &binary, opts);
  if (!st.ok()) {
    error = std::string(st.message());
    return false;
  }
  return true;
}

bool grpc_method_no_side_effects(std::string_view path) {
  auto* m = method_of(path);
  return m &&
         m->options().idempotency_level() == gp::MethodOptions::NO_SIDE_EFFECTS;
}

bool grpc_response_to_json(std::string_view path, std::string_view binary,
                           std::string& json) {
  auto* m = method_of(path);
  if (!m)
    return false;
  gp::util::JsonPrintOptions opts;
  auto st = gp::util::BinaryToJsonString(&resolver(), url_of(m->output_type()),
                                         std::string(binary), &json, opts);
  return st.ok();
}

} // namespace themis
