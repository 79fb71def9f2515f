#pragma once
/// Atoms and message types exchanged between the actors. Message types are
/// plain structs from include/ and engine/; CAF 0.17 needs them declared
/// (no type IDs): local-only messages are allowed unsafely here.

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <memory>
#include <string>
#include <vector>

#include "actors/sql_tx.hpp"
#include "engine/read_types.hpp"
#include "engine/write_types.hpp"
#include "handlers/change_filter.hpp"
#include "handlers/job_service.hpp"
#include "themis/api_message.hpp"

namespace themis {

class tcp_connection;

using write_atom = caf::atom_constant<caf::atom("t_write")>;
using flush_atom = caf::atom_constant<caf::atom("t_flush")>;
using data_atom = caf::atom_constant<caf::atom("t_data")>;
using closed_atom = caf::atom_constant<caf::atom("t_closed")>;
using tick_atom = caf::atom_constant<caf::atom("t_tick")>;
using drain_atom = caf::atom_constant<caf::atom("t_drain")>;
using accept_atom = caf::atom_constant<caf::atom("t_accept")>;
using crash_atom = caf::atom_constant<caf::atom("t_crash")>;
using publish_atom = caf::atom_constant<caf::atom("t_publish")>;
using wait_atom = caf::atom_constant<caf::atom("t_wait")>;
using subscribe_atom = caf::atom_constant<caf::atom("t_sub")>;
using compact_atom = caf::atom_constant<caf::atom("t_compact")>;
using unsub_atom = caf::atom_constant<caf::atom("t_unsub")>;
using stream_tick_atom = caf::atom_constant<caf::atom("t_stick")>;
using backfill_atom = caf::atom_constant<caf::atom("t_backfil")>;
using ws_ping_atom = caf::atom_constant<caf::atom("t_wsping")>;
using ws_timeout_atom = caf::atom_constant<caf::atom("t_wsto")>;
using ws_backfill_atom = caf::atom_constant<caf::atom("t_wsbf")>;
using ask_atom = caf::atom_constant<caf::atom("t_ask")>;
using drain_check_atom = caf::atom_constant<caf::atom("t_drainck")>;
using run_atom = caf::atom_constant<caf::atom("t_run")>;
using job_done_atom = caf::atom_constant<caf::atom("t_jobdone")>;
using sweep_atom = caf::atom_constant<caf::atom("t_sweep")>;
using wait_timeout_atom = caf::atom_constant<caf::atom("t_waitto")>;
using sql_tx_atom = caf::atom_constant<caf::atom("t_sqltx")>;
using pin_check_atom = caf::atom_constant<caf::atom("t_pinchk")>;
using unpin_atom = caf::atom_constant<caf::atom("t_unpin")>;
using mqtt_deliver_atom = caf::atom_constant<caf::atom("t_mqdeliv")>;
using mqtt_takeover_atom = caf::atom_constant<caf::atom("t_mqtake")>;
using save_blob_atom = caf::atom_constant<caf::atom("t_saveblb")>;
using mqtt_resume_atom = caf::atom_constant<caf::atom("t_mqresum")>;

/// Events of one group commit, from the store writer to the hub.
using event_batch = std::shared_ptr<const std::vector<engine::change_event>>;
/// The same events rendered once, shared read-only by every subscriber.
using published_batch = std::shared_ptr<const published_events>;

using connection_ptr = std::shared_ptr<tcp_connection>;

} // namespace themis

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::engine::write_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::engine::write_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::connection_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::event_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::published_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::api_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::api_response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::job_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::sql_tx_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(themis::sql_tx_reply)
