#pragma once
/// Writes the Prometheus text exposition format (0.0.4): one HELP and TYPE
/// per family before its samples, label values escaped. Families rendered
/// by different owners (the registry, the MQTT broker, the engine, the
/// process) all go through it, so the output stays valid as it grows.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace themis {

class prometheus_text {
public:
  using label = std::pair<std::string_view, std::string_view>;

  /// Starts a family: `type` is counter, gauge, histogram or untyped.
  void family(std::string_view name, std::string_view type,
              std::string_view help);
  void sample(std::string_view name, double v,
              std::initializer_list<label> labels = {});
  void sample(std::string_view name, uint64_t v,
              std::initializer_list<label> labels = {});
  void sample(std::string_view name, int64_t v,
              std::initializer_list<label> labels = {});
  /// A family of one sample without labels.
  template <class T>
  void single(std::string_view name, std::string_view type,
              std::string_view help, T v) {
    family(name, type, help);
    sample(name, v);
  }

  std::string& str() { return out_; }

  /// `v` as a label value: backslash, double quote and newline escaped.
  static void escape(std::string& out, std::string_view v);
  /// Shortest text that reads back as `v` ("+Inf", "NaN" as Prometheus
  /// spells them).
  static void number(std::string& out, double v);

private:
  void head(std::string_view name, std::initializer_list<label> labels);
  std::string out_;
};

} // namespace themis
