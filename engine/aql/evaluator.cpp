#include "engine/aql/evaluator.hpp"

#include <cmath>

#include "engine/aql/aql_error.hpp"
#include "engine/aql/functions.hpp"
#include "engine/aql/like.hpp"

namespace themis::aql {

namespace {

const json null_value;

/// RANGE and `a..b` refuse to build arrays larger than this.
constexpr int64_t max_range = 10'000'000;

} // namespace

void runtime_error_at(const expr& e, const std::string& msg) {
  throw aql_error(error_kind::runtime, msg, e.line, e.column);
}

const std::string& collection_name(const expr& e, eval_host& host) {
  if (!e.name.empty())
    return e.name;
  return host.collection_bind(e.value.get_ref<const std::string&>());
}

const json* evaluator::eval_ref(const expr& e, env& en, json& tmp) {
  switch (e.kind) {
    case expr_kind::literal:
      return &e.value;
    case expr_kind::variable:
      return &en[static_cast<size_t>(e.slot)];
    case expr_kind::bind:
      return &host_.bind_value(e.name);
    case expr_kind::attribute: {
      json t;
      auto base = eval_ref(*e.args[0], en, t);
      if (!base->is_object())
        return &null_value;
      auto it = base->find(e.name);
      if (it == base->end())
        return &null_value;
      if (base == &t) { // the base is a temporary: move the member out
        tmp = std::move(*it);
        return &tmp;
      }
      return &*it;
    }
    case expr_kind::index: {
      json t, ti;
      auto base = eval_ref(*e.args[0], en, t);
      auto idx = eval_ref(*e.args[1], en, ti);
      const json* found = &null_value;
      if (base->is_array() && idx->is_number()) {
        auto n = static_cast<int64_t>(base->size());
        auto i = static_cast<int64_t>(std::floor(idx->get<double>()));
        if (i < 0)
          i += n;
        if (i >= 0 && i < n)
          found = &(*base)[static_cast<size_t>(i)];
      } else if (base->is_object() && (idx->is_string() || idx->is_number())) {
        auto key = idx->is_string() ? idx->get<std::string>() : to_string(*idx);
        auto it = base->find(key);
        if (it != base->end())
          found = &*it;
      }
      if (base == &t && found != &null_value) {
        tmp = std::move(*const_cast<json*>(found));
        return &tmp;
      }
      return found;
    }
    default:
      tmp = eval(e, en);
      return &tmp;
  }
}

json evaluator::eval(const expr& e, env& en) {
  switch (e.kind) {
    case expr_kind::literal:
      return e.value;
    case expr_kind::variable:
    case expr_kind::bind:
    case expr_kind::attribute:
    case expr_kind::index: {
      json tmp;
      auto p = eval_ref(e, en, tmp);
      return p == &tmp ? std::move(tmp) : *p;
    }
    case expr_kind::collection:
      return host_.load_collection(collection_name(e, host_));
    case expr_kind::expand:
      return expand(e, en);
    case expr_kind::array: {
      json out = json::array();
      for (auto& a : e.args)
        out.push_back(eval(*a, en));
      return out;
    }
    case expr_kind::object:
      return object(e, en);
    case expr_kind::unary:
      return unary(e, en);
    case expr_kind::binary:
      return binary(e, en);
    case expr_kind::ternary: {
      auto c = eval(*e.args[0], en);
      if (truthy(c))
        return e.args[1] ? eval(*e.args[1], en) : c;
      return eval(*e.args[2], en);
    }
    case expr_kind::call:
      return call(e, en);
    case expr_kind::subquery:
      return host_.run_subquery(*e.sub, en);
  }
  return nullptr;
}

json evaluator::object(const expr& e, env& en) {
  json out = json::object();
  for (auto& m : e.members) {
    std::string key = m.key;
    if (m.key_expr) {
      auto k = eval(*m.key_expr, en);
      key = k.is_string() ? k.get<std::string>() : to_string(k);
    }
    out[key] = eval(*m.value, en);
  }
  return out;
}

json evaluator::expand(const expr& e, env& en) {
  json tmp;
  auto base = eval_ref(*e.args[0], en, tmp);
  json out = json::array();
  if (!base->is_array())
    return out;
  auto slot = static_cast<size_t>(e.slot);
  for (auto& item : *base) {
    if (!e.args[1]) {
      out.push_back(item);
      continue;
    }
    en[slot] = item;
    out.push_back(eval(*e.args[1], en));
  }
  return out;
}

json evaluator::unary(const expr& e, env& en) {
  json tmp;
  auto v = eval_ref(*e.args[0], en, tmp);
  switch (e.op) {
    case op_code::not_:
      return !truthy(*v);
    case op_code::neg:
      return number(-to_number(*v));
    default:
      return number(to_number(*v));
  }
}

json evaluator::binary(const expr& e, env& en) {
  // Logical operators short-circuit and return an operand (ArangoDB).
  if (e.op == op_code::and_ || e.op == op_code::or_) {
    auto l = eval(*e.args[0], en);
    bool t = truthy(l);
    if ((e.op == op_code::and_) != t)
      return l;
    return eval(*e.args[1], en);
  }
  json ta, tb;
  auto a = eval_ref(*e.args[0], en, ta);
  auto b = eval_ref(*e.args[1], en, tb);
  switch (e.op) {
    case op_code::eq:
      return equals(*a, *b);
    case op_code::ne:
      return !equals(*a, *b);
    case op_code::lt:
      return compare(*a, *b) < 0;
    case op_code::le:
      return compare(*a, *b) <= 0;
    case op_code::gt:
      return compare(*a, *b) > 0;
    case op_code::ge:
      return compare(*a, *b) >= 0;
    case op_code::in:
    case op_code::not_in: {
      bool found = false;
      if (b->is_array())
        for (auto& x : *b)
          if (equals(*a, x)) {
            found = true;
            break;
          }
      return e.op == op_code::in ? found : !found;
    }
    case op_code::like:
    case op_code::not_like: {
      auto text = a->is_string() ? a->get<std::string>() : to_string(*a);
      auto pat = b->is_string() ? b->get<std::string>() : to_string(*b);
      bool m = like_match(text, pat, false);
      return e.op == op_code::like ? m : !m;
    }
    case op_code::regex:
    case op_code::not_regex: {
      std::vector<json> args{*a, *b};
      auto m = call_function("REGEX_TEST", args);
      bool t = m.is_boolean() && m.get<bool>();
      return e.op == op_code::regex ? t : !t;
    }
    case op_code::range: {
      // Checked in double before any conversion: 0..1e30 must not overflow
      // into a "small" int64 range.
      double dlo = std::trunc(to_number(*a)), dhi = std::trunc(to_number(*b));
      if (!std::isfinite(dlo) || !std::isfinite(dhi) ||
          std::fabs(dhi - dlo) >= static_cast<double>(max_range))
        throw aql_error(error_kind::limit,
                        "range too large (limit " + std::to_string(max_range) +
                          " values)",
                        e.line, e.column);
      auto lo = static_cast<int64_t>(dlo);
      auto hi = static_cast<int64_t>(dhi);
      json out = json::array();
      for (auto i = lo;; i += lo <= hi ? 1 : -1) {
        out.push_back(i);
        if (i == hi)
          break;
      }
      return out;
    }
    default:
      break;
  }
  double x = to_number(*a), y = to_number(*b);
  switch (e.op) {
    case op_code::add:
      return number(x + y);
    case op_code::sub:
      return number(x - y);
    case op_code::mul:
      return number(x * y);
    case op_code::div:
      return y == 0 ? json(nullptr) : number(x / y);
    case op_code::mod:
      return y == 0 ? json(nullptr) : number(std::fmod(x, y));
    default:
      return nullptr;
  }
}

json evaluator::call(const expr& e, env& en) {
  std::vector<json> args;
  args.reserve(e.args.size());
  for (auto& a : e.args)
    args.push_back(eval(*a, en));
  try {
    return call_function(e.name, args);
  } catch (const aql_error& err) {
    if (err.line() != 0)
      throw;
    throw aql_error(err.kind(), err.what(), e.line, e.column);
  }
}

} // namespace themis::aql
