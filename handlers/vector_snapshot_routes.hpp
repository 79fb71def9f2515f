#pragma once
/// ThemisDB's vector index maintenance routes (issue 32, docs/vector.md),
/// in handlers/vector_handlers.cpp: POST /vector/index/save and
/// /vector/index/load ({"directory"} → {"message", "directory"}, the
/// directory taken relative to <data_dir>/vector_snapshots/<tenant>/),
/// DELETE /vector/by-filter ({"pks"} or {"prefix"} → {"deleted",
/// "method"}: the vectors' attribute removed from those documents).

#include "handlers/route_context.hpp"

namespace themis {

void vector_index_save_load(route_context& ctx);  ///< POST save | load
void vector_delete_by_filter(route_context& ctx); ///< DELETE /vector/by-filter

} // namespace themis
