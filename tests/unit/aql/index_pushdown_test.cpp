/// Persistent index definitions (engine/index_def.hpp) against hostile
/// input, and the AQL push-down's conditions against a real SQLite index:
/// the pushed-down SQL names the indexed expression exactly (EXPLAIN
/// QUERY PLAN uses the index) and never drops a document the AQL FILTER
/// keeps, for every JSON type on either side.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "engine/aql/parser.hpp"
#include "engine/aql/pushdown.hpp"
#include "engine/aql/value.hpp"
#include "engine/index_def.hpp"
#include "engine/index_store.hpp"

using namespace themis;
using nlohmann::json;

namespace {

std::string parse_error(const json& body) {
  engine::doc_index_def d;
  return engine::parse_doc_index(body, d);
}

TEST(index_def, accepts_persistent_and_ttl) {
  engine::doc_index_def d;
  ASSERT_EQ(
    engine::parse_doc_index(
      {{"type", "persistent"}, {"fields", {"a.b", "c"}}, {"unique", true}}, d),
    "");
  EXPECT_EQ(d.name, "idx_a_b_c");
  EXPECT_TRUE(d.unique);
  EXPECT_FALSE(d.sparse);
  d.collection = "t1.c";
  EXPECT_EQ(engine::doc_index_create_sql(d),
            "CREATE UNIQUE INDEX \"docidx:t1.c:idx_a_b_c\" ON "
            "documents(json_extract(doc,'$.a.b'), json_extract(doc,'$.c')) "
            "WHERE collection = 't1.c'");
  engine::doc_index_def t;
  ASSERT_EQ(engine::parse_doc_index({{"type", "ttl"},
                                     {"fields", {"expiresAt"}},
                                     {"expireAfter", 60},
                                     {"name", "exp"}},
                                    t),
            "");
  EXPECT_TRUE(t.sparse); // no timestamp: never expires, no entry
  t.collection = "c";
  EXPECT_NE(engine::doc_index_create_sql(t).find(
              "json_extract(doc,'$.expiresAt') IS NOT NULL"),
            std::string::npos);
  // the stored JSON round-trips
  engine::doc_index_def back;
  ASSERT_TRUE(engine::doc_index_from_json(engine::doc_index_json(t), back));
  EXPECT_TRUE(engine::same_index(t, back));
}

TEST(index_def, refuses_hostile_definitions) {
  EXPECT_NE(parse_error(json::array()), "");
  EXPECT_NE(parse_error({{"type", "fulltext"}, {"fields", {"a"}}}), "");
  EXPECT_NE(parse_error({{"type", "persistent"}}), "");
  EXPECT_NE(parse_error({{"type", "persistent"}, {"fields", json::array()}}),
            "");
  EXPECT_NE(parse_error({{"type", "persistent"}, {"fields", {1}}}), "");
  json many = json::array();
  for (int i = 0; i < 9; ++i)
    many.push_back("f" + std::to_string(i));
  EXPECT_NE(parse_error({{"type", "persistent"}, {"fields", many}}), "");
  for (const std::string& bad : std::vector<std::string>{
         "", ".", "a.", ".a", "a..b", "a'b", "a\"b", std::string("a\x01"),
         "a\\b", std::string(300, 'x'), "_key"})
    EXPECT_NE(parse_error({{"type", "persistent"}, {"fields", {bad}}}), "")
      << bad;
  std::string deep = "a";
  for (int i = 0; i < 16; ++i)
    deep += ".a";
  EXPECT_NE(parse_error({{"type", "persistent"}, {"fields", {deep}}}), "");
  EXPECT_NE(parse_error({{"type", "persistent"}, {"fields", {"a", "a"}}}), "");
  EXPECT_NE(
    parse_error({{"type", "persistent"}, {"fields", {"a"}}, {"name", "x y"}}),
    "");
  EXPECT_NE(parse_error(
              {{"type", "persistent"}, {"fields", {"a"}}, {"name", "primary"}}),
            "");
  EXPECT_NE(parse_error({{"type", "persistent"},
                         {"fields", {"a"}},
                         {"name", std::string(65, 'n')}}),
            "");
  EXPECT_NE(
    parse_error({{"type", "persistent"}, {"fields", {"a"}}, {"unique", "yes"}}),
    "");
  EXPECT_NE(parse_error({{"type", "ttl"}, {"fields", {"a"}}}), "");
  EXPECT_NE(
    parse_error({{"type", "ttl"}, {"fields", {"a"}}, {"expireAfter", -1}}), "");
  EXPECT_NE(
    parse_error({{"type", "ttl"}, {"fields", {"a", "b"}}, {"expireAfter", 1}}),
    "");
  EXPECT_NE(parse_error({{"type", "ttl"},
                         {"fields", {"a"}},
                         {"expireAfter", 1},
                         {"unique", true}}),
            "");
}

/// A documents table as the store's, one index, the seed documents.
class indexed_store : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    exec("CREATE TABLE documents(collection TEXT NOT NULL, key TEXT NOT NULL, "
         "rev TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY(collection, key)) "
         "WITHOUT ROWID");
    // every JSON type, and a missing attribute
    json values = {nullptr,
                   true,
                   false,
                   0,
                   1,
                   5,
                   10,
                   2.5,
                   "",
                   "abc",
                   "m",
                   "zz",
                   json::array({1}),
                   json{{"x", 1}}};
    int k = 0;
    for (auto& v : values)
      put("c", std::to_string(k++), {{"a", v}});
    put("c", "missing", json::object());
    put("other", "o1", {{"a", 5}}); // another collection: not in the index
  }
  void TearDown() override { sqlite3_close(db_); }

  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
      << (err ? err : "") << " in " << sql;
  }
  void put(const std::string& c, const std::string& k, const json& doc) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, "INSERT INTO documents VALUES(?1, ?2, '1', ?3)", -1,
                       &s, nullptr);
    auto d = doc.dump();
    sqlite3_bind_text(s, 1, c.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, k.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, d.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(s);
    sqlite3_finalize(s);
  }
  void index(const json& body) {
    engine::doc_index_def d;
    ASSERT_EQ(engine::parse_doc_index(body, d), "");
    d.collection = "c";
    exec(engine::doc_index_create_sql(d));
    engine::ensure_planner_stats(db_); // as the store writer does
  }

  /// The scan's SQL for the FILTER of `aql` (bind vars resolved), as the
  /// executor builds it.
  std::string scan_sql(const std::string& aql, std::vector<json>& params,
                       const json& bind = json::object()) {
    q_ = aql::parse(aql);
    auto& cs = q_.root->clauses;
    auto plan = aql::plan_pushdown(*q_.root, 1, cs[0].slot);
    held_.assign(plan.conditions.size(), json());
    std::vector<const json*> values;
    for (size_t i = 0; i < plan.conditions.size(); ++i) {
      auto& e = *plan.conditions[i].value;
      held_[i] = e.kind == aql::expr_kind::bind ? bind.at(e.name) : e.value;
      values.push_back(&held_[i]);
    }
    return "SELECT key, doc FROM documents WHERE collection = ?" +
           aql::conditions_sql(plan.conditions, values, params) +
           " ORDER BY key";
  }

  void bind_all(sqlite3_stmt* s, const std::vector<json>& params) {
    sqlite3_bind_text(s, 1, "c", -1, SQLITE_STATIC);
    int i = 2;
    for (auto& p : params) {
      if (p.is_number_integer())
        sqlite3_bind_int64(s, i, p.get<int64_t>());
      else if (p.is_number())
        sqlite3_bind_double(s, i, p.get<double>());
      else if (p.is_string())
        sqlite3_bind_text(s, i, p.get<std::string>().c_str(), -1,
                          SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(s, i);
      ++i;
    }
  }

  std::string plan_of(const std::string& sql, const std::vector<json>& params) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1,
                                 &s, nullptr),
              SQLITE_OK)
      << sqlite3_errmsg(db_);
    bind_all(s, params);
    std::string out;
    while (sqlite3_step(s) == SQLITE_ROW)
      out +=
        std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 3))) +
        "\n";
    sqlite3_finalize(s);
    return out;
  }

  std::vector<std::string> keys_of(const std::string& sql,
                                   const std::vector<json>& params) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
    bind_all(s, params);
    std::vector<std::string> out;
    while (sqlite3_step(s) == SQLITE_ROW)
      out.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    sqlite3_finalize(s);
    return out;
  }

  sqlite3* db_ = nullptr;
  aql::parsed_query q_;
  std::vector<json> held_;
};

TEST_F(indexed_store, point_in_and_ranges_use_the_index) {
  index({{"type", "persistent"}, {"fields", {"a"}}, {"name", "by_a"}});
  for (std::string f :
       {"d.a == 5", "d.a == 'abc'", "d.a IN @list", "d.a > 3",
        "d.a >= 1 AND d.a < 6", "d.a > 'a' AND d.a <= 'n'", "5 < d.a"}) {
    std::vector<json> params;
    auto sql = scan_sql("FOR d IN c FILTER " + f + " RETURN d", params,
                        {{"list", {1, 5}}});
    EXPECT_NE(plan_of(sql, params).find("docidx:c:by_a"), std::string::npos)
      << f << ": " << sql << "\n"
      << plan_of(sql, params);
  }
  // a bare upper bound keeps null, booleans and missing attributes (AQL's
  // order): no index range can say that
  std::vector<json> params;
  auto sql = scan_sql("FOR d IN c FILTER d.a < 3 RETURN d", params);
  EXPECT_EQ(plan_of(sql, params).find("docidx:"), std::string::npos);
}

TEST_F(indexed_store, nested_and_quoted_paths_match_the_index) {
  put("c", "n1", {{"p", {{"q", 7}}}, {"x-y", 3}});
  index({{"type", "persistent"}, {"fields", {"p.q"}}, {"name", "pq"}});
  index({{"type", "persistent"}, {"fields", {"x-y"}}, {"name", "xy"}});
  std::vector<json> p1, p2;
  auto s1 = scan_sql("FOR d IN c FILTER d.p.q == 7 RETURN d", p1);
  auto s2 =
    scan_sql("FOR d IN c FILTER d.`x-y` == @v RETURN d", p2, {{"v", 3}});
  EXPECT_NE(plan_of(s1, p1).find("docidx:c:pq"), std::string::npos) << s1;
  EXPECT_NE(plan_of(s2, p2).find("docidx:c:xy"), std::string::npos) << s2;
  EXPECT_EQ(keys_of(s1, p1), std::vector<std::string>{"n1"});
  EXPECT_EQ(keys_of(s2, p2), std::vector<std::string>{"n1"});
}

TEST_F(indexed_store, sparse_index_serves_equality) {
  index({{"type", "persistent"},
         {"fields", {"a"}},
         {"sparse", true},
         {"name", "sp"}});
  std::vector<json> params;
  auto sql = scan_sql("FOR d IN c FILTER d.a == 10 RETURN d", params);
  EXPECT_NE(plan_of(sql, params).find("docidx:c:sp"), std::string::npos)
    << plan_of(sql, params);
  EXPECT_EQ(keys_of(sql, params), std::vector<std::string>{"6"});
}

/// The SQL never drops a document the FILTER keeps (it may keep more: the
/// FILTER runs on every row), with and without the index, for values of
/// every type against attributes of every type.
TEST_F(indexed_store, pushed_ranges_are_supersets_of_aql) {
  std::vector<std::pair<std::string, json>> all;
  {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_,
                       "SELECT key, doc FROM documents WHERE collection = 'c'",
                       -1, &s, nullptr);
    while (sqlite3_step(s) == SQLITE_ROW)
      all.emplace_back(
        reinterpret_cast<const char*>(sqlite3_column_text(s, 0)),
        json::parse(reinterpret_cast<const char*>(sqlite3_column_text(s, 1))));
    sqlite3_finalize(s);
  }
  json probes = {nullptr, false, true, 0, 1, 3, 10, 11, "", "b", "zzz"};
  const char* ops[] = {"<", "<=", ">", ">=", "=="};
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1)
      index({{"type", "persistent"}, {"fields", {"a"}}, {"name", "by_a"}});
    for (auto& lo : probes)
      for (auto& hi : probes)
        for (auto* op1 : ops)
          for (auto* op2 : ops) {
            std::vector<json> params;
            auto sql = scan_sql(std::string("FOR d IN c FILTER d.a ") + op1 +
                                  " @lo AND d.a " + op2 + " @hi RETURN d",
                                params, {{"lo", lo}, {"hi", hi}});
            auto got = keys_of(sql, params);
            auto holds = [](const json& x, const std::string& op,
                            const json& v) {
              int c = aql::compare(x, v);
              return op == "<"    ? c < 0
                     : op == "<=" ? c <= 0
                     : op == ">"  ? c > 0
                     : op == ">=" ? c >= 0
                                  : c == 0;
            };
            for (auto& [key, doc] : all) {
              json a = doc.contains("a") ? doc["a"] : json();
              if (holds(a, op1, lo) && holds(a, op2, hi)) {
                EXPECT_NE(std::find(got.begin(), got.end(), key), got.end())
                  << "d.a " << op1 << " " << lo.dump() << " AND d.a " << op2
                  << " " << hi.dump() << " dropped " << doc.dump() << "\n"
                  << sql;
              }
            }
          }
  }
}

} // namespace
