/// The reference for bench/grpc_bench.sh (issue 20; a benchmark, not a
/// test): themis.v1.Documents/Get on Debian's libgrpc++ (its own HTTP/2
/// stack, synchronous server), answering from an in-memory map of the
/// same documents themisd serves from SQLite.
///
///   grpc_ref_server PORT [THREADS]

#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "themis/v1/documents.grpc.pb.h"

namespace {

class documents final : public themis::v1::Documents::Service {
public:
  documents() {
    for (int i = 0; i < 1000; ++i) {
      themis::v1::Document d;
      d.set_collection("bench");
      d.set_key("k" + std::to_string(i));
      d.set_rev(std::to_string(i + 1));
      auto& f = *d.mutable_body()->mutable_fields();
      f["_key"].set_string_value(d.key());
      f["_rev"].set_string_value(d.rev());
      f["name"].set_string_value("user " + std::to_string(i));
      f["n"].set_number_value(i);
      docs_[d.key()] = d;
    }
  }
  grpc::Status Get(grpc::ServerContext*,
                   const themis::v1::GetDocumentRequest* req,
                   themis::v1::Document* out) override {
    auto it = docs_.find(req->key());
    if (it == docs_.end())
      return {grpc::StatusCode::NOT_FOUND, "no document " + req->key()};
    *out = it->second;
    return grpc::Status::OK;
  }

private:
  std::map<std::string, themis::v1::Document> docs_; // read-only after start
};

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: grpc_ref_server PORT [THREADS]\n";
    return 2;
  }
  documents svc;
  grpc::ServerBuilder b;
  b.AddListeningPort(std::string("127.0.0.1:") + argv[1],
                     grpc::InsecureServerCredentials());
  b.RegisterService(&svc);
  if (argc > 2) {
    grpc::ResourceQuota q;
    q.SetMaxThreads(std::atoi(argv[2]));
    b.SetResourceQuota(q);
  }
  auto server = b.BuildAndStart();
  std::cout << "listening" << std::endl;
  server->Wait();
}
