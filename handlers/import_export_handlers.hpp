#pragma once
/// Bulk import and export of a collection (issue 22, docs/rest-api.md):
/// POST /v1/collections/{c}/import (NDJSON, a JSON array or CSV by
/// Content-Type) in group commits of bounded batches with a count and
/// per-line errors in the answer; GET /v1/collections/{c}/export (NDJSON,
/// CSV or a JSON array by Accept or ?format=) streamed with backpressure.

#include "handlers/route_context.hpp"

namespace themis {

void collection_import(route_context& ctx);
void collection_export(route_context& ctx);

} // namespace themis
