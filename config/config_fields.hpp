#pragma once
/// Builders of configuration keys (config_settings*.cpp): each returns the
/// setter (with its range or shape check) and the getter of one member of
/// one section. Internal to the config library.

#include <algorithm>
#include <charconv>
#include <sstream>
#include <string>
#include <vector>

#include "config/config_settings.hpp"

namespace themis::config_detail {

inline std::optional<std::string> to_uint(const std::string& v, uint64_t lo,
                                          uint64_t hi, uint64_t& out) {
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (v.empty() || ec != std::errc{} || p != v.data() + v.size() || x < lo ||
      x > hi)
    return "expected an integer in [" + std::to_string(lo) + ", " +
           std::to_string(hi) + "], got '" + v + "'";
  out = x;
  return std::nullopt;
}

template <class T, class F>
field uint_field(T server_config::*sec, F T::*member, uint64_t lo,
                 uint64_t hi) {
  return {[=](server_config& c, const std::string& v) {
            uint64_t x = 0;
            if (auto err = to_uint(v, lo, hi, x))
              return err;
            (c.*sec).*member = static_cast<F>(x);
            return std::optional<std::string>{};
          },
          [=](const server_config& c) {
            return YAML::Node(std::to_string((c.*sec).*member));
          }};
}

template <class T>
field string_field(T server_config::*sec, std::string T::*member,
                   std::vector<std::string> allowed = {}) {
  return {[=](server_config& c, const std::string& v) {
            if (!allowed.empty() &&
                std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
              std::string all;
              for (auto& a : allowed)
                all += (all.empty() ? "" : "|") + a;
              return std::optional<std::string>("expected one of " + all +
                                                ", got '" + v + "'");
            }
            if (allowed.empty() && v.empty())
              return std::optional<std::string>("must not be empty");
            (c.*sec).*member = v;
            return std::optional<std::string>{};
          },
          [=](const server_config& c) { return YAML::Node((c.*sec).*member); }};
}

/// A WebSocket endpoint's path (issue 19): empty (off) or starting with
/// '/'.
template <class T>
field path_field(T server_config::*sec, std::string T::*member) {
  return {[=](server_config& c, const std::string& v) {
            if (!v.empty() && v[0] != '/')
              return std::optional<std::string>(
                "expected a path starting with '/', or empty to disable");
            (c.*sec).*member = v;
            return std::optional<std::string>{};
          },
          [=](const server_config& c) { return YAML::Node((c.*sec).*member); }};
}

template <class T>
field bool_field(T server_config::*sec, bool T::*member) {
  return {[=](server_config& c, const std::string& v) {
            if (v == "true" || v == "1" || v == "yes" || v == "on")
              (c.*sec).*member = true;
            else if (v == "false" || v == "0" || v == "no" || v == "off")
              (c.*sec).*member = false;
            else
              return std::optional<std::string>(
                "expected true or false, got '" + v + "'");
            return std::optional<std::string>{};
          },
          [=](const server_config& c) {
            return YAML::Node((c.*sec).*member ? "true" : "false");
          }};
}

template <class T>
field list_field(T server_config::*sec, std::vector<std::string> T::*member) {
  return {[=](server_config& c, const std::string& v) {
            std::vector<std::string> out;
            std::stringstream ss(v);
            std::string item;
            while (std::getline(ss, item, ',')) {
              auto b = item.find_first_not_of(" \t");
              auto e = item.find_last_not_of(" \t");
              if (b != std::string::npos)
                out.push_back(item.substr(b, e - b + 1));
            }
            (c.*sec).*member = std::move(out);
            return std::optional<std::string>{};
          },
          [=](const server_config& c) {
            YAML::Node n(YAML::NodeType::Sequence);
            for (auto& item : (c.*sec).*member)
              n.push_back(item);
            return n;
          }};
}

/// An absolute http(s) URL without a trailing '/', or empty (unset).
template <class T>
field url_field(T server_config::*sec, std::string T::*member) {
  return {[=](server_config& c, const std::string& v) {
            if (!v.empty() && v.rfind("https://", 0) != 0 &&
                v.rfind("http://", 0) != 0)
              return std::optional<std::string>("expected an http(s) URL");
            if (!v.empty() && v.back() == '/')
              return std::optional<std::string>("no trailing '/'");
            (c.*sec).*member = v;
            return std::optional<std::string>{};
          },
          [=](const server_config& c) { return YAML::Node((c.*sec).*member); }};
}

/// The identity sections' keys (oauth2.*, saml.*), in
/// config_settings_identity.cpp.
void add_identity_settings(std::map<std::string, field>& table);

} // namespace themis::config_detail
