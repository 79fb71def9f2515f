/// POST /search/fulltext (ThemisDB's shape: {"table","column","query",
/// "limit"} → {"count","table","column","query","results":[{"pk","score"}]})
/// and POST /search/hybrid = /search/fusion (ThemisDB's fusion shape:
/// text_query/text_column + vector_query, fusion_mode rrf (k_rrf) or
/// weighted (weight_text), k, text_limit, vector_limit).

#include <algorithm>
#include <unordered_map>

#include "engine/search/fts_query.hpp"
#include "engine/search/rrf.hpp"
#include "handlers/http_json.hpp"
#include "handlers/search_routes.hpp"
#include "handlers/tenant_scope.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using search::index_kind;
using namespace search_http;

constexpr size_t max_limit = 10000;

std::string string_of(const json& body,
                      std::initializer_list<const char*> names) {
  for (auto* n : names)
    if (auto it = body.find(n); it != body.end() && it->is_string())
      return it->get<std::string>();
  return {};
}

/// Weighted fusion: α·minmax(text) + (1-α)·minmax(vector similarity).
std::vector<search::fused>
weighted_fuse(const std::vector<search::text_hit>& text,
              const std::vector<vector::hit>& vec, double alpha, size_t k) {
  std::unordered_map<std::string, search::fused> by;
  auto norm = [](double v, double lo, double hi) {
    return hi > lo ? (v - lo) / (hi - lo) : 1.0;
  };
  if (!text.empty()) {
    auto [lo, hi] =
      std::minmax_element(text.begin(), text.end(),
                          [](auto& a, auto& b) { return a.score < b.score; });
    for (size_t i = 0; i < text.size(); ++i) {
      auto& f = by[text[i].key];
      f.key = text[i].key;
      f.rank_a = static_cast<int>(i + 1);
      f.score += alpha * norm(text[i].score, lo->score, hi->score);
    }
  }
  if (!vec.empty()) {
    auto [lo, hi] =
      std::minmax_element(vec.begin(), vec.end(), [](auto& a, auto& b) {
        return a.distance < b.distance;
      });
    for (size_t i = 0; i < vec.size(); ++i) {
      auto& f = by[vec[i].key];
      f.key = vec[i].key;
      f.rank_b = static_cast<int>(i + 1);
      f.score +=
        (1 - alpha) * (1.0 - norm(vec[i].distance, lo->distance, hi->distance));
    }
  }
  std::vector<search::fused> out;
  for (auto& [_, f] : by)
    out.push_back(std::move(f));
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) {
    return a.score != b.score ? a.score > b.score : a.key < b.key;
  });
  if (out.size() > k)
    out.resize(k);
  return out;
}

/// The collection as the request named it (ThemisDB echoes `table`).
json table_of(const json& body) {
  return body.contains("table") ? body.at("table")
                                : body.value("collection", json());
}

} // namespace

void fulltext_search(route_context& ctx) {
  auto* svc = service(ctx);
  json body;
  std::string stored;
  if (!svc || !body_object(ctx, body) || !named_collection(ctx, body, stored))
    return;
  if (stored.empty())
    return ctx.respond(error_response(400, "'table' is required"));
  auto query = body.find("query");
  if (query == body.end() || !query->is_string())
    return ctx.respond(error_response(400, "'query' must be a string"));
  auto t = search::translate_fts_query(query->get<std::string>());
  if (!t.error.empty())
    return ctx.respond(
      error_response(400, "invalid full-text query: " + t.error));
  size_t limit = 0;
  if (auto e = size_option(body, "limit", 1000, max_limit, limit); !e.empty())
    return ctx.respond(error_response(400, e));
  auto column = string_of(body, {"column", "field"});
  auto work = [svc, stored, column, t, limit,
               body = std::move(body)](blocking_writer&) -> api_response {
    try {
      auto idx = svc->resolve(index_kind::fulltext, stored,
                              string_of(body, {"index"}), column);
      svc->wait_applied(idx.def.id, svc->current_sequence());
      json results = json::array();
      for (auto& h : svc->fulltext_search(idx.def.id, t.match, limit))
        results.push_back({{"pk", h.key}, {"score", h.score}});
      return json_response(200, dump({{"count", results.size()},
                                      {"table", table_of(body)},
                                      {"column", idx.def.attribute},
                                      {"query", body.at("query")},
                                      {"results", results}}));
    } catch (const std::exception& e) {
      return error_of(e);
    }
  };
  ctx.work.run_blocking(std::move(work), ctx.respond);
}

void hybrid_search(route_context& ctx) {
  auto* svc = service(ctx);
  json body;
  std::string stored;
  if (!svc || !body_object(ctx, body) || !named_collection(ctx, body, stored))
    return;
  if (stored.empty())
    return ctx.respond(error_response(400, "'table' is required"));
  auto text = string_of(body, {"text_query", "query"});
  bool has_text = !text.empty();
  bool has_vec = body.contains("vector_query") || body.contains("vector");
  if (!has_text && !has_vec)
    return ctx.respond(
      error_response(400, "give 'text_query' and/or 'vector_query'"));
  search::fts_translation t;
  if (has_text) {
    t = search::translate_fts_query(text);
    if (!t.error.empty())
      return ctx.respond(
        error_response(400, "invalid full-text query: " + t.error));
  }
  size_t k = 0, text_limit = 0, vector_limit = 0;
  for (auto e :
       {size_option(body, "k", 10, max_limit, k),
        size_option(body, "text_limit", 1000, max_limit, text_limit),
        size_option(body, "vector_limit", 1000, max_limit, vector_limit)})
    if (!e.empty())
      return ctx.respond(error_response(400, e));
  auto mode = body.value("fusion_mode", std::string("rrf"));
  if (mode != "rrf" && mode != "weighted")
    return ctx.respond(
      error_response(400, "'fusion_mode' must be rrf or weighted"));
  double k_rrf = 60, alpha = 0.5;
  if (auto it = body.find("k_rrf"); it != body.end()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1e6)
      return ctx.respond(
        error_response(400, "'k_rrf' must be a number from 0 to 1e6"));
    k_rrf = it->get<double>();
  }
  for (auto* n : {"weight_text", "alpha"})
    if (auto it = body.find(n); it != body.end()) {
      if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1)
        return ctx.respond(error_response(
          400, std::string("'") + n + "' must be a number from 0 to 1"));
      alpha = it->get<double>();
    }
  auto work = [=, body = std::move(body)](blocking_writer&) -> api_response {
    try {
      auto seq = svc->current_sequence();
      std::vector<search::text_hit> th;
      std::vector<vector::hit> vh;
      if (has_text) {
        auto idx = svc->resolve(index_kind::fulltext, stored, {},
                                string_of(body, {"text_column", "column"}));
        svc->wait_applied(idx.def.id, seq);
        th = svc->fulltext_search(idx.def.id, t.match, text_limit);
      }
      if (has_vec) {
        auto idx = svc->resolve(index_kind::vector, stored, {},
                                string_of(body, {"vector_field", "field"}));
        std::vector<float> q;
        const json& v = body.contains("vector_query") ? body.at("vector_query")
                                                      : body.at("vector");
        if (auto e = vector::parse_vector(v, idx.def.dimension, q); !e.empty())
          return error_response(400, e);
        svc->wait_applied(idx.def.id, seq);
        vh = svc->vector_search(idx.def.id, q,
                                std::min(vector_limit, vector::max_k));
      }
      std::vector<search::fused> fused;
      if (mode == "rrf") {
        std::vector<std::string> a, b;
        for (auto& h : th)
          a.push_back(h.key);
        for (auto& h : vh)
          b.push_back(h.key);
        fused = search::rrf_fuse(a, b, k_rrf, k);
      } else {
        fused = weighted_fuse(th, vh, alpha, k);
      }
      json results = json::array();
      for (auto& f : fused) {
        json r = {{"pk", f.key}, {"score", f.score}};
        if (f.rank_a)
          r["text_rank"] = f.rank_a;
        if (f.rank_b)
          r["vector_rank"] = f.rank_b;
        results.push_back(std::move(r));
      }
      return json_response(200, dump({{"count", results.size()},
                                      {"fusion_mode", mode},
                                      {"table", table_of(body)},
                                      {"text_count", th.size()},
                                      {"vector_count", vh.size()},
                                      {"results", results}}));
    } catch (const std::exception& e) {
      return error_of(e);
    }
  };
  ctx.work.run_blocking(std::move(work), ctx.respond);
}

} // namespace themis
