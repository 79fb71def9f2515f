#pragma once
/// The route table: which handler serves a method on a path. One place
/// for every path the server answers (ThemisDB's paths and themisd's own
/// versioned ones), kept apart from the router's admission logic.

#include <string>
#include <vector>

namespace themis {

struct route_context;

using handler_fn = void (*)(route_context&);

struct method_map {
  handler_fn get = nullptr, post = nullptr, put = nullptr, patch = nullptr,
             del = nullptr;
  /// ThemisDB's /health answers every method (its probes use HEAD and
  /// POST too); set for such routes.
  handler_fn any = nullptr;
};

/// Finds the handlers for a path split into segments; fills path
/// parameters and the route's low-cardinality label. `debug` and `faults`
/// switch on the debug crash and fault-injection routes.
bool match_route(const std::vector<std::string>& segments, bool debug,
                 bool faults, method_map& m, std::vector<std::string>& params,
                 std::string& label);

} // namespace themis
