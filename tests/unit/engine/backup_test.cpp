/// engine/backup: a copy taken one page per step while a writer commits
/// is still one snapshot (every write ≤ its sequence, none after, a dense
/// change log); targets and restores are checked.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <sqlite3.h>
#include <thread>
#include <unistd.h>

#include "engine/backup.hpp"
#include "engine/security/api_key_store.hpp"
#include "engine/store_writer.hpp"

using namespace themis::engine;
namespace fs = std::filesystem;

namespace {

class backup_test : public ::testing::Test {
protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("themis_backup_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "data");
    opts_.data_dir = (root_ / "data").string();
    opts_.synchronous_full = false; // commits without fsync: a fast test
  }
  void TearDown() override { fs::remove_all(root_); }

  static uint64_t put(store_writer& w, const std::string& key) {
    write_batch b;
    write_op o;
    o.kind = op_kind::put;
    o.collection = "c";
    o.key = key;
    o.doc =
      R"({"v":")" + key + R"(","pad":")" + std::string(300, 'x') + R"("})";
    o.create_collection = true;
    b.ops.push_back(std::move(o));
    auto r = w.commit(b);
    EXPECT_TRUE(r.committed) << r.error;
    return r.results.at(0).sequence;
  }

  /// Rows of `sql` (first column) in the copy's themis.db.
  static std::vector<std::string> column(const fs::path& db, const char* sql) {
    sqlite3* h = nullptr;
    sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* s = nullptr;
    std::vector<std::string> out;
    if (sqlite3_prepare_v2(h, sql, -1, &s, nullptr) == SQLITE_OK)
      while (sqlite3_step(s) == SQLITE_ROW)
        out.emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    sqlite3_close(h);
    return out;
  }

  fs::path root_;
  store_options opts_;
};

TEST_F(backup_test, one_page_steps_under_concurrent_writes_are_one_snapshot) {
  store_writer w(opts_);
  for (int i = 0; i < 2000; ++i) // a few hundred pages
    put(w, "pre" + std::to_string(i));
  api_key_store keys(api_key_store::path_in(opts_.data_dir), 1000);
  api_key_record r;
  r.name = r.user = "admin";
  r.scopes = {"admin"};
  std::string token;
  keys.create(r, token, 1);

  std::atomic<bool> stop{false};
  std::atomic<size_t> count{0};
  std::map<std::string, uint64_t> acked; // the writer's until it is joined
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      auto k = "live" + std::to_string(i);
      acked[k] = put(w, k);
      ++count;
    }
  });
  backup_options bo;
  bo.data_dir = opts_.data_dir;
  bo.to = (root_ / "bk").string();
  bo.pages_per_step = 1; // as many steps as pages: writes land between them
  bo.mqtt_state = R"({"sessions":[]})";
  uint64_t steps = 0, total = 0;
  bo.progress = [&](uint64_t, uint64_t t) {
    ++steps;
    total = t;
  };
  backup_result res;
  // the writer must be committing while the copy runs
  while (count < 50)
    std::this_thread::yield();
  auto at_start = count.load();
  res = backup_data_dir(bo);
  auto at_end = count.load();
  while (count < at_end + 50)
    std::this_thread::yield();
  stop = true;
  writer.join();

  EXPECT_GT(at_end, at_start) << "no write committed during the copy";
  EXPECT_GT(steps, 100u);
  EXPECT_GT(total, 100u);
  auto db = root_ / "bk" / "themis.db";
  auto seqs = column(db, "SELECT seq FROM changelog ORDER BY seq");
  ASSERT_EQ(seqs.size(), res.sequence);
  for (size_t i = 0; i < seqs.size(); ++i)
    ASSERT_EQ(seqs[i], std::to_string(i + 1));
  std::set<std::string> keys_in_copy;
  for (auto& k : column(db, "SELECT key FROM documents"))
    keys_in_copy.insert(k);
  size_t before = 0, after = 0;
  for (auto& [k, s] : acked) {
    if (s <= res.sequence) {
      ++before;
      EXPECT_TRUE(keys_in_copy.count(k)) << k << " seq " << s;
    } else {
      ++after;
      EXPECT_FALSE(keys_in_copy.count(k)) << k << " seq " << s;
    }
  }
  EXPECT_GT(before, 0u);
  EXPECT_GT(after, 0u);
  EXPECT_EQ(column(db, "SELECT v FROM state_blobs WHERE k = 'mqtt'"),
            std::vector<std::string>{R"({"sessions":[]})"});
  EXPECT_EQ(column(root_ / "bk" / "auth.db", "SELECT name FROM api_keys"),
            std::vector<std::string>{"admin"});
  backup_result m;
  std::string error;
  ASSERT_TRUE(read_backup_manifest(bo.to, m, error)) << error;
  EXPECT_EQ(m.sequence, res.sequence);

  // restore: into an empty directory, never over a store
  backup_result rm;
  EXPECT_FALSE(restore_backup(bo.to, opts_.data_dir, rm, error));
  EXPECT_NE(error.find("new or empty"), std::string::npos) << error;
  ASSERT_TRUE(restore_backup(bo.to, (root_ / "restored").string(), rm, error))
    << error;
  store_options ro;
  ro.data_dir = (root_ / "restored").string();
  store_writer again(ro);
  EXPECT_EQ(again.last_sequence(), res.sequence);
}

TEST_F(backup_test, targets) {
  auto data = opts_.data_dir;
  EXPECT_NE(check_backup_target("", data), "");
  EXPECT_NE(check_backup_target("relative/dir", data), "");
  EXPECT_NE(check_backup_target(data, data), "");
  EXPECT_NE(check_backup_target(data + "/sub", data), "");
  EXPECT_EQ(check_backup_target((root_ / "new").string(), data), "");
  fs::create_directories(root_ / "empty");
  EXPECT_EQ(check_backup_target((root_ / "empty").string(), data), "");
  std::ofstream(root_ / "empty" / "x") << "x";
  EXPECT_NE(check_backup_target((root_ / "empty").string(), data), "");
  std::ofstream(root_ / "file") << "x";
  EXPECT_NE(check_backup_target((root_ / "file").string(), data), "");
  // a directory without a manifest is no backup
  backup_result m;
  std::string error;
  EXPECT_FALSE(restore_backup((root_ / "empty").string(),
                              (root_ / "r").string(), m, error));
  EXPECT_NE(error.find("backup.json"), std::string::npos);
}

} // namespace
