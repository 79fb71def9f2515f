/// Sequences in the translator (issue 36): CREATE / ALTER / DROP / RENAME
/// SEQUENCE, nextval / currval / setval / lastval, a sequence named in
/// FROM (last_value, log_cnt, is_called: psql's \d and pg_dump read it)
/// and nextval column defaults. Storage and run time: sql_sequences.hpp.

#include "engine/names.hpp"
#include "engine/sql/temp_tables.hpp"
#include "engine/sql/translate_internal.hpp"

namespace themis::sql::detail {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

/// 'name', 'schema.name', '"Name"' as regclass input reads them.
std::vector<std::string> regclass_parts(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  out.push_back(cur);
  return out;
}

const char* type_name(uint32_t t) {
  return t == oid::int2 ? "smallint" : t == oid::int4 ? "integer" : "bigint";
}

} // namespace

/// The sequence `schema.name` names for this session: its own temp one,
/// one made by CREATE SEQUENCE, or a serial column's implicit one.
std::optional<sequence_def>
translator::find_sequence_def(const std::string& schema,
                              const std::string& name) {
  bool temp = is_own_temp_schema(schema, info.temp_ns);
  if (!schema.empty() && schema != "public" && !temp)
    return std::nullopt;
  if (auto s = cat.find_sequence(name)) {
    bool is_temp = is_temp_table(s->name);
    if (schema.empty() || temp == is_temp)
      return *s;
  }
  if (temp)
    return std::nullopt;
  for (auto& [tn, t] : cat.tables()) {
    if (!t.typed)
      continue;
    for (auto& c : t.columns)
      if (c.serial && tn + "_" + c.name + "_seq" == name) {
        sequence_def d;
        d.name = info.ns + name;
        d.key = t.name + "." + c.name;
        d.oid = sequence_oid(d.key);
        d.type = c.type_oid == oid::int2 || c.type_oid == oid::int4 ? c.type_oid
                                                                    : oid::int8;
        d.max = sequence_type_max(d.type);
        d.owner_table = t.name;
        d.owner_column = c.name;
        for (auto& [sn, s] : cat.sequences()) // materialized (identity …)
          if (s.key == d.key)
            return s;
        return d;
      }
  }
  return std::nullopt;
}

sequence_def translator::sequence_named(const json& arg, const json& call) {
  std::string text;
  auto* a = &arg;
  if (node_type(*a) == "TypeCast") {
    auto tn =
      string_list(body(*a).at("typeName").value("names", json::array()));
    if (tn.empty() || (tn.back() != "regclass" && tn.back() != "text" &&
                       tn.back() != "varchar"))
      unsupported("this sequence argument", call);
    a = &body(*a).at("arg");
  }
  if (node_type(*a) != "A_Const" || !body(*a).contains("sval"))
    unsupported("a sequence named by a non-literal argument", call);
  text = body(*a).at("sval").value("sval", "");
  auto parts = regclass_parts(text);
  if (parts.size() > 2)
    throw sql_error("42P01", "relation \"" + text + "\" does not exist",
                    location(call));
  auto schema = parts.size() == 2 ? parts[0] : "";
  auto s = find_sequence_def(schema, parts.back());
  if (!s) {
    if (cat.find(parts.back()))
      throw sql_error("42809", "\"" + parts.back() + "\" is not a sequence",
                      location(call));
    throw sql_error("42P01", "relation \"" + text + "\" does not exist",
                    location(call));
  }
  return *s;
}

std::optional<expr> translator::tr_sequence_func(const std::string& name,
                                                 const json& n, scope& sc) {
  auto& b = body(n);
  if (name != "nextval" && name != "currval" && name != "setval" &&
      name != "lastval")
    return std::nullopt;
  auto args = b.value("args", json::array());
  auto pid = std::to_string(info.backend_pid);
  if (name == "lastval") {
    if (!args.empty())
      throw sql_error("42883",
                      "function lastval() with arguments does not "
                      "exist",
                      location(n));
    return expr{"themis_lastval(" + pid + ")", oid::int8};
  }
  size_t want = name == "setval" ? 2 : 1;
  if (args.size() < want || args.size() > (name == "setval" ? 3u : 1u))
    throw sql_error("42883",
                    "function " + name + " with " +
                      std::to_string(args.size()) + " arguments does not exist",
                    location(n));
  auto s = sequence_named(args[0], n);
  auto key = quote_literal(s.key);
  auto shown = s.name.substr(s.name.find_last_of(".$") == std::string::npos
                               ? 0
                               : s.name.find_last_of(".$") + 1);
  if (name == "nextval") {
    sequence_writes = true;
    return expr{"themis_nextval(" + key + ", " + pid + ")", oid::int8};
  }
  if (name == "currval")
    return expr{"themis_currval(" + key + ", " + pid + ", " +
                  quote_literal(shown) + ")",
                oid::int8};
  sequence_writes = true;
  auto v = tr(args[1], sc);
  std::string called = "1";
  if (args.size() == 3)
    called = "(" + tr(args[2], sc).sql + ")";
  return expr{"themis_setval(" + key + ", CAST(" + v.sql + " AS INTEGER), " +
                called + ", " + pid + ")",
              oid::int8};
}

std::optional<std::string> translator::sequence_default_text(const json& raw) {
  if (node_type(raw) != "FuncCall")
    return std::nullopt;
  auto names = string_list(body(raw).value("funcname", json::array()));
  if (names.empty() || names.back() != "nextval")
    return std::nullopt;
  auto args = body(raw).value("args", json::array());
  if (args.size() != 1)
    return std::nullopt;
  auto s = sequence_named(args[0], raw);
  auto local = s.name.substr(s.name.find_last_of(".$") == std::string::npos
                               ? 0
                               : s.name.find_last_of(".$") + 1);
  // regclass output: quoted only when it has to be
  bool plain = !local.empty() && !(local[0] >= '0' && local[0] <= '9');
  for (char ch : local)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
      plain = false;
  return "nextval('" + (plain ? local : quote_ident(local)) + "'::regclass)";
}

std::optional<std::string>
translator::sequence_from_item(const json& rv, const std::string& alias,
                               scope& sc) {
  auto schema = rv.value("schemaname", "");
  auto name = rv.value("relname", "");
  if (schema.empty() && cat.find(name))
    return std::nullopt; // a table of that name
  auto s = find_sequence_def(schema, name);
  if (!s)
    return std::nullopt;
  std::vector<column> cols = {{"last_value", oid::int8, s->oid, 1, -1},
                              {"log_cnt", oid::int8, s->oid, 2, -1},
                              {"is_called", oid::boolean, s->oid, 3, -1}};
  sc.items.push_back({alias, cols, nullptr, "", {}, s->oid});
  auto key = quote_literal(s->key);
  return "(SELECT COALESCE((SELECT last FROM sql_sequences WHERE name = " +
         key + "), " + std::to_string(s->start) +
         ") AS last_value, 0 AS log_cnt, COALESCE((SELECT called FROM "
         "sql_sequences WHERE name = " +
         key + "), 0) AS is_called) AS " + quote_ident(alias);
}

/// CREATE/ALTER SEQUENCE options onto `d` (PostgreSQL's checks, 22023).
void translator::sequence_options(sequence_def& d, const json& options,
                                  bool create, seq_changes& out) {
  std::optional<int64_t> min, max, start;
  bool no_min = false, no_max = false;
  auto old_type = d.type;
  auto number = [&](const json& de) -> std::optional<int64_t> {
    auto& e = body(de);
    if (!e.contains("arg"))
      return std::nullopt;
    auto& a = e.at("arg");
    if (node_type(a) == "Integer")
      return body(a).value("ival", int64_t{0});
    if (node_type(a) == "Float") {
      try {
        return std::stoll(body(a).value("fval", "0"));
      } catch (...) {
        throw sql_error("22003", "value \"" + body(a).value("fval", "") +
                                   "\" is out of range for type bigint");
      }
    }
    if (node_type(a) != "Integer")
      unsupported("this sequence option value", de);
    return int64_t{0};
  };
  // libpg_query leaves negative integers out: read them from the text
  auto signed_number = [&](const json& de) -> std::optional<int64_t> {
    auto v = number(de);
    if (!v || *v != 0 || !source)
      return v;
    auto loc = static_cast<size_t>(std::max(location(de) - 1, 0));
    auto& s = *source;
    for (size_t i = loc; i < s.size(); ++i) {
      if (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) {
        size_t used = 0;
        try {
          return std::stoll(s.substr(i), &used);
        } catch (...) {
          return v;
        }
      }
      if (s[i] == ';' || s[i] == ',')
        break;
    }
    return v;
  };
  for (auto& o : options) {
    auto& e = body(o);
    auto opt = e.value("defname", "");
    if (opt == "as") {
      auto tn = string_list(body(e.at("arg")).value("names", json::array()));
      auto t = tn.empty() ? "" : tn.back();
      d.type = t == "int2" || t == "smallint"  ? oid::int2
               : t == "int4" || t == "integer" ? oid::int4
               : t == "int8" || t == "bigint"  ? oid::int8
                                               : 0;
      if (!d.type)
        throw sql_error("22023",
                        "sequence type must be smallint, integer, or bigint");
    } else if (opt == "increment") {
      d.increment = *signed_number(o);
      if (d.increment == 0)
        throw sql_error("22023", "INCREMENT must not be zero");
    } else if (opt == "minvalue") {
      min = signed_number(o);
      no_min = !min;
    } else if (opt == "maxvalue") {
      max = signed_number(o);
      no_max = !max;
    } else if (opt == "start") {
      start = signed_number(o);
    } else if (opt == "restart") {
      out.restart = true;
      out.restart_value = signed_number(o);
    } else if (opt == "cache") {
      d.cache = *signed_number(o);
      if (d.cache <= 0)
        throw sql_error("22023", "CACHE (" + std::to_string(d.cache) +
                                   ") must be greater than zero");
    } else if (opt == "cycle") {
      d.cycle = body(e.at("arg")).value("boolval", false);
    } else if (opt == "owned_by") {
      out.owned = string_list(list_items(e.at("arg")));
      out.owned_given = true;
    } else if (opt == "sequence_name") {
      out.name = string_list(list_items(e.at("arg")));
    } else {
      unsupported("sequence option " + opt, o);
    }
  }
  // bounds: given, else the type's (kept on ALTER unless the type moved
  // and they were the old type's)
  auto tmax = sequence_type_max(d.type), tmin = sequence_type_min(d.type);
  bool moved = d.type != old_type;
  if (max)
    d.max = *max;
  else if (create || no_max || (moved && d.max == sequence_type_max(old_type)))
    d.max = d.increment > 0 ? tmax : -1;
  if (min)
    d.min = *min;
  else if (create || no_min || (moved && d.min == 1) ||
           (moved && d.min == sequence_type_min(old_type)))
    d.min = d.increment > 0 ? 1 : tmin;
  if (d.max > tmax || d.max < tmin)
    throw sql_error("22023", "MAXVALUE (" + std::to_string(d.max) +
                               ") is out of range for sequence data type " +
                               type_name(d.type));
  if (d.min > tmax || d.min < tmin)
    throw sql_error("22023", "MINVALUE (" + std::to_string(d.min) +
                               ") is out of range for sequence data type " +
                               type_name(d.type));
  if (d.min >= d.max)
    throw sql_error("22023", "MINVALUE (" + std::to_string(d.min) +
                               ") must be less than MAXVALUE (" +
                               std::to_string(d.max) + ")");
  if (start)
    d.start = *start;
  else if (create)
    d.start = d.increment > 0 ? d.min : d.max;
  if (d.start < d.min)
    throw sql_error("22023", "START value (" + std::to_string(d.start) +
                               ") cannot be less than MINVALUE (" +
                               std::to_string(d.min) + ")");
  if (d.start > d.max)
    throw sql_error("22023", "START value (" + std::to_string(d.start) +
                               ") cannot be greater than MAXVALUE (" +
                               std::to_string(d.max) + ")");
  if (out.restart) {
    auto r = out.restart_value.value_or(d.start);
    if (r < d.min)
      throw sql_error("22023", "RESTART value (" + std::to_string(r) +
                                 ") cannot be less than MINVALUE (" +
                                 std::to_string(d.min) + ")");
    if (r > d.max)
      throw sql_error("22023", "RESTART value (" + std::to_string(r) +
                                 ") cannot be greater than MAXVALUE (" +
                                 std::to_string(d.max) + ")");
    out.restart_value = r;
  }
  if (out.owned_given) {
    if (out.owned.size() == 1 && out.owned[0] == "none") {
      d.owner_table.clear();
      d.owner_column.clear();
    } else {
      if (out.owned.size() < 2)
        throw sql_error("42601", "invalid OWNED BY option");
      auto tname = out.owned[out.owned.size() - 2];
      bool temp =
        out.owned.size() > 2 && is_own_temp_schema(out.owned[0], info.temp_ns);
      auto t = temp ? cat.find_temp(tname)
               : out.owned.size() > 2 && out.owned[0] == "public"
                 ? cat.find_permanent(tname)
                 : cat.find(tname);
      if (!t)
        throw sql_error("42P01", "relation \"" + tname + "\" does not exist");
      if (t->find(out.owned.back()) < 0)
        throw sql_error("42703", "column \"" + out.owned.back() +
                                   "\" of relation \"" + tname +
                                   "\" does not exist");
      if (is_temp_table(t->name) != is_temp_table(d.name))
        throw sql_error("55000", "sequence must be in same schema as table "
                                 "it is linked to");
      d.owner_table = t->name;
      d.owner_column = out.owned.back();
    }
  }
}

} // namespace themis::sql::detail
