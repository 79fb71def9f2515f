/// themis_udf(context, key, args…): a user function whose body is not
/// inlined (PL/pgSQL, an SQL function that calls itself) runs here, inside
/// the statement that calls it, on that statement's own connection (a
/// session's read connection, or the store writer's inside a transaction
/// that has written), so it reads what the statement reads. Its SQL is
/// translated against the catalog of the caller's namespace (`context`
/// names it). Such a function cannot write: a query's function would need
/// the store writer's change log from inside a read (0A000). Nesting is
/// bounded (54001, as PostgreSQL's max_stack_depth).

#include <sqlite3.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/plpgsql.hpp"
#include "engine/sql/sql_executor.hpp"
#include "engine/sql/sql_functions.hpp"
#include "engine/sql/sql_udf.hpp"
#include "engine/stack_guard.hpp"
#include "engine/store_schema.hpp"

namespace themis::sql {

namespace {

using json = nlohmann::json;

/// The catalog as this thread last loaded it from a connection, and its
/// namespaces' views of it.
struct catalog_cache {
  sqlite3* db = nullptr;
  uint64_t epoch = 0;
  std::unique_ptr<catalog> full;
  std::map<std::string, catalog> scoped;
};

catalog_cache& cache() {
  thread_local catalog_cache c;
  return c;
}

const catalog& catalog_for(sqlite3* db, const std::string& ns, bool all,
                           const std::string& temp, bool reload) {
  auto& c = cache();
  auto epoch = engine::schema_epoch().load();
  if (reload || c.db != db || c.epoch != epoch || !c.full) {
    c.full = std::make_unique<catalog>(catalog::load(db));
    c.db = db;
    c.epoch = epoch;
    c.scoped.clear();
  }
  auto key = ns + "\x1f" + (all ? "1" : "0") + "\x1f" + temp;
  auto it = c.scoped.find(key);
  if (it == c.scoped.end())
    it = c.scoped.emplace(key, c.full->scoped(ns, all, temp)).first;
  return it->second;
}

const function_def* find_key(const catalog& cat, const std::string& ns,
                             const std::string& key) {
  auto stored = key.substr(0, key.find('('));
  auto local =
    !ns.empty() && stored.rfind(ns, 0) == 0 ? stored.substr(ns.size()) : stored;
  if (auto* list = cat.find_functions(local))
    for (auto& f : *list)
      if (f.key() == key)
        return &f;
  return nullptr;
}

value from_sqlite(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return value::of(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return value::of_real(sqlite3_value_double(v));
    case SQLITE_NULL:
      return value::null_value();
    case SQLITE_BLOB: {
      value x;
      x.k = value::kind::blob;
      x.s.assign(static_cast<const char*>(sqlite3_value_blob(v)),
                 static_cast<size_t>(sqlite3_value_bytes(v)));
      return x;
    }
    default:
      return value::of_text(
        std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                    static_cast<size_t>(sqlite3_value_bytes(v))));
  }
}

/// A function's statements run read-only on the caller's connection.
class read_host : public plpgsql::host {
public:
  read_host(sqlite3* db, const catalog& cat, const session_info& info,
            std::string fname) :
    db_(db),
    cat_(cat), info_(info), fname_(std::move(fname)) {}

  plpgsql::result run(const std::string& text) override {
    plpgsql::result out;
    for (auto& ps : parse_sql(text)) {
      auto st = translate(ps, cat_, info_);
      if (st.writes || st.kind != stmt_kind::select)
        throw sql_error("0A000", "function " + fname_ + "() cannot run " +
                                   st.tag.substr(0, st.tag.find(' ')) +
                                   ": a function called from a query cannot "
                                   "write or run utility statements here "
                                   "(use a DO block or CALL a procedure)");
      query_cursor c(db_, st.sql, {});
      out.rows.clear();
      c.fetch(0, [&](row& r) {
        std::vector<std::optional<std::string>> t;
        for (size_t i = 0; i < r.size(); ++i)
          if (r[i].is_null())
            t.emplace_back();
          else
            t.emplace_back(to_text(r[i], i < st.columns.size()
                                           ? st.columns[i].type_oid
                                           : oid::text));
        out.rows.push_back(std::move(t));
      });
      out.returns_rows = true;
      out.columns.clear();
      out.types.clear();
      for (auto& col : st.columns) {
        out.columns.push_back(col.name);
        auto tn = type_name(col.type_oid);
        out.types.push_back(tn ? tn : "text");
      }
      out.affected = 0;
    }
    return out;
  }
  /// Notices of a function inside a query have no session to go to.
  void report(const plpgsql::message&) override {}
  // no writes, so nothing for a savepoint to undo
  void subtx_begin(int) override {}
  void subtx_release(int) override {}
  void subtx_rollback(int) override {}
  void check_interrupts() override {}

private:
  sqlite3* db_;
  const catalog& cat_;
  const session_info& info_;
  std::string fname_;
};

/// An SQL function's body with the arguments as typed literals: each
/// statement runs in turn, the last one's first row is the result.
std::optional<std::string>
run_sql_body(read_host& h, const function_def& f,
             const std::vector<std::string>& types,
             const std::vector<std::optional<std::string>>& args) {
  // parameters by name and $n, as the PL/pgSQL interpreter substitutes
  // variables: the same literal rules
  std::vector<std::string> names;
  std::string decl;
  for (auto& a : f.args)
    if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v')
      names.push_back(a.name);
  auto lit = [&](const std::string& w) -> std::optional<std::string> {
    for (size_t i = 0; i < names.size(); ++i)
      if (!names[i].empty() && names[i] == w)
        return plpgsql::literal(args[i], types[i]);
    return std::nullopt;
  };
  std::string text = f.body;
  // $n first (substitute() sees identifiers only)
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\'') {
      size_t j = i + 1;
      while (j < text.size() && text[j] != '\'')
        ++j;
      out.append(text, i, j - i + 1);
      i = j;
      continue;
    }
    if (c == '$' && i + 1 < text.size() &&
        std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      size_t j = i + 1;
      while (j < text.size() &&
             std::isdigit(static_cast<unsigned char>(text[j])))
        ++j;
      auto k = std::stoul(text.substr(i + 1, j - i - 1));
      if (k == 0 || k > args.size())
        throw sql_error("42P02", "there is no parameter $" + std::to_string(k));
      out += plpgsql::literal(args[k - 1], types[k - 1]);
      i = j - 1;
      continue;
    }
    out.push_back(c);
  }
  auto r = h.run(plpgsql::substitute(out, lit));
  if (r.rows.empty() || r.rows[0].empty())
    return std::nullopt;
  return r.rows[0][0];
}

int& depth() {
  thread_local int d = 0;
  return d;
}

void udf(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc < 2)
    return result_error(ctx, "42883", "themis_udf: missing arguments");
  if (depth() >= max_udf_depth || engine::stack_exhausted())
    return result_error(ctx, "54001", "stack depth limit exceeded");
  struct nest {
    nest() { ++depth(); }
    ~nest() { --depth(); }
  } n;
  try {
    auto c =
      json::parse(reinterpret_cast<const char*>(sqlite3_value_text(argv[0])),
                  nullptr, false);
    std::string key(reinterpret_cast<const char*>(sqlite3_value_text(argv[1])));
    session_info info;
    info.ns = c.value("ns", "");
    info.all_namespaces = c.value("all", true);
    info.temp_ns = c.value("temp", "");
    info.user = c.value("user", "themis");
    info.database = c.value("db", "themis");
    auto* db = sqlite3_context_db_handle(ctx);
    auto* cat =
      &catalog_for(db, info.ns, info.all_namespaces, info.temp_ns, false);
    auto* f = find_key(*cat, info.ns, key);
    if (!f) { // created by this very transaction: read again
      cat = &catalog_for(db, info.ns, info.all_namespaces, info.temp_ns, true);
      f = find_key(*cat, info.ns, key);
    }
    if (!f)
      return result_error(ctx, "42883",
                          "function " + key + " does not exist any more");
    auto types = f->in_types();
    std::vector<std::string> names, type_names;
    std::vector<std::optional<std::string>> args;
    size_t k = 0;
    for (auto& a : f->args)
      if (a.mode == 'i' || a.mode == 'b' || a.mode == 'v') {
        names.push_back(a.name.empty() ? "p" + std::to_string(k + 1) + "_"
                                       : a.name);
        type_names.push_back(udf_type_name(a.type, a.type_node));
        auto v = 2 + static_cast<int>(k) < argc ? from_sqlite(argv[2 + k])
                                                : value::null_value();
        if (v.is_null())
          args.emplace_back();
        else
          args.emplace_back(to_text(v, a.type));
        ++k;
      }
    auto local = key.substr(0, key.find('('));
    local = local.substr(
      local.rfind('.') == std::string::npos ? 0 : local.rfind('.') + 1);
    read_host h(db, *cat, info, local);
    std::optional<std::string> result;
    if (f->language == "plpgsql") {
      plpgsql::function_call call;
      call.source = plpgsql_source(*f);
      call.name = local;
      call.arg_names = names;
      call.arg_types = type_names;
      call.args = args;
      call.returns_void = f->ret_type == fn_type::void_t;
      result = plpgsql::call_function(call, h);
    } else {
      result = run_sql_body(h, *f, type_names, args);
    }
    if (!result)
      sqlite3_result_null(ctx);
    else
      sqlite3_result_text(ctx, result->data(), static_cast<int>(result->size()),
                          SQLITE_TRANSIENT);
  } catch (const sql_error& e) {
    result_error(ctx, e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    result_error(ctx, "XX000", e.what());
  }
}

} // namespace

void register_udf_functions(sqlite3* db) {
  sqlite3_create_function_v2(db, "themis_udf", -1, SQLITE_UTF8, nullptr, udf,
                             nullptr, nullptr, nullptr);
}

} // namespace themis::sql
