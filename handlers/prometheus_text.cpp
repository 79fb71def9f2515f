#include "handlers/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace themis {

void prometheus_text::family(std::string_view name, std::string_view type,
                             std::string_view help) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  // HELP escapes backslash and newline only
  for (char c : help) {
    if (c == '\\')
      out_ += "\\\\";
    else if (c == '\n')
      out_ += "\\n";
    else
      out_ += c;
  }
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type;
  out_ += '\n';
}

void prometheus_text::escape(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

void prometheus_text::number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc{} ? p : buf);
}

void prometheus_text::head(std::string_view name,
                           std::initializer_list<label> labels) {
  out_ += name;
  if (labels.size() != 0) {
    out_ += '{';
    bool first = true;
    for (auto& [k, v] : labels) {
      if (!first)
        out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"";
      escape(out_, v);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
}

void prometheus_text::sample(std::string_view name, double v,
                             std::initializer_list<label> labels) {
  head(name, labels);
  number(out_, v);
  out_ += '\n';
}

void prometheus_text::sample(std::string_view name, uint64_t v,
                             std::initializer_list<label> labels) {
  head(name, labels);
  out_ += std::to_string(v);
  out_ += '\n';
}

void prometheus_text::sample(std::string_view name, int64_t v,
                             std::initializer_list<label> labels) {
  head(name, labels);
  out_ += std::to_string(v);
  out_ += '\n';
}

} // namespace themis
