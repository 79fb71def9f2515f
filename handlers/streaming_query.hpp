#pragma once
/// Streamed AQL results (issue 22, docs/rest-api.md "Streaming"): rows go
/// out as they are produced, with chunked transfer encoding (HTTP/1.1) or
/// DATA frames (HTTP/2), paced by the client's reading: the query runs on
/// a worker thread and blocks when its bounded buffer is full; the
/// connection's stream takes from the buffer only while the bytes queued
/// for the client stay under a bound. Memory per stream is bounded
/// whatever the result's size; the query ends when the client goes away.

#include <string>

#include <nlohmann/json.hpp>

#include "handlers/route_context.hpp"

namespace themis {

enum class stream_format { ndjson, csv, json_array };

/// The format a query request asks for: `Accept: application/x-ndjson`
/// or `text/csv`, or `?stream=true` (a JSON array); false if none.
bool streamed_format_of(const api_request& req, stream_format& out);

/// POST /query/aql and /v1/query when streamed_format_of says so: parses
/// the query (a syntax error is a plain 400), answers the head and streams.
void query_streamed(route_context& ctx, stream_format fmt);

/// Streams the rows of `query` (already checked by the caller) with
/// `bind` in `fmt`, for the request's principal; used by the export.
void stream_query_rows(route_context& ctx, const std::string& query,
                       nlohmann::json bind, stream_format fmt);

} // namespace themis
