#include "engine/names.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

#include "engine/write_types.hpp"
#include "themis/principal.hpp"

namespace themis::engine {

bool valid_collection_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '-')
    return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

bool valid_stored_collection_name(std::string_view name) {
  auto dot = name.find('.');
  if (dot == std::string_view::npos)
    return valid_collection_name(name);
  // the namespace: a tenant's id, or a database's name (CREATE DATABASE,
  // issue 36: also '_', up to 63 characters)
  auto ns = name.substr(0, dot);
  bool db_name = !ns.empty() && ns.size() <= 63 && ns.front() != '-' &&
                 std::all_of(ns.begin(), ns.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                          c == '_' || c == '-';
                 });
  return (valid_tenant_id(ns) || db_name) &&
         valid_collection_name(name.substr(dot + 1));
}

std::string collection_of_themisdb_table(std::string_view table) {
  if (table.find('.') == std::string_view::npos)
    return valid_collection_name(table) ? std::string(table) : std::string();
  std::string out;
  size_t i = 0;
  while (true) {
    auto dot = table.find('.', i);
    auto seg = table.substr(i, dot == std::string_view::npos ? dot : dot - i);
    if (!valid_collection_name(seg) || seg.back() == '_' ||
        seg.find("__") != std::string_view::npos)
      return {};
    if (!out.empty())
      out += "__";
    out += seg;
    if (dot == std::string_view::npos)
      break;
    i = dot + 1;
  }
  return valid_collection_name(out) ? out : std::string();
}

std::string themisdb_table_of(std::string_view collection) {
  std::string out;
  for (size_t i = 0; i < collection.size(); ++i) {
    if (collection[i] == '_' && i + 1 < collection.size() &&
        collection[i + 1] == '_' && i > 0) {
      out += '.';
      ++i;
    } else {
      out += collection[i];
    }
  }
  // a native name such as "x__" that no dotted table maps to stays itself
  return collection_of_themisdb_table(out) == collection
           ? out
           : std::string(collection);
}

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 254)
    return false;
  static constexpr std::string_view extra = "_-:.@()+,=;$!*'%";
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || extra.find(c) != std::string_view::npos;
    if (!ok)
      return false;
  }
  return true;
}

std::string generate_key() {
  static std::atomic<uint32_t> counter{0};
  static const uint32_t salt = std::random_device{}();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%011llx%06x%08x",
                static_cast<unsigned long long>(ms),
                counter.fetch_add(1) & 0xffffff, salt);
  return buf;
}

const char* to_string(op_status s) {
  switch (s) {
    case op_status::ok:
      return "ok";
    case op_status::created:
      return "created";
    case op_status::not_found:
      return "not_found";
    case op_status::collection_not_found:
      return "collection_not_found";
    case op_status::conflict:
      return "conflict";
    case op_status::precondition_failed:
      return "precondition_failed";
    case op_status::invalid:
      return "invalid";
    case op_status::not_executed:
      return "not_executed";
    case op_status::internal:
      return "internal";
  }
  return "unknown";
}

} // namespace themis::engine
