#pragma once
/// Plain-text tables for themisctl's human output: columns padded to the
/// widest cell, a header row in capitals.

#include <string>
#include <vector>

namespace themisctl {

class table {
public:
  explicit table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string render() const;

private:
  std::vector<std::vector<std::string>> rows_;
};

/// "2026-01-02 03:04:05" (UTC) of epoch milliseconds; "-" for 0.
std::string utc_time(long long ms);

} // namespace themisctl
