/// Read resolvers: documents by key, Relay connections over the AQL engine
/// (key-ordered pages straight from the reader pool), `collections`, `aql`.

#include "handlers/graphql_resolvers.hpp"

#include "engine/aql/executor.hpp"
#include "engine/aql/parser.hpp"
#include "handlers/graphql_filter.hpp"
#include "handlers/graphql_run.hpp"
#include "handlers/graphql_util.hpp"
#include "handlers/http_json.hpp"
#include "handlers/query_common.hpp"

namespace themis::gql {

namespace {

using graphql::field_result;
using json = nlohmann::json;

/// A list page's plan, copied into the worker's closure.
struct list_plan {
  std::string collection; ///< as the principal names it (AQL maps it)
  aql_condition filter;
  std::string sort; ///< SORT expressions; "" = key order (key cursors)
  bool keyed = true;
  std::optional<std::string> after, before; ///< raw cursor payloads
  std::optional<int64_t> first, last;
  bool want_count = false;
  bool want_edges = true, want_nodes = true;
};

/// A connection value with only the parts the selection reads (a node
/// would otherwise be copied for `edges` and `nodes` alike).
json connection(const collection_type& t, std::vector<json> docs,
                const std::vector<std::string>& cursors, bool has_next,
                bool has_prev, bool want_edges, bool want_nodes) {
  json edges = json::array(), nodes = json::array();
  for (size_t i = 0; i < docs.size(); ++i) {
    auto node = node_of(t, std::move(docs[i]));
    if (want_edges)
      edges.push_back({{"node", want_nodes ? node : std::move(node)},
                       {"cursor", make_cursor(cursors[i])}});
    if (want_nodes)
      nodes.push_back(std::move(node));
  }
  auto cursor = [&](size_t i) {
    return cursors.empty() ? json() : json(make_cursor(cursors[i]));
  };
  return {{"edges", std::move(edges)},
          {"nodes", std::move(nodes)},
          {"pageInfo",
           {{"hasNextPage", has_next},
            {"hasPreviousPage", has_prev},
            {"startCursor", cursor(0)},
            {"endCursor", cursor(cursors.size() - 1)}}}};
}

/// Runs the page query (and the count) on a worker thread.
json run_page(const operation_run& run, const collection_type& t,
              const list_plan& p) {
  json binds = p.filter.binds;
  binds["@gc"] = p.collection;
  std::string conds = p.filter.text;
  auto add = [&](const std::string& c) {
    conds += (conds.empty() ? "" : " && ") + c;
  };
  int64_t offset = 0, limit = 0;
  bool reverse = false;
  int64_t s = 0, e = -1; // offset window [s, e) (e < 0: open)
  if (p.keyed) {
    if (p.after)
      add("d._key > @ga"), binds["ga"] = *p.after;
    if (p.before)
      add("d._key < @gb"), binds["gb"] = *p.before;
    reverse = p.last && !p.first;
    limit = (reverse ? *p.last : *p.first) + 1;
  } else {
    if (p.after)
      s = std::stoll(*p.after) + 1;
    if (p.before)
      e = std::stoll(*p.before);
  }
  int64_t total = -1;
  auto count = [&] {
    if (total >= 0)
      return total;
    json cb = p.filter.binds;
    cb["@gc"] = p.collection;
    auto rows =
      run_aql(run,
              "RETURN COUNT(FOR d IN @@gc" +
                (p.filter.text.empty() ? "" : " FILTER " + p.filter.text) +
                " RETURN 1)",
              cb);
    total = rows.empty() ? 0 : rows[0].get<int64_t>();
    return total;
  };
  if (!p.keyed) {
    if (p.last && !p.first) {
      if (e < 0)
        e = count();
      offset = std::max(s, e - *p.last);
      limit = std::max<int64_t>(0, e - offset);
    } else {
      offset = s;
      limit = *p.first + 1;
      if (e >= 0)
        limit = std::min(limit, std::max<int64_t>(0, e - s));
    }
  }
  std::string q = "FOR d IN @@gc";
  if (!conds.empty())
    q += " FILTER " + conds;
  std::string err;
  q += " SORT " +
       (p.keyed ? std::string(reverse ? "d._key DESC" : "d._key ASC") : p.sort);
  q += " LIMIT " + std::to_string(offset) + ", " + std::to_string(limit) +
       " RETURN d";
  auto rows = limit > 0 ? run_aql(run, q, binds) : json::array();
  bool has_next = false, has_prev = false;
  if (p.keyed) {
    bool more = static_cast<int64_t>(rows.size()) == limit;
    if (more)
      rows.erase(rows.end() - 1);
    if (reverse) {
      std::reverse(rows.begin(), rows.end());
      has_prev = more;
      has_next = p.before.has_value();
    } else {
      has_next = more;
      has_prev = p.after.has_value();
    }
  } else if (!(p.last && !p.first)) {
    bool more = static_cast<int64_t>(rows.size()) > *p.first;
    if (more)
      rows.erase(rows.end() - 1);
    has_next = more;
    has_prev = offset > 0;
  } else {
    has_prev = offset > s;
    has_next = p.before.has_value();
  }
  // first and last together: the last `last` of the first page
  if (p.first && p.last && static_cast<int64_t>(rows.size()) > *p.last) {
    auto drop = rows.size() - *p.last;
    rows.erase(rows.begin(), rows.begin() + drop);
    offset += drop;
    has_prev = true;
  }
  std::vector<json> docs;
  std::vector<std::string> cursors;
  for (size_t i = 0; i < rows.size(); ++i) {
    cursors.push_back(p.keyed ? "k:" + rows[i].value("_key", "")
                              : "o:" + std::to_string(offset + i));
    docs.push_back(std::move(rows[i]));
  }
  auto out = connection(t, std::move(docs), cursors, has_next, has_prev,
                        p.want_edges, p.want_nodes);
  if (p.want_count)
    out["totalCount"] = count();
  return out;
}

/// `first`/`last` checked against graphql.max_list.
bool page_size(const json& v, const char* name, uint32_t max,
               std::optional<int64_t>& out, std::string& err) {
  if (v.is_null())
    return true;
  auto n = v.get<int64_t>();
  if (n < 0 || n > max) {
    err = std::string(name) + " must be in [0, " + std::to_string(max) + "]";
    return false;
  }
  out = n;
  return true;
}

} // namespace

graphql::batch_resolver_fn resolve_document(const collection_type& t) {
  return [t](graphql::batch_context& ctx) {
    auto& run = run_of(ctx.user);
    std::vector<field_result> out;
    field_result denied;
    if (!run.allowed("data:read", denied))
      return std::vector<field_result>(ctx.parents.size(), denied);
    auto key = ctx.args.value("key", std::string());
    // one read: the same key for every parent of this field node
    run.count_read();
    auto doc = run.env().reader.get(t.stored, key);
    for (size_t i = 0; i < ctx.parents.size(); ++i)
      out.push_back(doc ? field_result::of(node_of(t, doc->json))
                        : field_result::of(nullptr));
    return out;
  };
}

graphql::resolver_fn resolve_list(const collection_type& t) {
  return [t](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result denied;
    if (!run.allowed("data:read", denied))
      return denied;
    auto max = run.env().config.graphql.max_list;
    list_plan p;
    p.collection = t.collection;
    std::string err;
    if (!page_size(ctx.args.value("first", json()), "first", max, p.first,
                   err) ||
        !page_size(ctx.args.value("last", json()), "last", max, p.last, err))
      return field_result::fail(err, "BAD_USER_INPUT");
    if (!p.first && !p.last)
      p.first = std::min<int64_t>(100, max);
    p.filter = filter_to_aql(ctx.args.value("filter", json()), "d");
    if (!p.filter.ok())
      return field_result::fail(p.filter.error, "BAD_USER_INPUT");
    auto sort = ctx.args.value("sort", json());
    p.keyed = sort.is_null() || sort.empty();
    if (!p.keyed) {
      p.sort = sort_to_aql(sort, "d", false, err);
      if (!err.empty())
        return field_result::fail(err, "BAD_USER_INPUT");
    }
    for (auto [name, slot] :
         {std::pair{"after", &p.after}, std::pair{"before", &p.before}}) {
      auto v = ctx.args.value(name, json());
      if (v.is_null())
        continue;
      std::string raw;
      bool ok = read_cursor(v.get<std::string>(), raw);
      if (!ok || raw.size() < 2 || raw[0] != (p.keyed ? 'k' : 'o') ||
          raw[1] != ':' ||
          (!p.keyed &&
           (raw.size() > 14 || raw.size() == 2 ||
            raw.find_first_not_of("0123456789", 2) != std::string::npos)))
        return field_result::fail(std::string(name) +
                                    ": not a cursor of this list's order",
                                  "BAD_USER_INPUT");
      *slot = raw.substr(2);
    }
    p.want_count = selects(ctx.doc, ctx.node.selections, "totalCount");
    p.want_edges = selects(ctx.doc, ctx.node.selections, "edges");
    p.want_nodes = selects(ctx.doc, ctx.node.selections, "nodes");
    // the common page (key order, no filter, forward, no count) straight
    // from the reader pool, as REST's list does
    if (p.keyed && p.filter.text.empty() && !p.before && !p.last &&
        !p.want_count) {
      run.count_read();
      auto docs =
        run.env().reader.list(t.stored, p.after.value_or(""), *p.first + 1);
      bool more = static_cast<int64_t>(docs.size()) > *p.first;
      if (more)
        docs.pop_back();
      std::vector<json> nodes;
      std::vector<std::string> cursors;
      for (auto& d : docs) {
        auto j = json::parse(d.json, nullptr, false);
        nodes.push_back(j.is_object() ? std::move(j) : json::object());
        cursors.push_back("k:" + d.key);
      }
      return field_result::of(connection(t, std::move(nodes), cursors, more,
                                         p.after.has_value(), p.want_edges,
                                         p.want_nodes));
    }
    auto h = ctx.defer();
    run.read({h}, [&run, t, p] {
      try {
        return std::vector<field_result>{field_result::of(run_page(run, t, p))};
      } catch (const aql::aql_error& e) {
        return std::vector<field_result>{aql_field_error(e)};
      }
    });
    return field_result::pending(h);
  };
}

graphql::resolver_fn resolve_collections() {
  return [](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result denied;
    if (!run.allowed("data:read", denied))
      return denied;
    bool counts = selects(ctx.doc, ctx.node.selections, "count");
    std::map<std::string, int64_t> n;
    if (counts)
      run.count_read();
    if (counts)
      for (auto& c : run.env().reader.collections())
        n[c.name] = c.count;
    json out = json::array();
    for (auto& t : run.bundle().cat.types)
      out.push_back({{"name", t.collection},
                     {"typeName", t.type_name},
                     {"typed", t.typed},
                     {"count", counts ? n[t.stored] : 0}});
    return field_result::of(std::move(out));
  };
}

graphql::resolver_fn resolve_aql() {
  return [](graphql::resolve_context& ctx) -> field_result {
    auto& run = run_of(ctx.user);
    field_result denied;
    if (!run.allowed("query", denied))
      return denied;
    auto text = ctx.args.value("query", std::string());
    auto binds = ctx.args.value("bindVars", json::object());
    if (binds.is_null())
      binds = json::object();
    if (!binds.is_object())
      return field_result::fail("bindVars must be an object", "BAD_USER_INPUT");
    auto h = ctx.defer();
    run.read({h}, [&run, text, binds] {
      try {
        return std::vector<field_result>{
          field_result::of(run_aql(run, text, binds))};
      } catch (const aql::aql_error& e) {
        return std::vector<field_result>{aql_field_error(e)};
      }
    });
    return field_result::pending(h);
  };
}

} // namespace themis::gql
