/// MCP prompts (prompts/list, prompts/get): "explain_collection" and
/// "write_aql_query", filled from the live collection; and completions
/// (completion/complete) of collection names for their arguments and the
/// resource templates.

#include <map>
#include <set>

#include "handlers/http_json.hpp"
#include "handlers/mcp_context.hpp"

namespace themis::mcp {

namespace {

std::string get_arg(const json& params, const char* name, bool required) {
  auto a = params.find("arguments");
  if (a != params.end() && !a->is_null() && !a->is_object())
    throw rpc_failure(invalid_params, "\"arguments\" must be an object");
  if (a != params.end() && a->is_object())
    if (auto v = a->find(name); v != a->end() && v->is_string() &&
                                v->get_ref<const std::string&>().size() <= 4096)
      return v->get<std::string>();
  if (required)
    throw rpc_failure(invalid_params,
                      std::string("missing string argument: ") + name);
  return {};
}

/// Count, fields and two sample documents of a collection, as text.
std::string collection_summary(call_context& c, const std::string& name) {
  auto stored = stored_name(c, name);
  if (stored.empty())
    throw rpc_failure(invalid_params, "invalid collection name: " + name);
  int64_t count = -1;
  for (auto& info : c.env.reader.collections())
    if (info.name == stored)
      count = info.count;
  if (count < 0)
    throw rpc_failure(invalid_params, "collection not found: " + name);
  std::set<std::string> fields;
  std::string samples;
  int shown = 0;
  for (auto& d : c.env.reader.list(stored, "", 20)) {
    json doc;
    if (parse_json_body(d.json, doc) || !doc.is_object())
      continue;
    for (auto& [k, _] : doc.items())
      if (fields.size() < 100)
        fields.insert(k);
    if (shown++ < 2)
      samples += "\n" + d.json.substr(0, 2000);
  }
  std::string f;
  for (auto& k : fields)
    f += (f.empty() ? "" : ", ") + k;
  return "Collection `" + name + "` holds " + std::to_string(count) +
         " documents. Fields seen: " + (f.empty() ? "(none)" : f) +
         ".\nSample documents:" + (samples.empty() ? " (none)" : samples);
}

json user_text(std::string text) {
  return {{"role", "user"},
          {"content", {{"type", "text"}, {"text", std::move(text)}}}};
}

} // namespace

json prompts_list() {
  return {
    {"prompts",
     json::array(
       {{{"name", "explain_collection"},
         {"title", "Explain a collection"},
         {"description", "Describe what a collection holds, from its count, "
                         "fields and sample documents"},
         {"arguments", json::array({{{"name", "collection"},
                                     {"description", "collection name"},
                                     {"required", true}}})}},
        {{"name", "write_aql_query"},
         {"title", "Write an AQL query"},
         {"description", "Write an AQL query for a task, given the "
                         "collection's fields"},
         {"arguments",
          json::array({{{"name", "task"},
                        {"description", "what the query should do"},
                        {"required", true}},
                       {{"name", "collection"},
                        {"description", "the collection it reads"},
                        {"required", false}}})}}})}};
}

json prompts_get(call_context& c, const json& params) {
  if (!c.who.has_scope("data:read"))
    throw rpc_failure(invalid_request,
                      "permission denied: the token lacks the scope data:read");
  auto n = params.find("name");
  if (n == params.end() || !n->is_string())
    throw rpc_failure(invalid_params, "prompts/get needs a string \"name\"");
  auto name = n->get<std::string>();
  if (name == "explain_collection") {
    auto coll = get_arg(params, "collection", true);
    auto text = collection_summary(c, coll) +
                "\n\nExplain what this collection stores, what each field "
                "probably means, and which queries it would serve well.";
    return {{"description", "Explain the collection " + coll},
            {"messages", json::array({user_text(std::move(text))})}};
  }
  if (name == "write_aql_query") {
    auto task = get_arg(params, "task", true);
    auto coll = get_arg(params, "collection", false);
    std::string text =
      "Write one AQL query for ThemisDB (ArangoDB-style AQL: FOR x IN coll "
      "FILTER … SORT … LIMIT … RETURN …, COLLECT, INSERT/UPDATE/REMOVE). "
      "Use bind variables (@value, @@collection) for every literal that "
      "comes from the user. Task: " +
      task;
    if (!coll.empty())
      text += "\n\n" + collection_summary(c, coll);
    text += "\n\nAnswer with the query and its bindVars as JSON; it can be "
            "run with the aql_query tool.";
    return {{"description", "Write an AQL query"},
            {"messages", json::array({user_text(std::move(text))})}};
  }
  throw rpc_failure(invalid_params, "unknown prompt: " + name);
}

json complete(call_context& c, const json& params) {
  auto arg = params.find("argument");
  if (arg == params.end() || !arg->is_object())
    throw rpc_failure(invalid_params, "completion/complete needs \"argument\"");
  auto name = arg->value("name", std::string());
  auto value = arg->value("value", std::string());
  json values = json::array();
  bool names = name == "collection" || name == "name";
  size_t total = 0;
  if (names && c.who.has_scope("data:read"))
    for (auto& info : c.env.reader.collections())
      if (auto n = shown_name(c, info.name);
          !n.empty() && n.compare(0, value.size(), value) == 0) {
        if (values.size() < 100)
          values.push_back(n);
        ++total;
      }
  return {{"completion",
           {{"values", values}, {"total", total}, {"hasMore", total > 100}}}};
}

} // namespace themis::mcp
