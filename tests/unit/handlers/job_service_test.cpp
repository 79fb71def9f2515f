/// The job API logic without actors: a fake launcher records runs, a fake
/// clock drives expiry, and a second job_service on the same directory is
/// a restart.

#include <filesystem>
#include <gtest/gtest.h>
#include <unistd.h>

#include "engine/jobs/job_store.hpp"
#include "handlers/job_service.hpp"

using namespace themis;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class job_service_test : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("themis_jobs_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cfg_.engine.data_dir = dir_.string();
    cfg_.jobs.max_running = 1;
    cfg_.jobs.default_ttl_s = 60;
    start();
  }
  void TearDown() override {
    svc_.reset();
    fs::remove_all(dir_);
  }
  void start() {
    svc_ = std::make_unique<job_service>(
      cfg_, [this](job_run r) { launched_.push_back(std::move(r)); },
      [this] { return now_; });
    svc_->recover();
  }

  api_response call(const std::string& method, const std::string& path,
                    const std::string& body = "",
                    const std::string& query = "") {
    api_request req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = body;
    job_service::deferred later;
    auto r = svc_->handle(req, later);
    if (!r) {
      last_deferred_ = later;
      api_response none;
      none.status = 0;
      return none;
    }
    return *r;
  }
  json body(const api_response& r) { return json::parse(r.body); }
  std::string submit(const std::string& q, const std::string& extra = "") {
    auto r = call("POST", "/v1/jobs", R"({"query":")" + q + "\"" + extra + "}");
    EXPECT_EQ(r.status, 202) << r.body;
    return body(r)["job_id"];
  }
  void complete(const std::string& id, std::vector<std::string> rows) {
    engine::job_store store(engine::job_store::path_in(dir_.string()), 1000);
    store.append_rows(id, 0, rows);
    svc_->finished(
      {id, "completed", "", "", static_cast<int64_t>(rows.size())});
  }

  fs::path dir_;
  server_config cfg_;
  int64_t now_ = 1'000'000;
  std::vector<job_run> launched_;
  std::unique_ptr<job_service> svc_;
  job_service::deferred last_deferred_;
};

} // namespace

TEST_F(job_service_test, submit_runs_and_the_limit_queues_fifo) {
  auto a = submit("RETURN 1");
  auto b = submit("RETURN 2");
  auto c = submit("RETURN 3");
  ASSERT_EQ(launched_.size(), 1u);
  EXPECT_EQ(launched_[0].id, a);
  EXPECT_EQ(body(call("GET", "/v1/jobs/" + a))["status"], "running");
  EXPECT_EQ(body(call("GET", "/v1/jobs/" + b))["status"], "pending");
  complete(a, {"1"});
  ASSERT_EQ(launched_.size(), 2u);
  EXPECT_EQ(launched_[1].id, b); // FIFO
  EXPECT_EQ(body(call("GET", "/v1/jobs/" + c))["status"], "pending");
  auto rec = body(call("GET", "/v1/jobs/" + a));
  EXPECT_EQ(rec["status"], "completed");
  EXPECT_EQ(rec["result_count"], 1);
  EXPECT_FALSE(rec["finished_at"].is_null());
}

TEST_F(job_service_test, bad_submissions) {
  EXPECT_EQ(call("POST", "/v1/jobs", "nope").status, 400);
  EXPECT_EQ(call("POST", "/v1/jobs", R"({"query": 5})").status, 400);
  EXPECT_EQ(call("POST", "/v1/jobs", R"({"query": "FOR"})").status, 400);
  EXPECT_EQ(
    call("POST", "/v1/jobs", R"({"query": "RETURN 1", "ttl_seconds": 0})")
      .status,
    400);
  EXPECT_EQ(
    call("POST", "/v1/jobs", R"({"query": "RETURN 1", "bindVars": 3})").status,
    400);
  EXPECT_EQ(call("GET", "/v1/jobs/job-nope").status, 404);
  EXPECT_EQ(call("DELETE", "/v1/jobs/job-nope").status, 404);
  EXPECT_EQ(call("GET", "/v1/jobs", "", "status=weird").status, 400);
  EXPECT_TRUE(launched_.empty());
}

TEST_F(job_service_test, idempotency_key_returns_the_same_job) {
  auto a = submit("RETURN 1", R"(, "idempotency_key": "k1")");
  auto again =
    call("POST", "/v1/jobs", R"({"query":"RETURN 1","idempotency_key":"k1"})");
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(body(again)["job_id"], a);
  EXPECT_EQ(
    call("POST", "/v1/jobs", R"({"query":"RETURN 2","idempotency_key":"k1"})")
      .status,
    422);
  EXPECT_EQ(launched_.size(), 1u);
}

TEST_F(job_service_test, result_pages_are_stable) {
  auto a = submit("RETURN 1");
  complete(a, {"1", "2", "3", "4", "5"});
  auto p1 = body(call("GET", "/v1/jobs/" + a + "/result", "", "page_size=2"));
  EXPECT_EQ(p1["result"], json({1, 2}));
  EXPECT_EQ(p1["complete"], false);
  auto tok = p1["next_page_token"].get<std::string>();
  auto p2 = body(call("GET", "/v1/jobs/" + a + "/result", "",
                      "page_size=2&page_token=" + tok));
  EXPECT_EQ(p2["result"], json({3, 4}));
  auto p3 = body(
    call("GET", "/v1/jobs/" + a + "/result", "",
         "page_size=2&page_token=" + p2["next_page_token"].get<std::string>()));
  EXPECT_EQ(p3["result"], json({5}));
  EXPECT_EQ(p3["complete"], true);
  EXPECT_TRUE(p3["next_page_token"].is_null());
  // the same token gives the same page again
  EXPECT_EQ(body(call("GET", "/v1/jobs/" + a + "/result", "",
                      "page_size=2&page_token=" + tok))["result"],
            json({3, 4}));
  EXPECT_EQ(call("GET", "/v1/jobs/" + a + "/result", "", "page_size=0").status,
            400);
  EXPECT_EQ(call("GET", "/v1/jobs/" + a + "/result", "", "page_token=x").status,
            400);
}

TEST_F(job_service_test, cancel_and_delete_are_distinct) {
  auto a = submit("RETURN 1");
  auto b = submit("RETURN 2");
  // pending: cancelled at once, record kept
  auto r = call("DELETE", "/v1/jobs/" + b);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["status"], "cancelled");
  // running: the cancel flag is set and the answer waits for the runner
  EXPECT_EQ(call("DELETE", "/v1/jobs/" + a).status, 0);
  EXPECT_TRUE(last_deferred_.is_cancel);
  EXPECT_TRUE(launched_[0].progress->run.cancel.load());
  EXPECT_FALSE(svc_->ready(last_deferred_));
  svc_->finished({a, "cancelled", "query cancelled", "cancelled", 0});
  EXPECT_TRUE(svc_->ready(last_deferred_));
  EXPECT_EQ(body(svc_->answer(last_deferred_))["status"], "cancelled");
  EXPECT_EQ(call("GET", "/v1/jobs/" + a + "/result").status, 409);
  // finished: DELETE removes it
  EXPECT_EQ(call("DELETE", "/v1/jobs/" + a).status, 204);
  EXPECT_EQ(call("GET", "/v1/jobs/" + a).status, 404);
}

TEST_F(job_service_test, restart_keeps_finished_and_fails_interrupted) {
  auto a = submit("RETURN 1");
  complete(a, {"42"});
  auto b = submit("RETURN 2"); // running at the "crash"
  auto c = submit("RETURN 3"); // pending
  svc_.reset();
  launched_.clear();
  start();
  EXPECT_EQ(body(call("GET", "/v1/jobs/" + a + "/result"))["result"],
            json({42}));
  auto rb = body(call("GET", "/v1/jobs/" + b));
  EXPECT_EQ(rb["status"], "failed");
  EXPECT_EQ(rb["error_kind"], "interrupted");
  ASSERT_EQ(launched_.size(), 1u);
  EXPECT_EQ(launched_[0].id, c); // pending jobs run after the restart
  // new ids do not collide with old ones
  auto d = submit("RETURN 4");
  EXPECT_NE(d, a);
}

TEST_F(job_service_test, results_expire_after_their_ttl) {
  auto a = submit("RETURN 1", R"(, "ttl_seconds": 10)");
  complete(a, {"1"});
  now_ += 9'000;
  svc_->sweep();
  EXPECT_EQ(call("GET", "/v1/jobs/" + a + "/result").status, 200);
  now_ += 2'000;
  svc_->sweep();
  EXPECT_EQ(call("GET", "/v1/jobs/" + a + "/result").status, 410);
  auto rec = body(call("GET", "/v1/jobs/" + a));
  EXPECT_EQ(rec["expired"], true);
  now_ += 10'000;
  svc_->sweep();
  EXPECT_EQ(call("GET", "/v1/jobs/" + a).status, 404);
}

TEST_F(job_service_test, list_by_status_with_paging) {
  auto a = submit("RETURN 1");
  auto b = submit("RETURN 2");
  auto c = submit("RETURN 3");
  complete(a, {});
  auto all = body(call("GET", "/v1/jobs", "", "limit=2"));
  ASSERT_EQ(all["jobs"].size(), 2u);
  EXPECT_EQ(all["jobs"][0]["job_id"], a);
  auto rest = body(
    call("GET", "/v1/jobs", "",
         "limit=2&page_token=" + all["next_page_token"].get<std::string>()));
  ASSERT_EQ(rest["jobs"].size(), 1u);
  EXPECT_EQ(rest["jobs"][0]["job_id"], c);
  auto pending = body(call("GET", "/v1/jobs", "", "status=pending"));
  ASSERT_EQ(pending["jobs"].size(), 1u);
  EXPECT_EQ(pending["jobs"][0]["job_id"], c);
  auto running = body(call("GET", "/v1/jobs", "", "status=running"));
  EXPECT_EQ(running["jobs"][0]["job_id"], b);
}

TEST_F(job_service_test, wait_defers_until_the_status_changes) {
  auto a = submit("RETURN 1");
  EXPECT_EQ(call("GET", "/v1/jobs/" + a, "", "wait=5s").status, 0);
  EXPECT_EQ(last_deferred_.timeout_ms, 5000u);
  EXPECT_FALSE(svc_->ready(last_deferred_));
  complete(a, {});
  EXPECT_TRUE(svc_->ready(last_deferred_));
  EXPECT_EQ(call("GET", "/v1/jobs/" + a, "", "wait=5s").status, 200);
  EXPECT_EQ(
    call("GET", "/v1/jobs/" + submit("RETURN 2"), "", "wait=abc").status, 400);
}

TEST_F(job_service_test, cancelled_pending_jobs_leave_the_queue) {
  cfg_.jobs.max_pending = 2;
  auto a = submit("RETURN 1"); // running
  auto b = submit("RETURN 2");
  auto c = submit("RETURN 3");
  EXPECT_EQ(call("POST", "/v1/jobs", R"({"query":"RETURN 4"})").status, 503);
  EXPECT_EQ(call("DELETE", "/v1/jobs/" + b).status, 200);
  EXPECT_EQ(svc_->pending(), 1u);
  submit("RETURN 5"); // room again
  complete(a, {});
  EXPECT_EQ(launched_.back().id, c); // the cancelled one is skipped
}

// -- handles handed to clients (issue 17): random ids, owner checks --------
// (cursor_store lives beside the job service in themis_handlers; its tests
// are here so they need no target of their own)

#include <set>

#include "handlers/cursor_store.hpp"

namespace {

principal user_in(const std::string& user, const std::string& tenant) {
  principal p;
  p.user = user;
  p.tenant = tenant;
  p.scopes = {"query"};
  p.via = "jwt";
  return p;
}

bool is_hex(const std::string& s) {
  return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

TEST(random_handle, is_128_bits_of_hex_and_never_repeats) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto id = random_handle(16);
    ASSERT_EQ(id.size(), 32u);
    ASSERT_TRUE(is_hex(id)) << id;
    ASSERT_TRUE(seen.insert(id).second) << "repeated " << id;
  }
}

TEST(cursor_store, ids_are_random_not_a_counter_with_a_salt) {
  cursor_store cs(std::chrono::seconds(60), 100);
  auto a = user_in("alice", "alpha");
  auto id1 = cs.add(a, {"1", "2"}, 1, 3);
  auto id2 = cs.add(a, {"1", "2"}, 1, 3);
  EXPECT_EQ(id1.size(), 32u);
  EXPECT_TRUE(is_hex(id1));
  EXPECT_EQ(id1.find('-'), std::string::npos); // no "n-…" counter form
  EXPECT_NE(id1, id2);
  // consecutive ids share no long prefix (no counter or time in them)
  size_t common = 0;
  while (common < id1.size() && id1[common] == id2[common])
    ++common;
  EXPECT_LT(common, 8u);
}

TEST(cursor_store, another_tenant_or_user_sees_nothing) {
  cursor_store cs(std::chrono::seconds(60), 100);
  auto alice = user_in("alice", "alpha");
  auto bob_beta = user_in("bob", "beta");
  auto alice_beta = user_in("alice", "beta"); // same name, other tenant
  auto carol = user_in("carol", "alpha");     // same tenant, other user
  auto id = cs.add(alice, {"1", "2", "3"}, 1, 4);
  EXPECT_FALSE(cs.next(id, bob_beta));
  EXPECT_FALSE(cs.next(id, alice_beta));
  EXPECT_FALSE(cs.next(id, carol));
  EXPECT_FALSE(cs.remove(id, bob_beta));
  EXPECT_FALSE(cs.remove(id, carol));
  // the owner's cursor is untouched by those attempts
  auto b = cs.next(id, alice);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->rows_json, "[1]");
  EXPECT_TRUE(b->has_more);
  // a tenant admin sees its tenant's cursors, not another tenant's
  auto alpha_admin = user_in("root", "alpha");
  alpha_admin.scopes = {"admin"};
  auto beta_admin = user_in("root", "beta");
  beta_admin.scopes = {"admin"};
  EXPECT_FALSE(cs.next(id, beta_admin));
  auto c = cs.next(id, alpha_admin);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->rows_json, "[2]");
  EXPECT_TRUE(cs.remove(id, alice));
  EXPECT_FALSE(cs.next(id, alice));
}

TEST_F(job_service_test, job_ids_are_random_and_other_owners_get_404) {
  start();
  auto a = submit("RETURN 1");
  auto b = submit("RETURN 2");
  ASSERT_EQ(a.rfind("job-", 0), 0u);
  EXPECT_EQ(a.size(), 4u + 32u);
  EXPECT_TRUE(is_hex(a.substr(4)));
  size_t common = 0;
  while (common < a.size() && a[common] == b[common])
    ++common;
  EXPECT_LT(common, 4u + 8u); // no shared time/counter/salt prefix
  for (auto& method : {"GET", "DELETE"}) {
    api_request req;
    req.method = method;
    req.path = "/v1/jobs/" + a;
    req.who = user_in("mallory", "beta");
    job_service::deferred later;
    auto r = svc_->handle(req, later);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404) << method;
  }
  EXPECT_EQ(call("GET", "/v1/jobs/" + a).status, 200);
}

/// One tenant opening cursors in a loop loses its own oldest ones; another
/// tenant's cursor stays (the store once evicted least recently used
/// across everybody).
TEST(cursor_store, a_flooding_owner_evicts_only_its_own) {
  cursor_store cs(std::chrono::seconds(60), 80); // a share of 10 each
  auto bob = user_in("bob", "beta");
  auto victim = cs.add(bob, {"1", "2"}, 1, 2);
  auto alice = user_in("alice", "alpha");
  std::vector<std::string> ids;
  for (int i = 0; i < 500; ++i)
    ids.push_back(cs.add(alice, {"1", "2"}, 1, 2));
  EXPECT_TRUE(cs.next(victim, bob));
  EXPECT_LE(cs.size(), 11u);
  EXPECT_TRUE(cs.next(ids.back(), alice));   // the newest stays
  EXPECT_FALSE(cs.next(ids.front(), alice)); // its oldest went
  // many owners fill the store: the one holding most pays
  for (int u = 0; u < 20; ++u)
    for (int i = 0; i < 10; ++i)
      cs.add(user_in("u" + std::to_string(u), "gamma"), {"1", "2"}, 1, 2);
  EXPECT_LE(cs.size(), 80u);
}

/// /v2/jobs answers in ThemisDB's shapes over the same jobs /v1/jobs
/// shows in themisd's.
TEST_F(job_service_test, themisdb_shapes_on_v2) {
  api_request req;
  req.method = "POST";
  req.path = "/v2/jobs";
  req.body = R"({"query":"RETURN 1"})";
  req.headers.emplace_back("X-Correlation-ID", "corr-1");
  job_service::deferred later;
  auto r = svc_->handle(req, later);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  auto b = body(*r);
  auto a = b["job_id"].get<std::string>();
  // accepted as pending, though it is the only job and starts at once
  EXPECT_EQ(b["status"], "pending");
  EXPECT_EQ(b["correlation_id"], "corr-1");
  EXPECT_EQ(body(call("GET", "/v1/jobs/" + a))["status"], "running");
  auto pending = submit("RETURN 2");
  // list: a bare array in submission order
  auto list = body(call("GET", "/v2/jobs"));
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["job_id"], a);
  // themisd's paging parameters still get themisd's shape
  EXPECT_TRUE(body(call("GET", "/v2/jobs", "", "limit=5")).contains("jobs"));
  // cancel: pending → 200 cancelled; then a terminal one
  auto c = call("DELETE", "/v2/jobs/" + pending);
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(body(c), json({{"job_id", pending},
                           {"message", "Cancellation requested"},
                           {"status", "cancelled"}}));
  // record: ThemisDB's timestamps, the result inline when completed
  complete(a, {"1", "2", "3"});
  auto rec = body(call("GET", "/v2/jobs/" + a));
  EXPECT_EQ(rec["created_at"].get<std::string>().size(), 20u);
  EXPECT_EQ(rec["updated_at"].get<std::string>().back(), 'Z');
  EXPECT_EQ(rec["result"]["entities"], json({1, 2, 3}));
  EXPECT_EQ(rec["result"]["result"], json({1, 2, 3}));
  EXPECT_EQ(rec["result"]["count"], 3);
  EXPECT_FALSE(rec["result"]["has_more"]);
  // a terminal job: 409, and the record stays
  c = call("DELETE", "/v2/jobs/" + a);
  EXPECT_EQ(c.status, 409);
  EXPECT_EQ(body(c)["message"], "Job already in terminal state: completed");
  EXPECT_EQ(body(c)["status"], "completed");
  EXPECT_EQ(call("GET", "/v2/jobs/" + a).status, 200);
  EXPECT_EQ(call("DELETE", "/v2/jobs/job-nope").status, 404);
}

TEST_F(job_service_test, themisdb_inline_result_is_bounded) {
  cfg_.jobs.page_size = 2;
  auto a = submit("RETURN 1");
  complete(a, {"1", "2", "3", "4", "5"});
  auto res = body(call("GET", "/v2/jobs/" + a))["result"];
  EXPECT_EQ(res["entities"], json({1, 2}));
  EXPECT_TRUE(res["has_more"]);
  EXPECT_EQ(res["next"], "/v2/jobs/" + a + "/result?page_token=2");
  auto rest = body(
    call("GET", "/v2/jobs/" + a + "/result", "", "page_token=2&page_size=10"));
  EXPECT_EQ(rest["result"], json({3, 4, 5}));
}

TEST_F(job_service_test, themisdb_cancel_of_a_running_job_waits_briefly) {
  auto a = submit("RETURN 1");
  api_request req;
  req.method = "DELETE";
  req.path = "/v2/jobs/" + a;
  job_service::deferred later;
  EXPECT_FALSE(svc_->handle(req, later));
  EXPECT_TRUE(later.compat && later.is_cancel);
  // still stopping when the wait ends: 200, status running
  auto r = svc_->answer(later);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["status"], "running");
  svc_->finished({a, "cancelled", "query cancelled", "cancelled", 0});
  EXPECT_EQ(body(svc_->answer(later))["status"], "cancelled");
}
