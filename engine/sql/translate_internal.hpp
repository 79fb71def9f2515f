#pragma once
/// The translator's working parts, shared by translate_*.cpp.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/sql/pg_types.hpp"
#include "engine/sql/translator.hpp"

namespace themis::sql::detail {

using json = nlohmann::json;

struct expr {
  std::string sql;
  uint32_t type = 0; ///< 0: unknown (an untyped literal or a parameter)
};

/// One FROM item visible to column references.
struct scope_item {
  std::string alias;
  std::vector<column> cols;
  const table_def* table = nullptr;
  /// Non-empty: columns are read from this documents row ("doc",
  /// "excluded.doc") instead of the item's subquery columns.
  std::string doc_row;
  /// Non-empty: the SQL names of `cols` (a table-valued function's own
  /// columns under the names the query gives them); an entry with a `.`
  /// is a whole column reference (`"alias_2"."v"`).
  std::vector<std::string> col_sql;
  /// A catalog view's PostgreSQL relation oid (pg_class 1259 …), for its
  /// system column tableoid (tables use table->oid); 0: none.
  uint32_t rel_oid = 0;
};

struct scope {
  std::vector<scope_item> items;
  scope* parent = nullptr;
  bool aggregates_allowed = true;
};

struct select_out {
  std::string sql;
  std::vector<column> cols;
};

const std::string& node_type(const json& n);
const json& body(const json& n);
std::string sval(const json& n); ///< a String node's text
std::vector<std::string> string_list(const json& list);
int location(const json& n);
/// The elements of a List node (or the array itself).
const json& list_items(const json& n);
/// Identifier `from` replaced by `to` in SQL text (CHECK conditions),
/// outside string literals.
std::string replace_ident(const std::string& text, const std::string& from,
                          const std::string& to);
/// A system column (tableoid, xmin, xmax, cmin, cmax, ctid) of a table
/// or catalog view in scope (pg_dump reads `x.tableoid` of every
/// catalog; translate_system_columns.cpp); nullopt if `col` is none or
/// no FROM item has it.
std::optional<expr> system_column(const std::string& qual,
                                  const std::string& col, const scope& sc,
                                  int location);
/// A DML target: the columns of `t` read from documents row `row`.
scope_item target_item(const table_def& t, const std::string& alias,
                       const std::string& row);

class translator {
public:
  translator(const catalog& c, const session_info& i,
             std::vector<uint32_t> declared) :
    cat(c),
    info(i), params(std::move(declared)) {}

  const catalog& cat;
  const session_info& info;
  std::vector<uint32_t> params;
  /// CTEs visible to the statement being translated.
  std::vector<std::pair<std::string, std::vector<column>>> ctes;
  bool locking = false; ///< SELECT … FOR UPDATE/SHARE seen
  /// set_config() calls seen (applied by the session afterwards)
  std::vector<set_config_call> set_configs;
  const std::string* source = nullptr; ///< the query text (for locations)

  [[noreturn]] void unsupported(const std::string& what, const json& node);

  // sequences (issue 36; translate_sequence.cpp, translate_sequence_ddl.cpp)
  bool sequence_writes = false; ///< nextval/setval: runs on the writer
  struct seq_changes {
    bool restart = false;
    std::optional<int64_t> restart_value;
    bool owned_given = false;
    std::vector<std::string> owned, name;
  };
  std::optional<sequence_def> find_sequence_def(const std::string& schema,
                                                const std::string& name);
  sequence_def sequence_named(const json& arg, const json& call);
  std::optional<expr> tr_sequence_func(const std::string& name, const json& n,
                                       scope& sc);
  /// nextval('s'::regclass) as pg_get_expr prints a default; nullopt if
  /// `raw` is no nextval call.
  std::optional<std::string> sequence_default_text(const json& raw);
  /// A sequence in FROM: its one row (last_value, log_cnt, is_called).
  std::optional<std::string> sequence_from_item(const json& rv,
                                                const std::string& alias,
                                                scope& sc);
  void sequence_options(sequence_def& d, const json& options, bool create,
                        seq_changes& out);
  std::optional<statement> tr_sequence_stmt(const std::string& type,
                                            const json& n);
  /// GENERATED … AS IDENTITY [(options)] on column `col` of table `t`
  /// (stored name): the SQLite statement saving its sequence, keyed as
  /// the column's serial counter ("<table>.<column>").
  std::string identity_sequence_sql(const std::string& t, const column_def& col,
                                    const json& constraint);

  // expressions (translate_expr.cpp)
  expr tr(const json& node, scope& sc);
  void hint_param(const json& node, uint32_t type);
  expr tr_column_ref(const json& n, scope& sc);
  /// " AND …" terms that let SQLite read a collection's REST persistent
  /// index for the top-level `doc ->> 'k' = 'text'` conjuncts of a WHERE
  /// (issue 22; translate_index_hint.cpp). Equivalent there: NULL and
  /// false both drop the row.
  std::string index_hints(const json& where, scope& sc);
  expr tr_aexpr(const json& n, scope& sc);
  expr tr_func(const json& n, scope& sc);
  expr tr_cast(const json& n, scope& sc);
  expr tr_sublink(const json& n, scope& sc);
  expr tr_const(const json& n);
  int64_t int_at(const json& a_const);
  uint32_t type_of_typename(const json& tn);
  /// The typmod of numeric(p[,s]) in a TypeName (-1: none); 22023.
  int32_t numeric_typmod(const json& tn);
  /// Exact numeric functions and aggregates (translate_numeric.cpp):
  /// round/trunc/ceil/floor/abs/sign over numeric or integers, sum/avg
  /// (themis_num_sum/avg), min/max with COLLATE themis_num.
  std::optional<expr> tr_numeric_func(const std::string& name, const json& n,
                                      const std::vector<expr>& args,
                                      scope& sc);
  std::string output_name(const json& node);
  /// A column default as pg_get_expr prints it (translate_default.cpp).
  std::string default_text(const json& raw, uint32_t column_type);
  std::string cast_to(const expr& e, uint32_t type);

  // arrays (translate_array.cpp)
  /// ARRAY[...]; `want` is the array type a cast around it names (0: the
  /// elements decide).
  expr tr_array_ctor(const json& n, scope& sc, uint32_t want = 0);
  /// a[i], a[i][j], a[lo:hi]
  expr tr_subscript(const json& n, scope& sc);
  /// x op ANY/ALL (array)
  expr tr_any_all(const json& n, scope& sc);
  /// Binary operators with an array operand (||, @>, <@, &&, =, <>):
  /// null if neither side is an array.
  std::optional<expr> tr_array_op(const std::string& op, const json& n,
                                  expr& l, expr& r);
  /// The array functions (array_length, array_agg …); null if `name` is
  /// none of them.
  std::optional<expr> tr_array_func(const std::string& name, const json& n,
                                    scope& sc);
  /// A cast to or from an array type; null if neither side is one.
  std::optional<expr> tr_array_cast(const expr& a, uint32_t type);
  /// unnest(array) as a subquery of one column `col` of the element type.
  std::string unnest_sql(const json& call, const std::string& col,
                         uint32_t& type, scope& sc);

  // queries (translate_select.cpp)
  select_out tr_select(const json& sel, scope* parent);
  /// One CTE of WITH RECURSIVE (translate_recursive.cpp): `anchor UNION
  /// [ALL] recursive` as SQLite wants it, the CTE visible to its second arm.
  select_out tr_recursive_cte(const json& cte, scope* parent);
  std::string tr_from_item(const json& node, scope& sc);
  std::string scalar_in_from(const json& node, const json& call,
                             const std::string& fname, scope& sc);
  /// generate_series() / unnest() as a subquery of one column `col`
  /// (without alias); `type` gets the column's type. Null if `fname` is
  /// neither.
  std::optional<std::string> srf_sql(const json& call, const std::string& fname,
                                     const std::string& col, uint32_t& type,
                                     scope& sc);
  /// jsonb_each, jsonb_array_elements, regexp_matches … in FROM (with
  /// their columns pushed on `sc`), as a table-valued function that may
  /// name earlier FROM items; null if `fname` is none of them
  /// (translate_srf.cpp).
  std::optional<std::string> json_srf_from(const json& node, const json& call,
                                           const std::string& fname,
                                           scope& sc);
  /// LATERAL (subquery) in FROM as a themis_lateral() call, its columns
  /// pushed on `sc` (translate_lateral.cpp, issue 36).
  std::string lateral_from(const json& node, scope& sc);
  /// unnest(a [, b …]) in FROM, table-valued (translate_srf.cpp).
  std::string unnest_from(const json& node, const json& call, scope& sc);
  /// The same in a select list: SQL whose single column is `c1`.
  std::optional<std::string> json_srf_select(const json& call,
                                             const std::string& fname,
                                             uint32_t& type, scope& sc);
  const table_def& table_of(const json& range_var);
  std::string table_source(const table_def& t);

  // views (translate_view.cpp, translate_view_dml.cpp; issue 36)
  /// While CREATE VIEW's query is translated: the stored names of the
  /// tables and views it reads directly.
  std::vector<std::string>* view_deps = nullptr;
  /// Views being expanded, outermost first (one reaching itself: 42P17).
  std::vector<std::string> view_stack;
  /// The statement's own text (CREATE VIEW keeps its query's).
  const std::string* stmt_text = nullptr;
  /// An INSERT/UPDATE/DELETE on a view rewritten for its base table.
  json view_dml_tree;
  statement tr_create_view(const json& n);
  /// DROP VIEW of st.names (`schemas`: "", public or pg_temp each).
  statement tr_drop_view(statement st, const std::vector<std::string>& schemas,
                         bool cascade);
  /// The view a RangeVar names (null: none; a temp table shadows one).
  const view_def* view_of(const json& range_var) const;
  /// A view in FROM as a subquery; nullopt if `rv` names no view.
  std::optional<std::string> view_from_item(const json& rv,
                                            const std::string& alias,
                                            scope& sc);
  /// The view's query translated, its columns named and typed as the view's.
  select_out expand_view(const view_def& v);
  /// Views reading `dropped` (stored names of tables or views; `what`
  /// "table"/"view" names the first in the error): 2BP01, or with CASCADE
  /// they join st.drop_views.
  void drop_view_dependents(statement& st,
                            const std::vector<std::string>& dropped,
                            bool cascade, const std::string& what);
  /// DROP TABLE of `name` that is a view: 42809.
  void refuse_drop_table_of_view(const std::string& name) const;
  /// ALTER TABLE … DROP COLUMN `column` of `t`: views that no longer
  /// translate without it or would lose a column: 2BP01 or CASCADE.
  void drop_column_view_dependents(statement& st, const table_def& t,
                                   const std::string& column, bool cascade);
  /// ALTER VIEW … RENAME TO (or ALTER TABLE … RENAME TO of a view);
  /// nullopt if `n` renames no view.
  std::optional<statement> tr_rename_view(const json& n);
  /// ALTER TABLE … RENAME [COLUMN] `n` translated as `st`: the views
  /// reading the table follow the new name (their text rewritten).
  void renames_into_views(statement& st, const json& n);
  /// ALTER COLUMN … TYPE of a column a view reads: 0A000 as PostgreSQL.
  void refuse_type_change_under_views(const table_def& t,
                                      const std::string& column);
  /// INSERT/UPDATE/DELETE `n` on a view: the same statement on the view's
  /// base table (55000 if the view is not automatically updatable); `n`
  /// itself if its target is no view.
  const json& view_dml(const json& n);

  // DML and DDL (translate_dml.cpp, translate_ddl.cpp)
  statement tr_insert(const json& n);
  statement tr_update(const json& n);
  /// With `new_key`, a SET of a single-column primary key is allowed and
  /// the row's new key expression is stored there.
  std::string new_doc(const table_def& t, const json& set_list, scope& sc,
                      std::string* new_key = nullptr);
  statement tr_delete(const json& n);
  statement tr_create(const json& n);
  /// CREATE [TEMP] TABLE … AS SELECT (translate_ctas.cpp, issue 36).
  statement tr_create_as(const json& n);

  // constraints and ALTER TABLE (translate_constraints.cpp,
  // translate_alter.cpp)
  /// FOREIGN KEY `con` (a Constraint node) on `t` (`column`: the column
  /// of a column constraint); `self` is `t` being created (a table may
  /// reference itself).
  foreign_key_def make_fk(const table_def& t, const json& con,
                          const std::string& column);
  /// CHECK `con` on `t`.
  check_def make_check(const table_def& t, const json& con,
                       const std::string& column);
  /// `base`, or base1, base2 … if `t` already has a constraint or index
  /// of that name.
  std::string free_constraint_name(const table_def& t, const std::string& base);
  /// Display name of a stored table name (without the namespace).
  std::string local_name(const std::string& stored) const;
  statement tr_alter(const json& n);
  /// CREATE TYPE … AS ENUM, ALTER TYPE … ADD / RENAME VALUE, DROP TYPE
  /// (translate_types.cpp).
  statement tr_enum(const std::string& type, const json& n);
  statement tr_drop_type(const json& n);
  statement tr_rename(const json& n);
  /// DROP TABLE of st.names: foreign keys of other tables that reference
  /// them are an error (2BP01), or with CASCADE dropped (other_defs).
  void drop_dependents(statement& st, bool cascade);
  /// TRUNCATE of st.names: a table referenced by one not truncated too is
  /// 0A000, or with CASCADE that table is truncated as well.
  void truncate_dependents(statement& st, bool cascade);
  /// Marks a DML statement on `table` for the writer's constraint checks.
  void attach_constraints(statement& st) const;
  statement tr_utility(const std::string& type, const json& n);
  /// What pg_dump's scripts send besides tables and data
  /// (translate_dump.cpp, issue 36): LOCK TABLE, COMMENT ON, ALTER TABLE
  /// / TYPE / SCHEMA … OWNER TO; nullopt for any other statement.
  std::optional<statement> tr_dump_utility(const std::string& type,
                                           const json& n);
  /// acldefault, obj_description, col_description (comments); nullopt
  /// for other names (translate_dump.cpp).
  std::optional<expr> tr_dump_func(const std::string& name, const json& n,
                                   const std::vector<expr>& args);
  /// pg_options_to_table(options) in FROM: no rows (no object has
  /// options here); nullopt for other functions (translate_dump.cpp).
  std::optional<std::string> dump_from_function(const json& node,
                                                const std::string& fname,
                                                scope& sc);
  /// `public.name` when search_path leaves public out (pg_dump sets it
  /// to ''), else `name`: how PostgreSQL's deparsers name a relation.
  std::string path_qualified(const std::string& local) const;
  std::vector<column> returning(const json& list, scope& sc, std::string& sql);
  /// SQLite expression storing value `v` (already coerced) in a document.
  std::string json_value(const column_def& c, const std::string& v);
  std::string coerced(const table_def& t, const column_def& c,
                      const std::string& v);

  // user functions (issue 36; translate_function.cpp, translate_udf_call.cpp)
  /// CREATE / DROP / ALTER FUNCTION or PROCEDURE and CALL; nullopt for any
  /// other statement.
  std::optional<statement> tr_function_ddl(const std::string& type,
                                           const json& n);
  /// A call of a user function (the built-ins did not know `name`): the
  /// body inlined, or a themis_udf() call; 42883 / 42725 as PostgreSQL.
  expr tr_user_func(const std::string& name, const json& n, scope& sc);
  /// A set-returning SQL function in FROM, inlined as a subquery (its
  /// columns pushed on `sc`); nullopt if `fname` names no user function.
  std::optional<std::string> user_func_from(const json& node, const json& call,
                                            const std::string& fname,
                                            scope& sc);

  // vector and full-text search (issue 32; translate_vector.cpp)
  /// themis_vector_search / themis_fulltext in FROM (their columns pushed
  /// on `sc`); nullopt for other functions.
  std::optional<std::string> vector_srf_from(const json& node, const json& call,
                                             const std::string& fname,
                                             scope& sc);
  /// vector_distance, cosine_distance, l2_distance, inner_product; nullopt
  /// for other names.
  std::optional<expr> tr_vector_func(const std::string& name, const json& n,
                                     scope& sc);
  /// pgvector's <->, <=>, <#> (brute force); nullopt for other operators.
  std::optional<expr> tr_vector_op(const std::string& op, const expr& l,
                                   const expr& r);
  /// EXPLAIN of a SELECT: SQLite's plan lines (themis_explain).
  statement tr_explain(const json& n);
};

} // namespace themis::sql::detail
