#include "engine/index_explain.hpp"

#include <sqlite3.h>

#include "engine/index_def.hpp"

namespace themis::engine {

scan_explain explain_scan(const std::string& db_path,
                          const std::string& collection, const std::string& sql,
                          const std::vector<nlohmann::json>& params) {
  scan_explain out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  sqlite3_busy_timeout(db, 2000);
  sqlite3_stmt* s = nullptr;
  auto text = "EXPLAIN QUERY PLAN " + sql;
  if (sqlite3_prepare_v2(db, text.c_str(), -1, &s, nullptr) == SQLITE_OK) {
    // bound like the executor's scan: the planner matches the partial
    // index's WHERE collection = '…' against the bound value
    sqlite3_bind_text(s, 1, collection.data(),
                      static_cast<int>(collection.size()), SQLITE_TRANSIENT);
    int i = 2;
    for (auto& p : params) {
      if (p.is_number_integer())
        sqlite3_bind_int64(s, i, p.get<int64_t>());
      else if (p.is_number())
        sqlite3_bind_double(s, i, p.get<double>());
      else if (p.is_boolean())
        sqlite3_bind_int(s, i, p.get<bool>() ? 1 : 0);
      else if (p.is_string()) {
        auto& str = p.get_ref<const std::string&>();
        sqlite3_bind_text(s, i, str.data(), static_cast<int>(str.size()),
                          SQLITE_TRANSIENT);
      } else
        sqlite3_bind_null(s, i);
      ++i;
    }
    // an expression index, or a background index's side table
    // ("docbg:<collection>:<name>", its own index "…:<name>:v")
    auto prefix = "docidx:" + collection + ":";
    auto side = "docbg:" + collection + ":";
    while (sqlite3_step(s) == SQLITE_ROW) {
      auto d = reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
      std::string detail = d ? d : "";
      for (auto* p : {&prefix, &side}) {
        auto at = detail.find(*p);
        if (at == std::string::npos || !out.index.empty())
          continue;
        auto name = detail.substr(at + p->size());
        out.index = name.substr(0, name.find_first_of(" ):"));
      }
      out.details.push_back(std::move(detail));
    }
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

} // namespace themis::engine
