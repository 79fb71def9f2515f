/// DROP FUNCTION / PROCEDURE / ROUTINE, ALTER FUNCTION … RENAME TO /
/// OWNER TO / attributes, and CALL of a procedure (issue 36). CALL runs as
/// a DO block: the procedure's body inside a block that declares its
/// parameters with the call's arguments, so it writes through the session
/// as a DO block does.

#include "engine/sql/plpgsql.hpp"
#include "engine/sql/udf_internal.hpp"

namespace themis::sql::detail {

namespace {

const char* word_of(const std::string& object_type) {
  if (object_type == "OBJECT_PROCEDURE")
    return "procedure";
  if (object_type == "OBJECT_ROUTINE")
    return "routine";
  return "function";
}

bool kind_fits(const function_def& f, const std::string& object_type) {
  if (object_type == "OBJECT_PROCEDURE")
    return f.kind == 'p';
  if (object_type == "OBJECT_FUNCTION")
    return f.kind == 'f';
  return true;
}

/// The function an ObjectWithArgs names; nullptr with `missing_ok` when
/// there is none (`missing` gets PostgreSQL's "does not exist" text).
const function_def* lookup(translator& tr, const json& owa,
                           const std::string& object_type, bool missing_ok,
                           std::string& missing) {
  auto name = routine_name(owa.at("objname"));
  auto word = std::string(word_of(object_type));
  auto* list = tr.cat.find_functions(name);
  std::vector<const function_def*> fits;
  if (list)
    for (auto& f : *list)
      if (kind_fits(f, object_type))
        fits.push_back(&f);
  if (owa.value("args_unspecified", false)) {
    if (fits.size() == 1)
      return fits[0];
    if (fits.size() > 1)
      throw plpgsql::raised(
        "42725", word + " name \"" + name + "\" is not unique", "",
        "Specify the argument list to select the " + word + " unambiguously.");
    missing = word + " " + name + "() does not exist";
    if (missing_ok)
      return nullptr;
    throw sql_error("42883",
                    "could not find a " + word + " named \"" + name + "\"");
  }
  std::vector<uint32_t> types;
  std::string shown;
  for (auto& tn : owa.value("objargs", json::array())) {
    auto t = tr.type_of_typename(body(tn));
    types.push_back(t);
    shown += (shown.empty() ? "" : ", ") + udf_type_name(t);
  }
  for (auto* f : fits)
    if (f->in_types() == types)
      return f;
  missing = word + " " + name + "(" + shown + ") does not exist";
  if (missing_ok)
    return nullptr;
  throw sql_error("42883", missing);
}

/// The text of each argument of the call at `location` in `src`.
std::vector<std::string> call_args(const std::string& src, size_t at) {
  std::vector<std::string> out;
  auto open = src.find('(', at);
  if (open == std::string::npos)
    return out;
  int depth = 0;
  std::string cur;
  for (size_t i = open + 1; i < src.size(); ++i) {
    char c = src[i];
    if (c == '\'' || c == '"') { // a quoted literal or identifier, whole
      size_t j = i + 1;
      while (
        j < src.size() &&
        (src[j] != c || (j + 1 < src.size() && src[j + 1] == c && (++j, true))))
        ++j;
      cur.append(src, i, j - i + 1);
      i = j;
      continue;
    }
    if (c == '(' || c == '[')
      ++depth;
    if ((c == ')' || c == ']') && depth-- == 0) {
      if (!cur.empty() || !out.empty())
        out.push_back(cur);
      break;
    }
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur.push_back(c);
  }
  return out;
}

statement call_procedure(translator& tr, const json& b) {
  auto& cb = b.at("funccall"); // a FuncCall's fields, unwrapped
  int pos = cb.value("location", -1) + 1;
  auto name = routine_name(cb.at("funcname"));
  auto* list = tr.cat.find_functions(name);
  auto given = cb.value("args", json::array()).size();
  const function_def* proc = nullptr;
  if (list)
    for (auto& f : *list) {
      size_t n = f.in_types().size(), defaults = 0;
      for (auto& a : f.args)
        defaults += a.default_node.empty() ? 0 : 1;
      if (f.kind == 'p' && given <= n && given + defaults >= n) {
        if (proc)
          throw plpgsql::raised("42725", "procedure " + name + " is not unique",
                                "",
                                "Could not choose a best candidate procedure. "
                                "You might need to add explicit type casts.",
                                pos);
        proc = &f;
      }
    }
  if (!proc) {
    if (list)
      for (auto& f : *list)
        if (f.kind == 'f')
          throw plpgsql::raised("42809",
                                name + "(" + function_signature_types(f) +
                                  ") is not a procedure",
                                "", "To call a function, use SELECT.", pos);
    throw plpgsql::raised("42883", "procedure " + name + "() does not exist",
                          "",
                          "No procedure matches the given name and argument "
                          "types. You might need to add explicit type casts.",
                          pos);
  }
  for (auto& a : cb.value("args", json::array()))
    if (node_type(a) == "NamedArgExpr")
      tr.unsupported("named arguments in CALL", a);
  auto texts = tr.source && pos > 0
                 ? call_args(*tr.source, static_cast<size_t>(pos - 1))
                 : std::vector<std::string>{};
  std::string decl = "DECLARE\n";
  size_t k = 0;
  for (auto& a : proc->args) {
    if (a.mode != 'i')
      throw sql_error("0A000", "procedures with OUT or INOUT parameters are "
                               "not supported in CALL");
    if (a.name.empty())
      throw sql_error("0A000", "procedures with unnamed parameters are not "
                               "supported in CALL");
    auto value = k < texts.size() ? texts[k] : a.default_text;
    ++k;
    decl += "  " + a.name + " " + udf_type_name(a.type, a.type_node) + " := (" +
            value + ");\n";
  }
  std::string code;
  if (proc->language == "plpgsql") {
    code = proc->body;
    while (!code.empty() &&
           std::isspace(static_cast<unsigned char>(code.back())))
      code.pop_back();
    if (code.empty() || code.back() != ';')
      code += ";";
  } else {
    for (auto& ps : parse_sql(proc->body)) {
      auto text = ps.text;
      auto start = text.find_first_not_of(" \t\r\n");
      auto head = start == std::string::npos ? "" : text.substr(start, 6);
      for (auto& c : head)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (head == "select")
        text = "PERFORM" + text.substr(start + 6);
      code += text + ";\n";
    }
  }
  statement st;
  st.kind = stmt_kind::do_block;
  st.tag = "CALL";
  st.val = decl + "BEGIN\n" + code + "\nEND";
  return st;
}

} // namespace

std::optional<statement>
tr_routine_utility(translator& tr, const std::string& type, const json& n) {
  auto& b = body(n);
  if (type == "CallStmt")
    return call_procedure(tr, b);
  if (type == "CreateTrigStmt") // not in this subset: say so clearly
    throw sql_error("0A000", "CREATE TRIGGER is not supported (functions are; "
                             "triggers are not run by themisd)");
  if (type == "DropStmt" && b.value("removeType", "") == "OBJECT_TRIGGER") {
    // no trigger can exist: IF EXISTS skips, otherwise 42704 as PostgreSQL
    auto& items = list_items(b.at("objects").at(0));
    auto parts = string_list(items);
    auto trig = parts.empty() ? "" : parts.back();
    auto table = parts.size() > 1 ? parts[parts.size() - 2] : "";
    if (!tr.cat.find(table))
      throw sql_error("42P01", "relation \"" + table + "\" does not exist");
    if (!b.value("missing_ok", false))
      throw sql_error("42704", "trigger \"" + trig + "\" for table \"" + table +
                                 "\" does not exist");
    statement none;
    none.kind = stmt_kind::noop;
    none.tag = "DROP TRIGGER";
    none.notice = "trigger \"" + trig + "\" for relation \"" + table +
                  "\" does not exist, skipping";
    return none;
  }
  statement st;
  st.kind = stmt_kind::function_ddl;
  st.writes = true;
  if (type == "DropStmt") {
    auto rt = b.value("removeType", "");
    if (rt != "OBJECT_FUNCTION" && rt != "OBJECT_PROCEDURE" &&
        rt != "OBJECT_ROUTINE")
      return std::nullopt;
    std::string word = word_of(rt);
    for (auto& c : word)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    st.tag = "DROP " + word;
    bool missing_ok = b.value("missing_ok", false);
    for (auto& o : b.at("objects")) {
      std::string missing;
      auto* f = lookup(tr, body(o), rt, missing_ok, missing);
      if (f)
        st.names.push_back(f->key());
      else
        st.notice += (st.notice.empty() ? "" : "\n") + missing + ", skipping";
    }
    if (st.names.empty()) { // nothing to drop: no write, the NOTICE only
      st.kind = stmt_kind::noop;
      st.writes = false;
    }
    return st;
  }
  if (type == "RenameStmt") {
    auto rt = b.value("renameType", "");
    if (rt != "OBJECT_FUNCTION" && rt != "OBJECT_PROCEDURE" &&
        rt != "OBJECT_ROUTINE")
      return std::nullopt;
    std::string missing;
    auto* f = lookup(tr, body(b.at("object")), rt, false, missing);
    auto to = b.value("newname", "");
    if (find_exact(tr.cat, to, f->in_types()))
      throw sql_error("42723", std::string(routine_word(*f)) + " " + to + "(" +
                                 function_signature_types(*f) +
                                 ") already exists in schema \"public\"");
    auto g = *f;
    g.name = tr.info.ns + to;
    st.tag = f->kind == 'p' ? "ALTER PROCEDURE" : "ALTER FUNCTION";
    st.names.push_back(f->key());
    st.val = json::array({to_json(g)}).dump();
    return st;
  }
  if (type == "AlterOwnerStmt") {
    auto ot = b.value("objectType", "");
    if (ot != "OBJECT_FUNCTION" && ot != "OBJECT_PROCEDURE" &&
        ot != "OBJECT_ROUTINE")
      return std::nullopt;
    std::string missing;
    auto* f = lookup(tr, body(b.at("object")), ot, false, missing);
    // one role per session: its own is accepted and changes nothing
    auto& spec = b.at("newowner");
    auto kind = spec.value("roletype", "");
    auto role = spec.value("rolename", "");
    if (kind == "ROLESPEC_PUBLIC" ||
        (kind == "ROLESPEC_CSTRING" && role != tr.info.user))
      throw sql_error("42704", "role \"" +
                                 (kind == "ROLESPEC_PUBLIC" ? "public" : role) +
                                 "\" does not exist");
    statement noop;
    noop.kind = stmt_kind::noop;
    noop.tag = f->kind == 'p' ? "ALTER PROCEDURE" : "ALTER FUNCTION";
    return noop;
  }
  if (type == "AlterFunctionStmt") {
    auto ot = b.value("objtype", "OBJECT_FUNCTION");
    std::string missing;
    auto& fn = b.at("func"); // unwrapped here
    auto* f = lookup(tr, fn.contains("ObjectWithArgs") ? body(fn) : fn, ot,
                     false, missing);
    auto g = *f;
    for (auto& a : b.value("actions", json::array())) {
      auto& d = body(a);
      auto key = d.value("defname", "");
      auto& arg = d.contains("arg") ? d.at("arg") : json();
      auto str = [&] {
        auto s = arg.is_null() ? std::string() : sval(arg);
        for (auto& c : s)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
      };
      auto flag = [&] {
        return !arg.is_null() && body(arg).value("boolval", false);
      };
      if (key == "volatility")
        g.volatility = str() == "immutable" ? 'i'
                       : str() == "stable"  ? 's'
                                            : 'v';
      else if (key == "strict")
        g.strict = flag();
      else if (key == "security")
        g.security_definer = flag();
      else if (key == "leakproof")
        g.leakproof = flag();
      else if (key == "parallel")
        g.parallel = str() == "safe" ? 's' : str() == "restricted" ? 'r' : 'u';
      else if (key == "cost" && !arg.is_null())
        g.cost = body(arg).value("ival", 100);
      else if (key == "rows" && !arg.is_null())
        g.rows = body(arg).value("ival", 1000);
      else
        tr.unsupported("ALTER FUNCTION … " + key, a);
    }
    st.tag = f->kind == 'p' ? "ALTER PROCEDURE" : "ALTER FUNCTION";
    st.local = true; // the same key, replaced
    st.val = json::array({to_json(g)}).dump();
    return st;
  }
  return std::nullopt;
}

} // namespace themis::sql::detail
