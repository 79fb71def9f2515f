/// ALTER TABLE and ALTER … RENAME as migrations emit them. A table's rows
/// are documents whose fields are its columns, so a change of column
/// (drop, rename, new type, a default filled in) rewrites every row
/// through the store writer: each rewritten row is a logged change, and
/// REST/AQL readers see the new shape at once.

#include <algorithm>

#include "engine/sql/sql_functions.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

/// UPDATE of every row of `t` to document `doc_expr` (over `doc`).
std::string rewrite_sql(const table_def& t, const std::string& doc_expr) {
  return "UPDATE documents SET rev = CAST(themis_seq() AS TEXT), doc = "
         "json_set(" +
         doc_expr +
         ", '$._rev', CAST(themis_seq_last() AS TEXT)) WHERE collection = " +
         quote_literal(t.name) + " RETURNING key, rev, doc";
}

std::string rows_of(const table_def& t, const std::string& cond) {
  return "SELECT key FROM documents WHERE collection = " +
         quote_literal(t.name) + " AND " + cond + " LIMIT 1";
}

bool uses_column(const std::vector<int>& cols, int pos) {
  return std::find(cols.begin(), cols.end(), pos) != cols.end();
}

/// Positions after `pos` move down by one (column `pos` dropped).
void shift(std::vector<int>& cols, int pos) {
  for (auto& c : cols)
    if (c > pos)
      --c;
}

} // namespace

statement translator::tr_alter(const json& n) {
  auto& b = body(n);
  if (b.value("objtype", "") == "OBJECT_INDEX")
    unsupported("ALTER INDEX", n);
  const table_def* found = nullptr;
  {
    auto& rv = b.at("relation");
    found = cat.find(rv.value("relname", ""));
    if (!found && b.value("missing_ok", false)) {
      statement st;
      st.kind = stmt_kind::noop;
      st.tag = "ALTER TABLE";
      st.notice =
        "relation \"" + rv.value("relname", "") + "\" does not exist, skipping";
      return st;
    }
  }
  auto& t = found ? *found : table_of(b.at("relation"));
  if (!t.typed)
    unsupported("ALTER TABLE on a document collection", n);
  auto display = local_name(t.name);
  statement st;
  st.kind = stmt_kind::alter_table;
  st.tag = "ALTER TABLE";
  st.writes = true;
  st.table = t.name;
  st.def = t;
  auto& d = st.def;
  auto column_pos = [&](const std::string& name) {
    int pos = d.find(name);
    if (pos < 0)
      throw sql_error("42703", "column \"" + name + "\" of relation \"" +
                                 display + "\" does not exist");
    return pos;
  };
  // children whose foreign keys reference this table (for DROP checks)
  auto children = [&]() {
    std::vector<const table_def*> out;
    for (auto& [name, other] : cat.tables())
      if (other.name != t.name)
        for (auto& f : other.foreign_keys)
          if (f.ref_table == t.name) {
            out.push_back(&other);
            break;
          }
    return out;
  };
  for (auto& c : b.at("cmds")) {
    auto& cmd = body(c);
    auto sub = cmd.value("subtype", "");
    bool cascade = cmd.value("behavior", "") == "DROP_CASCADE";
    if (sub == "AT_AddConstraint" && node_type(cmd.at("def")) == "Constraint") {
      auto& k = body(cmd.at("def"));
      auto ct = k.value("contype", "");
      if (ct == "CONSTR_FOREIGN") {
        auto fk = make_fk(d, cmd.at("def"), "");
        auto& ref =
          fk.ref_table == d.name ? d : *cat.find(local_name(fk.ref_table));
        std::string cond = "1", match;
        for (size_t i = 0; i < fk.columns.size(); ++i) {
          auto& cc = d.columns[static_cast<size_t>(fk.columns[i])];
          auto& pc = ref.columns[static_cast<size_t>(fk.ref_columns[i])];
          cond += " AND " + column_expr(d, cc) + " IS NOT NULL";
          // the outer row by its table name: a bare `doc` in the subquery
          // would be p's own (pg_dump adds foreign keys after the data)
          match += " AND " + column_expr(ref, pc, "p.doc") + " = " +
                   column_expr(d, cc, "documents.doc");
        }
        st.validations.push_back(
          {rows_of(d, cond +
                        " AND NOT EXISTS (SELECT 1 FROM documents p "
                        "WHERE p.collection = " +
                        quote_literal(ref.name) + match + ")"),
           "23503insert or update on table \"" + display +
             "\" violates foreign key constraint \"" + fk.name + "\"" +
             error_trailer("public", display, "", fk.name, "")});
        d.foreign_keys.push_back(std::move(fk));
        continue;
      }
      if (ct == "CONSTR_CHECK") {
        auto ck = make_check(d, cmd.at("def"), "");
        st.validations.push_back(
          {rows_of(d, "NOT " + ck.sql),
           "23514check constraint \"" + ck.name + "\" of relation \"" +
             display + "\" is violated by some row" +
             error_trailer("public", display, "", ck.name, "")});
        d.checks.push_back(std::move(ck));
        continue;
      }
      if (ct != "CONSTR_PRIMARY" && ct != "CONSTR_UNIQUE")
        unsupported("ALTER TABLE ADD " + ct.substr(7), c);
      index_def idx;
      idx.primary = ct == "CONSTR_PRIMARY";
      idx.unique = true;
      std::string suffix;
      for (auto& name : string_list(k.at("keys"))) {
        int pos = column_pos(name);
        idx.columns.push_back(pos);
        suffix += "_" + name;
        if (idx.primary)
          d.columns[static_cast<size_t>(pos)].not_null = true;
      }
      if (idx.primary && !d.primary_key().empty())
        throw sql_error("42P16", "multiple primary keys for table \"" +
                                   display + "\" are not allowed");
      idx.name = k.value(
        "conname", free_constraint_name(
                     d, display + (idx.primary ? "_pkey" : suffix + "_key")));
      d.indexes.push_back(idx);
      st.ddl.push_back(create_index_sql(d, idx));
      if (idx.primary) // existing rows must satisfy NOT NULL
        for (auto pos : idx.columns)
          st.validations.push_back(
            {rows_of(d, column_expr(d, d.columns[static_cast<size_t>(pos)]) +
                          " IS NULL"),
             "23502column \"" + d.columns[static_cast<size_t>(pos)].name +
               "\" of relation \"" + display + "\" contains null values" +
               error_trailer("public", display,
                             d.columns[static_cast<size_t>(pos)].name, "",
                             "")});
    } else if (sub == "AT_AddColumn") {
      auto& cd = body(cmd.at("def"));
      column_def col;
      col.name = cd.value("colname", "");
      if (d.find(col.name) >= 0) {
        if (cmd.value("missing_ok", false)) {
          st.notice = "column \"" + col.name + "\" of relation \"" + display +
                      "\" already exists, skipping";
          continue;
        }
        throw sql_error("42701", "column \"" + col.name + "\" of relation \"" +
                                   display + "\" already exists");
      }
      col.type_oid = type_of_typename(cd.at("typeName"));
      if (col.type_oid == oid::numeric) // numeric(p,s) (issue 36)
        col.typmod = numeric_typmod(cd.at("typeName"));
      auto tn = string_list(cd.at("typeName").value("names", json::array()));
      std::string base = tn.empty() ? "" : tn.back();
      col.serial = base == "serial" || base == "bigserial" ||
                   base == "smallserial" || base == "serial4" ||
                   base == "serial8" || base == "serial2";
      if (col.serial) {
        col.not_null = true;
        col.default_text =
          "nextval('" + display + "_" + col.name + "_seq'::regclass)";
      }
      std::vector<std::pair<json, std::string>> later;
      std::vector<bool> keys; // primary?
      scope none;
      for (auto& k : cd.value("constraints", json::array())) {
        auto ct = body(k).value("contype", "");
        if (ct == "CONSTR_NULL") {
        } else if (ct == "CONSTR_NOTNULL") {
          col.not_null = true;
        } else if (ct == "CONSTR_DEFAULT") {
          auto& raw = body(k).at("raw_expr");
          col.default_sql = tr(raw, none).sql;
          col.default_text = node_type(raw) == "A_Const"
                               ? output_name(raw)
                               : output_name(raw) + "()";
          if (node_type(raw) == "A_Const") {
            auto& rb = body(raw);
            col.default_text =
              rb.contains("sval")
                ? quote_literal(rb.at("sval").value("sval", ""))
              : rb.contains("ival")
                ? std::to_string(rb.at("ival").value("ival", 0))
              : rb.contains("fval") ? rb.at("fval").value("fval", "")
                                    : col.default_text;
          }
          if (node_type(raw) == "A_Const" || node_type(raw) == "TypeCast")
            col.default_text = default_text(raw, col.type_oid); // issue 36
          if (auto sq = sequence_default_text(raw)) // issue 36
            col.default_text = *sq;
          col.default_sql = nextval_without_session(col.default_sql);
        } else if (ct == "CONSTR_PRIMARY" || ct == "CONSTR_UNIQUE") {
          keys.push_back(ct == "CONSTR_PRIMARY");
        } else if (ct == "CONSTR_FOREIGN" || ct == "CONSTR_CHECK") {
          later.push_back({k, col.name});
        } else {
          unsupported("ADD COLUMN with " + ct.substr(7), k);
        }
      }
      d.columns.push_back(col);
      auto& added = d.columns.back();
      std::string value =
        added.serial
          ? "themis_nextval(" + quote_literal(d.name + "." + added.name) + ")"
          : added.default_sql;
      if (!value.empty())
        st.rewrites.push_back(
          rewrite_sql(d, "json_set(doc, " + json_path(added.name) + ", " +
                           json_value(added, coerced(d, added, value)) + ")"));
      else if (added.not_null)
        st.validations.push_back(
          {rows_of(d, "1"),
           "23502column \"" + added.name + "\" of relation \"" + display +
             "\" contains null values" +
             error_trailer("public", display, added.name, "", "")});
      int pos = static_cast<int>(d.columns.size()) - 1;
      for (bool primary : keys) {
        if (primary && !d.primary_key().empty())
          throw sql_error("42P16", "multiple primary keys for table \"" +
                                     display + "\" are not allowed");
        index_def idx;
        idx.primary = primary;
        idx.unique = true;
        idx.columns = {pos};
        idx.name = free_constraint_name(
          d, display + (primary ? "_pkey" : "_" + added.name + "_key"));
        if (primary)
          d.columns.back().not_null = true;
        d.indexes.push_back(idx);
        st.ddl.push_back(create_index_sql(d, idx));
      }
      for (auto& [node, column] : later) {
        if (body(node).value("contype", "") == "CONSTR_FOREIGN")
          d.foreign_keys.push_back(make_fk(d, node, column));
        else
          d.checks.push_back(make_check(d, node, column));
      }
    } else if (sub == "AT_DropColumn") {
      auto name = cmd.value("name", "");
      int pos = d.find(name);
      if (pos < 0) {
        if (cmd.value("missing_ok", false)) {
          st.notice = "column \"" + name + "\" of relation \"" + display +
                      "\" does not exist, skipping";
          continue;
        }
        column_pos(name);
      }
      drop_column_view_dependents(st, d, name, cascade); // issue 36 (views)
      for (auto* child : children()) {
        auto other = *child;
        bool changed = false;
        for (size_t i = 0; i < other.foreign_keys.size();) {
          auto& f = other.foreign_keys[i];
          if (f.ref_table == d.name && uses_column(f.ref_columns, pos)) {
            if (!cascade)
              throw sql_error(
                "2BP01", "cannot drop column " + name + " of table " + display +
                           " because other objects depend on it" +
                           error_trailer("", "", "", "",
                                         "constraint " + f.name + " on table " +
                                           local_name(other.name) +
                                           " depends on column " + name +
                                           " of table " + display));
            other.foreign_keys.erase(other.foreign_keys.begin() +
                                     static_cast<long>(i));
            changed = true;
            continue;
          }
          if (f.ref_table == d.name) {
            shift(f.ref_columns, pos);
            changed = true;
          }
          ++i;
        }
        if (changed)
          st.other_defs.push_back(std::move(other));
      }
      for (size_t i = 0; i < d.indexes.size();) {
        if (uses_column(d.indexes[i].columns, pos)) {
          st.ddl.push_back(
            "DROP INDEX IF EXISTS " +
            quote_ident(sqlite_index_name(d.name, d.indexes[i].name)));
          d.indexes.erase(d.indexes.begin() + static_cast<long>(i));
          continue;
        }
        shift(d.indexes[i].columns, pos);
        ++i;
      }
      for (size_t i = 0; i < d.foreign_keys.size();) {
        auto& f = d.foreign_keys[i];
        if (uses_column(f.columns, pos)) {
          d.foreign_keys.erase(d.foreign_keys.begin() + static_cast<long>(i));
          continue;
        }
        shift(f.columns, pos);
        if (f.ref_table == d.name)
          shift(f.ref_columns, pos);
        ++i;
      }
      for (size_t i = 0; i < d.checks.size();) {
        if (replace_ident(d.checks[i].text, name, "\x01") != d.checks[i].text) {
          d.checks.erase(d.checks.begin() + static_cast<long>(i));
          continue;
        }
        ++i;
      }
      d.columns.erase(d.columns.begin() + pos);
      st.rewrites.push_back(
        rewrite_sql(d, "json_remove(doc, " + json_path(name) + ")"));
    } else if (sub == "AT_ColumnDefault") {
      auto& col =
        d.columns[static_cast<size_t>(column_pos(cmd.value("name", "")))];
      if (cmd.contains("def")) {
        scope none;
        auto& raw = cmd.at("def");
        col.default_sql = tr(raw, none).sql;
        col.default_text = output_name(raw);
        if (node_type(raw) == "A_Const") {
          auto& rb = body(raw);
          if (rb.contains("sval"))
            col.default_text = quote_literal(rb.at("sval").value("sval", ""));
          else if (rb.contains("ival"))
            col.default_text = std::to_string(rb.at("ival").value("ival", 0));
          else if (rb.contains("fval"))
            col.default_text = rb.at("fval").value("fval", "");
        } else {
          col.default_text += "()";
        }
        if (node_type(raw) == "A_Const" || node_type(raw) == "TypeCast")
          col.default_text = default_text(raw, col.type_oid); // issue 36
        // nextval('s'::regclass) (issue 36; translate_sequence.cpp)
        if (auto sq = sequence_default_text(raw))
          col.default_text = *sq;
        col.default_sql = nextval_without_session(col.default_sql);
        col.serial = false;
      } else {
        col.default_sql.clear();
        col.default_text.clear();
        col.serial = false;
      }
    } else if (sub == "AT_AddIdentity") { // issue 36 (pg_dump's identities)
      auto& col =
        d.columns[static_cast<size_t>(column_pos(cmd.value("name", "")))];
      if (col.serial || !col.default_sql.empty())
        throw sql_error("42601", "column \"" + col.name + "\" of relation \"" +
                                   display + "\" already has a default value");
      col.serial = true;
      col.not_null = true;
      st.ddl.push_back(identity_sequence_sql(d.name, col, cmd.at("def")));
    } else if (sub == "AT_DropNotNull") {
      int pos = column_pos(cmd.value("name", ""));
      if (uses_column(d.primary_key(), pos))
        throw sql_error("42P16", "column \"" + cmd.value("name", "") +
                                   "\" is in a primary key");
      d.columns[static_cast<size_t>(pos)].not_null = false;
    } else if (sub == "AT_SetNotNull") {
      auto& col =
        d.columns[static_cast<size_t>(column_pos(cmd.value("name", "")))];
      col.not_null = true;
      st.validations.push_back(
        {rows_of(d, column_expr(d, col) + " IS NULL"),
         "23502column \"" + col.name + "\" of relation \"" + display +
           "\" contains null values" +
           error_trailer("public", display, col.name, "", "")});
    } else if (sub == "AT_AlterColumnType") {
      auto name = cmd.value("name", "");
      int pos = column_pos(name);
      refuse_type_change_under_views(d, name); // issue 36 (views)
      auto& cd = body(cmd.at("def"));
      auto old = d.columns[static_cast<size_t>(pos)];
      auto& col = d.columns[static_cast<size_t>(pos)];
      col.type_oid = type_of_typename(cd.at("typeName"));
      col.typmod = -1;
      if (cd.at("typeName").contains("typmods") &&
          (col.type_oid == oid::varchar || col.type_oid == oid::bpchar)) {
        auto& m = cd.at("typeName").at("typmods").at(0);
        if (node_type(m) == "A_Const" && body(m).contains("ival"))
          col.typmod = body(m).at("ival").value("ival", 0) + 4;
      }
      if (col.type_oid == oid::numeric) // numeric(p,s) (issue 36)
        col.typmod = numeric_typmod(cd.at("typeName"));
      std::string v;
      if (cd.contains("raw_default")) {
        table_def before = t;
        scope sc;
        sc.aggregates_allowed = false;
        sc.items.push_back(target_item(before, display, "doc"));
        v = tr(cd.at("raw_default"), sc).sql;
      } else {
        v = cast_to({column_expr(t, old), old.type_oid}, col.type_oid);
      }
      for (auto& idx : d.indexes)
        if (uses_column(idx.columns, pos)) {
          st.ddl.push_back("DROP INDEX IF EXISTS " +
                           quote_ident(sqlite_index_name(d.name, idx.name)));
        }
      st.rewrites.push_back(
        rewrite_sql(d, "json_set(doc, " + json_path(name) + ", " +
                         json_value(col, coerced(d, col, v)) + ")"));
      // rebuilt after the rewrite, on the new column expression
      for (auto& idx : d.indexes)
        if (uses_column(idx.columns, pos))
          st.ddl.push_back(create_index_sql(d, idx));
    } else if (sub == "AT_DropConstraint") {
      auto name = cmd.value("name", "");
      bool done = false;
      for (size_t i = 0; i < d.foreign_keys.size() && !done; ++i)
        if (d.foreign_keys[i].name == name) {
          d.foreign_keys.erase(d.foreign_keys.begin() + static_cast<long>(i));
          done = true;
        }
      for (size_t i = 0; i < d.checks.size() && !done; ++i)
        if (d.checks[i].name == name) {
          d.checks.erase(d.checks.begin() + static_cast<long>(i));
          done = true;
        }
      for (size_t i = 0; i < d.indexes.size() && !done; ++i)
        if (d.indexes[i].name == name) {
          for (auto* child : children())
            for (auto& f : child->foreign_keys)
              if (f.ref_table == d.name &&
                  std::is_permutation(
                    f.ref_columns.begin(), f.ref_columns.end(),
                    d.indexes[i].columns.begin(), d.indexes[i].columns.end())) {
                if (!cascade)
                  throw sql_error(
                    "2BP01", "cannot drop constraint " + name + " on table " +
                               display + " because other objects depend on it");
                auto other = *child;
                std::erase_if(other.foreign_keys,
                              [&](auto& g) { return g.name == f.name; });
                st.other_defs.push_back(std::move(other));
              }
          st.ddl.push_back("DROP INDEX IF EXISTS " +
                           quote_ident(sqlite_index_name(d.name, name)));
          d.indexes.erase(d.indexes.begin() + static_cast<long>(i));
          done = true;
        }
      if (!done) {
        if (cmd.value("missing_ok", false)) {
          st.notice = "constraint \"" + name + "\" of relation \"" + display +
                      "\" does not exist, skipping";
          continue;
        }
        throw sql_error("42704", "constraint \"" + name + "\" of relation \"" +
                                   display + "\" does not exist");
      }
    } else if (sub == "AT_ValidateConstraint") {
      // constraints are always validated when added
    } else {
      unsupported("ALTER TABLE " + sub.substr(3), c);
    }
  }
  return st;
}

} // namespace themis::sql::detail
