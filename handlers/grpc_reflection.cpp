/// grpc.reflection.v1 and v1alpha ServerReflectionInfo: the services and
/// the descriptors compiled into the binary (the generated pool of
/// libprotobuf), so grpcurl and buf curl work without .proto files. The
/// two versions have the same wire format; one implementation answers
/// both. Reflection needs no credentials: it shows the schema only.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <set>

#include "grpc/reflection/v1/reflection.pb.h"
#include "grpc/reflection/v1alpha/reflection.pb.h"
#include "handlers/grpc_service.hpp"

namespace themis {

namespace {

namespace rv1 = grpc::reflection::v1;
namespace gp = google::protobuf;

const std::vector<std::string>& service_names() {
  static const std::vector<std::string> names = {
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "themis.v1.Changefeed",
    "themis.v1.Documents",
    "themis.v1.Jobs",
    "themis.v1.Query"};
  return names;
}

/// Whether `f` is served: the interop test files only while the
/// TestService is on (its descriptors are linked in either way).
bool served(const gp::FileDescriptor* f) {
  return f && (grpc_interop_service() || f->package() != "grpc.testing");
}

/// The file and everything it imports, each once (the client may already
/// have some; it ignores those).
void add_file(const gp::FileDescriptor* f, std::set<std::string>& seen,
              rv1::FileDescriptorResponse& out) {
  if (!f || !seen.insert(f->name()).second)
    return;
  gp::FileDescriptorProto p;
  f->CopyTo(&p);
  out.add_file_descriptor_proto(p.SerializeAsString());
  for (int i = 0; i < f->dependency_count(); ++i)
    add_file(f->dependency(i), seen, out);
}

void not_found(rv1::ServerReflectionResponse& resp, const std::string& what) {
  auto* e = resp.mutable_error_response();
  e->set_error_code(5); // NOT_FOUND
  e->set_error_message(what);
}

std::string each(grpc_request& r, grpc_status& st) {
  // both versions' types are linked in, so the pool has both files
  (void)grpc::reflection::v1alpha::ServerReflectionRequest::descriptor();
  rv1::ServerReflectionRequest in;
  if (!in.ParseFromString(r.message)) {
    st = {3, "malformed ServerReflectionRequest", {}};
    return {};
  }
  rv1::ServerReflectionResponse resp;
  resp.set_valid_host(in.host());
  *resp.mutable_original_request() = in;
  auto* pool = gp::DescriptorPool::generated_pool();
  using R = rv1::ServerReflectionRequest;
  std::set<std::string> seen;
  switch (in.message_request_case()) {
    case R::kListServices:
      for (auto& n : service_names())
        resp.mutable_list_services_response()->add_service()->set_name(n);
      if (grpc_interop_service())
        resp.mutable_list_services_response()->add_service()->set_name(
          "grpc.testing.TestService");
      break;
    case R::kFileByFilename: {
      auto* f = pool->FindFileByName(in.file_by_filename());
      if (!served(f))
        not_found(resp, "no file " + in.file_by_filename());
      else
        add_file(f, seen, *resp.mutable_file_descriptor_response());
      break;
    }
    case R::kFileContainingSymbol: {
      auto* f = pool->FindFileContainingSymbol(in.file_containing_symbol());
      if (!served(f))
        not_found(resp, "no symbol " + in.file_containing_symbol());
      else
        add_file(f, seen, *resp.mutable_file_descriptor_response());
      break;
    }
    case R::kFileContainingExtension:
      not_found(resp, "no extensions are defined");
      break;
    case R::kAllExtensionNumbersOfType: {
      auto* t = pool->FindMessageTypeByName(in.all_extension_numbers_of_type());
      if (!t) {
        not_found(resp, "no type " + in.all_extension_numbers_of_type());
      } else {
        resp.mutable_all_extension_numbers_response()->set_base_type_name(
          t->full_name());
      }
      break;
    }
    default: {
      auto* e = resp.mutable_error_response();
      e->set_error_code(3);
      e->set_error_message("empty ServerReflectionRequest");
    }
  }
  return resp.SerializeAsString();
}

const grpc_method methods[] = {
  {"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", true, nullptr,
   nullptr, each},
  {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", true,
   nullptr, nullptr, each},
};

} // namespace

const grpc_method* grpc_reflection_methods(size_t& n) {
  n = std::size(methods);
  return methods;
}

} // namespace themis
