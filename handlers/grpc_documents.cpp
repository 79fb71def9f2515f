/// themis.v1.Documents: each RPC is the REST request of
/// /v1/collections/{c}/documents[/{key}] (docs/rest-api.md) run through
/// the router, so revisions (If-Match → FAILED_PRECONDITION), auth,
/// tenants and limits are the REST API's own.

#include <nlohmann/json.hpp>

#include "handlers/grpc_json.hpp"
#include "handlers/grpc_service.hpp"
#include "themis/v1/documents.pb.h"

namespace themis {

namespace {

namespace v1 = themis::v1;

/// A collection name or key as one path segment: non-empty, no '/', at
/// most 512 bytes (the REST handlers check the rest).
bool bad_segment(const std::string& s) {
  return s.empty() || s.size() > 512 || s.find('/') != std::string::npos ||
         s.find('\0') != std::string::npos;
}

std::string doc_path(const std::string& c, const std::string& k) {
  return "/v1/collections/" + c + "/documents/" + k;
}

/// If-Match of a precondition: "*" or the revision as an entity tag.
void add_if_match(api_request& r, const std::string& if_match) {
  if (if_match.empty())
    return;
  r.headers.emplace_back("If-Match",
                         if_match == "*" ? "*" : "\"" + if_match + "\"");
}

bool document_of(const std::string& collection, const nlohmann::json& j,
                 v1::Document& d) {
  if (!j.is_object())
    return false;
  d.set_collection(collection);
  if (j.contains("_key") && j["_key"].is_string())
    d.set_key(j["_key"].get<std::string>());
  if (j.contains("_rev") && j["_rev"].is_string())
    d.set_rev(j["_rev"].get<std::string>());
  return struct_of(j, *d.mutable_body());
}

/// Answers `done` with the document of a REST answer (or its status).
responder document_reply(std::string collection, grpc_unary_done done) {
  return [collection = std::move(collection),
          done = std::move(done)](api_response resp) {
    auto st = grpc_status_of(resp);
    if (st.code != 0)
      return done(std::move(st), {});
    v1::Document d;
    if (!document_of(collection,
                     nlohmann::json::parse(resp.body, nullptr, false), d))
      return done({13, "unreadable document answer", {}}, {});
    done({}, d.SerializeAsString());
  };
}

#define PARSE_OR_FAIL(type, var)                                               \
  type var;                                                                    \
  if (!var.ParseFromString(r.message))                                         \
    return done({3, "malformed " #type, {}}, {});

void get(grpc_request& r, grpc_unary_done done) {
  PARSE_OR_FAIL(v1::GetDocumentRequest, in);
  if (bad_segment(in.collection()) || bad_segment(in.key()))
    return done({3, "collection and key: non-empty, without '/'", {}}, {});
  r.rest(rest_request_of(r.call, "GET", doc_path(in.collection(), in.key())),
         document_reply(in.collection(), std::move(done)));
}

void put(grpc_request& r, grpc_unary_done done) {
  PARSE_OR_FAIL(v1::PutDocumentRequest, in);
  if (bad_segment(in.collection()) || bad_segment(in.key()))
    return done({3, "collection and key: non-empty, without '/'", {}}, {});
  auto body = json_of(in.body());
  auto req = rest_request_of(r.call, "PUT", doc_path(in.collection(), in.key()),
                             body.dump());
  add_if_match(req, in.if_match());
  r.rest(std::move(req), document_reply(in.collection(), std::move(done)));
}

void del(grpc_request& r, grpc_unary_done done) {
  PARSE_OR_FAIL(v1::DeleteDocumentRequest, in);
  if (bad_segment(in.collection()) || bad_segment(in.key()))
    return done({3, "collection and key: non-empty, without '/'", {}}, {});
  auto req =
    rest_request_of(r.call, "DELETE", doc_path(in.collection(), in.key()));
  add_if_match(req, in.if_match());
  r.rest(std::move(req), [done = std::move(done)](api_response resp) {
    auto st = grpc_status_of(resp);
    if (st.code != 0)
      return done(std::move(st), {});
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    v1::DeleteDocumentResponse out;
    if (j.is_object()) {
      out.set_key(j.value("_key", ""));
      out.set_rev(j.value("_rev", ""));
    }
    done({}, out.SerializeAsString());
  });
}

void list(grpc_request& r, grpc_unary_done done) {
  PARSE_OR_FAIL(v1::ListDocumentsRequest, in);
  if (bad_segment(in.collection()))
    return done({3, "collection: non-empty, without '/'", {}}, {});
  if (in.page_size() > 1000)
    return done({3, "page_size: 1–1000", {}}, {});
  std::string q =
    "?limit=" + std::to_string(in.page_size() ? in.page_size() : 100);
  if (!in.page_token().empty())
    q += "&after=" + url_encode(in.page_token());
  auto c = in.collection();
  r.rest(
    rest_request_of(r.call, "GET", "/v1/collections/" + c + "/documents" + q),
    [c, done = std::move(done)](api_response resp) {
      auto st = grpc_status_of(resp);
      if (st.code != 0)
        return done(std::move(st), {});
      auto j = nlohmann::json::parse(resp.body, nullptr, false);
      v1::ListDocumentsResponse out;
      if (!j.is_object() || !j.contains("documents"))
        return done({13, "unreadable list answer", {}}, {});
      for (auto& d : j["documents"])
        document_of(c, d, *out.add_documents());
      if (j.contains("next_after") && j["next_after"].is_string())
        out.set_next_page_token(j["next_after"].get<std::string>());
      done({}, out.SerializeAsString());
    });
}

/// The operations of a BatchWrite, one REST request after the other.
struct batch_state : std::enable_shared_from_this<batch_state> {
  v1::BatchWriteRequest in;
  api_request call;
  rest_call rest;
  grpc_unary_done done;
  v1::BatchWriteResponse out;
  int next = 0;

  void step() {
    if (next == in.ops_size()) {
      done({}, out.SerializeAsString());
      return;
    }
    auto& op = in.ops(next++);
    auto* res = out.add_results();
    res->set_key(op.key());
    if (bad_segment(op.key())) {
      res->set_code(3);
      res->set_message("key: non-empty, without '/'");
      return step();
    }
    bool is_put = op.kind() == v1::WriteOp::PUT;
    auto req = rest_request_of(
      call, is_put ? "PUT" : "DELETE", doc_path(in.collection(), op.key()),
      is_put ? json_of(op.body()).dump() : std::string());
    add_if_match(req, op.if_match());
    auto self = shared_from_this();
    rest(std::move(req), [self, res](api_response resp) {
      auto st = grpc_status_of(resp);
      res->set_code(st.code);
      res->set_message(st.message);
      auto j = nlohmann::json::parse(resp.body, nullptr, false);
      if (st.code == 0 && j.is_object())
        res->set_rev(j.value("_rev", ""));
      // auth and overload stop the batch: the rest would fail the same way
      if (st.code == 16 || st.code == 7 || st.code == 8 || st.code == 14)
        return self->done(std::move(st), {});
      self->step();
    });
  }
};

void batch_write(grpc_request& r, grpc_unary_done done) {
  PARSE_OR_FAIL(v1::BatchWriteRequest, in);
  if (bad_segment(in.collection()))
    return done({3, "collection: non-empty, without '/'", {}}, {});
  if (in.ops_size() > 1000)
    return done({3, "at most 1000 operations per BatchWrite", {}}, {});
  auto b = std::make_shared<batch_state>();
  b->in = std::move(in);
  b->call = rest_request_of(r.call, "GET", "/");
  b->rest = r.rest;
  b->done = std::move(done);
  b->step();
}

const grpc_method methods[] = {
  {"/themis.v1.Documents/Get", false, get, nullptr, nullptr},
  {"/themis.v1.Documents/Put", false, put, nullptr, nullptr},
  {"/themis.v1.Documents/Delete", false, del, nullptr, nullptr},
  {"/themis.v1.Documents/List", false, list, nullptr, nullptr},
  {"/themis.v1.Documents/BatchWrite", false, batch_write, nullptr, nullptr},
};

} // namespace

const grpc_method* grpc_documents_methods(size_t& n) {
  n = std::size(methods);
  return methods;
}

} // namespace themis
