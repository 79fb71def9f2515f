// Edge collections (issue 32): the handle rules, the document check, the
// type names clients send, and the trigger that enforces it in SQLite —
// with hostile input (wrong types, separators, control bytes, lengths).

#include "engine/edge_validation.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/sqlite_db.hpp"

using nlohmann::json;
using namespace themis::engine;

TEST(EdgeValidation, Handles) {
  EXPECT_EQ(handle_problem("persons/alice"), "");
  EXPECT_EQ(handle_problem("a/b:c.d@e(f)+g,h=i;j$k!l*m'n%o-p_q"), "");
  EXPECT_EQ(handle_problem(std::string(64, 'c') + "/" + std::string(254, 'k')),
            "");
  std::vector<std::string> bads = {"",
                                   "/",
                                   "a/",
                                   "/k",
                                   "nohandle",
                                   "a/b/c",
                                   "-a/k",
                                   "a.b/k",
                                   "a b/k",
                                   "a/k y",
                                   "a/k\n",
                                   std::string("a/k\0x", 5),
                                   "ä/k",
                                   "a/ä",
                                   std::string(65, 'c') + "/k",
                                   "c/" + std::string(255, 'k')};
  for (auto& bad : bads)
    EXPECT_NE(handle_problem(bad), "") << bad;
}

TEST(EdgeValidation, Documents) {
  EXPECT_EQ(edge_document_problem(json{{"_from", "a/1"}, {"_to", "b/2"}}), "");
  for (auto doc :
       {json::object(), json{{"_from", "a/1"}}, json{{"_to", "a/1"}},
        json{{"_from", "a/1"}, {"_to", nullptr}},
        json{{"_from", 1}, {"_to", "a/1"}},
        json{{"_from", json::array({"a/1"})}, {"_to", "a/1"}},
        json{{"_from", "a/1"}, {"_to", "a"}}, json::array(), json("a/1")}) {
    auto p = edge_document_problem(doc);
    EXPECT_EQ(p.rfind("edge attribute missing or invalid", 0), 0u)
      << doc.dump();
  }
  EXPECT_NE(edge_document_problem(json{{"_to", "a/1"}}).find("_from"),
            std::string::npos);
}

TEST(EdgeValidation, TypeNames) {
  collection_type t = collection_type::document;
  EXPECT_TRUE(parse_collection_type(json("edge"), t));
  EXPECT_EQ(t, collection_type::edge);
  EXPECT_TRUE(parse_collection_type(json(2), t));
  EXPECT_EQ(t, collection_type::document);
  EXPECT_TRUE(parse_collection_type(json(3), t));
  EXPECT_EQ(t, collection_type::edge);
  for (auto bad : {json("Edge"), json(""), json(3.5), json(1), json(true),
                   json(nullptr), json::array({"edge"}), json(-3)})
    EXPECT_FALSE(parse_collection_type(bad, t)) << bad.dump();
  EXPECT_STREQ(to_string(collection_type::edge), "edge");
  EXPECT_STREQ(to_string(collection_type::document), "document");
}

TEST(EdgeValidation, Refusal) {
  EXPECT_EQ(edge_refusal("step: 23514\x1f"
                         "edge attribute missing or invalid: x"),
            "edge attribute missing or invalid: x");
  EXPECT_EQ(edge_refusal("UNIQUE constraint failed"), "");
  EXPECT_EQ(edge_refusal("23514\x1fsomething else"), "");
}

namespace {

/// An in-memory store with the tables the trigger reads.
struct mem_store {
  sqlite_db db{":memory:", false, 1000};
  mem_store() {
    db.exec("CREATE TABLE collections(name TEXT PRIMARY KEY, created_ms "
            "INTEGER NOT NULL) WITHOUT ROWID; CREATE TABLE documents("
            "collection TEXT NOT NULL, key TEXT NOT NULL, rev TEXT NOT NULL, "
            "doc TEXT NOT NULL, PRIMARY KEY(collection, key)) WITHOUT ROWID");
    install_edge_schema(db);
    install_edge_schema(db); // idempotent
    db.exec("INSERT INTO collections VALUES('e', 0), ('d', 0)");
    set_collection_type(db, "e", collection_type::edge);
  }
  /// The refusal, or "" when the row was stored.
  std::string put(const char* coll, const std::string& doc) {
    try {
      db.prepare("INSERT INTO documents VALUES(?1, ?2, '1', ?3) ON "
                 "CONFLICT(collection, key) DO UPDATE SET doc = excluded.doc")
        .bind(1, coll)
        .bind(2, "k")
        .bind(3, doc)
        .run();
      return {};
    } catch (const sqlite_error& e) {
      return edge_refusal(e.what());
    }
  }
};

} // namespace

TEST(EdgeValidation, TriggerAgreesWithTheCheck) {
  mem_store s;
  std::vector<json> docs = {
    json{{"_from", "a/1"}, {"_to", "b/2"}},
    json{{"_from", "a/1"}},
    json{{"_from", "a/1"}, {"_to", 5}},
    json{{"_from", "a/1"}, {"_to", "b/2/3"}},
    json{{"_from", "-a/1"}, {"_to", "b/2"}},
    json{{"_from", "a/1 "}, {"_to", "b/2"}},
    json{{"_from", "a/'%$"}, {"_to", "b/x*y"}},
    json{{"_from", "a.b/1"}, {"_to", "b/2"}},
    json{{"_from", "ä/1"}, {"_to", "b/2"}},
    json{{"_from", std::string(64, 'c') + "/1"}, {"_to", "b/2"}},
    json{{"_from", std::string(65, 'c') + "/1"}, {"_to", "b/2"}},
    json{{"_from", "a/" + std::string(254, 'k')}, {"_to", "b/2"}},
    json{{"_from", "a/" + std::string(255, 'k')}, {"_to", "b/2"}},
    json{{"_from", "a/[x]"}, {"_to", "b/2"}},
    json{{"_from", "/1"}, {"_to", "b/2"}},
    json{{"x", 1}},
  };
  for (auto& d : docs) {
    bool ok = edge_document_problem(d).empty();
    auto refusal = s.put("e", d.dump());
    EXPECT_EQ(refusal.empty(), ok) << d.dump() << " " << refusal;
    EXPECT_EQ(s.put("d", d.dump()), "") << d.dump(); // a document collection
  }
  // an update that breaks an edge is refused too
  EXPECT_EQ(s.put("e", json{{"_from", "a/1"}, {"_to", "b/2"}}.dump()), "");
  EXPECT_THROW(s.db.exec("UPDATE documents SET doc = '{}' WHERE collection = "
                         "'e'"),
               sqlite_error);
  // a dropped collection forgets its type
  s.db.exec("DELETE FROM documents WHERE collection = 'e'; DELETE FROM "
            "collections WHERE name = 'e'");
  auto n = s.db.prepare("SELECT COUNT(*) FROM collection_types");
  ASSERT_TRUE(n.step());
  EXPECT_EQ(n.int64(0), 0);
}
