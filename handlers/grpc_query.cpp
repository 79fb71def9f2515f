/// themis.v1.Query: Execute runs POST /v1/query and then the cursor's
/// batches (GET /v1/query/cursor/{id}), one batch per pump: the next
/// batch is fetched only after the client read the previous one, and a
/// cancelled or timed-out call deletes its cursor. Explain parses the
/// query (nothing runs) once the caller passed the read gate.

#include <nlohmann/json.hpp>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/parser.hpp"
#include "handlers/aql_explain.hpp"
#include "handlers/grpc_json.hpp"
#include "handlers/grpc_service.hpp"
#include "themis/v1/query.pb.h"

namespace themis {

namespace {

namespace v1 = themis::v1;

/// A /v1/query or cursor answer as a ResultBatch; false if unreadable.
bool batch_of(const nlohmann::json& j, v1::ResultBatch& b, std::string& id) {
  if (!j.is_object() || !j.contains("result") || !j["result"].is_array())
    return false;
  for (auto& row : j["result"])
    value_of(row, *b.add_rows());
  b.set_count(j.value("count", uint64_t{0}));
  b.set_has_more(j.value("hasMore", false));
  id = j.contains("id") && j["id"].is_string() ? j["id"].get<std::string>()
                                               : std::string();
  return true;
}

class execute_stream : public grpc_streamer,
                       public std::enable_shared_from_this<execute_stream> {
public:
  execute_stream(api_request first, rest_call rest) :
    first_(std::move(first)), rest_(std::move(rest)) {}

  void pump(const std::shared_ptr<grpc_stream_out>& out) override {
    auto self = shared_from_this();
    api_request req =
      started_ ? rest_request_of(first_, "GET", "/v1/query/cursor/" + cursor_)
               : first_;
    started_ = true;
    rest_(std::move(req), [self, out](api_response resp) {
      if (out->ended()) {
        self->cancel(); // the call ended while the batch was made
        return;
      }
      auto st = grpc_status_of(resp);
      if (st.code != 0) {
        self->cursor_.clear();
        return out->finish(std::move(st));
      }
      v1::ResultBatch b;
      std::string id;
      if (!batch_of(nlohmann::json::parse(resp.body, nullptr, false), b, id)) {
        self->cursor_.clear();
        return out->finish({13, "unreadable query answer", {}});
      }
      out->send(b.SerializeAsString());
      if (b.has_more() && !id.empty()) {
        self->cursor_ = id;
        out->more();
      } else {
        self->cursor_.clear();
        out->finish({});
      }
    });
  }

  void cancel() override {
    if (cursor_.empty())
      return;
    auto id = std::move(cursor_);
    cursor_.clear();
    rest_(rest_request_of(first_, "DELETE", "/v1/query/cursor/" + id),
          [](api_response) {});
  }

private:
  api_request first_;
  rest_call rest_;
  bool started_ = false;
  std::string cursor_;
};

std::shared_ptr<grpc_streamer> execute(grpc_request& r) {
  v1::ExecuteRequest in;
  if (!in.ParseFromString(r.message))
    return grpc_failed_stream(grpc_status{3, "malformed ExecuteRequest", {}});
  nlohmann::json body = {{"query", in.query()}};
  if (in.has_bind_vars())
    body["bindVars"] = json_of(in.bind_vars());
  if (in.batch_size())
    body["batchSize"] = in.batch_size();
  return std::make_shared<execute_stream>(
    rest_request_of(r.call, "POST", "/v1/query", body.dump()), r.rest);
}

void explain(grpc_request& r, grpc_unary_done done) {
  auto in = std::make_shared<v1::ExplainRequest>();
  if (!in->ParseFromString(r.message))
    return done({3, "malformed ExplainRequest", {}}, {});
  // the read gate: the same credentials and scope as listing collections
  r.rest(rest_request_of(r.call, "GET", "/v1/collections"),
         [in, done = std::move(done)](api_response resp) {
           auto st = grpc_status_of(resp);
           if (st.code != 0)
             return done(std::move(st), {});
           try {
             auto q = aql::parse(in->query());
             nlohmann::json plan = {{"query", in->query()},
                                    {"ast", aql_ast_json(q)},
                                    {"plan", aql_plan_json(q)}};
             v1::ExplainResponse out;
             struct_of(plan, *out.mutable_plan());
             done({}, out.SerializeAsString());
           } catch (const aql::aql_error& e) {
             done({3, e.what(), {}}, {});
           }
         });
}

const grpc_method methods[] = {
  {"/themis.v1.Query/Execute", true, nullptr, execute, nullptr},
  {"/themis.v1.Query/Explain", false, explain, nullptr, nullptr},
};

} // namespace

const grpc_method* grpc_query_methods(size_t& n) {
  n = std::size(methods);
  return methods;
}

} // namespace themis
