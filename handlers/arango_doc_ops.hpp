#pragma once
/// How one ArangoDB document operation (insert with an overwriteMode,
/// replace, update, remove) becomes one engine write: the plan, and its
/// answer once the writer has committed it. Shared by /_api/document and
/// /_api/import (issue 22).

#include <string>

#include <nlohmann/json.hpp>

#include "engine/read_types.hpp"
#include "engine/write_types.hpp"
#include "handlers/handler_env.hpp"

namespace themis {

/// ArangoDB's query options of a document write.
struct arango_write_opts {
  bool return_new = false;
  bool return_old = false;
  bool silent = false;
  bool wait_for_sync = false;
  bool keep_null = true;
  bool merge_objects = true;
  bool ignore_revs = true;
  /// "" (plain insert), conflict, replace, update, ignore
  std::string overwrite_mode;
};

arango_write_opts arango_read_write_opts(const api_request& req);

/// One planned document write.
struct arango_planned {
  engine::write_op op;
  nlohmann::json old; ///< the document before (returnOld, _oldRev)
  bool has_old = false;
  /// The precondition is ours (an update read the document first): a
  /// failure means a concurrent write, ArangoDB's 409 write-write conflict.
  bool own_if_match = false;
  bool skip = false;    ///< overwriteMode ignore hit an existing document
  bool updated = false; ///< replaced or updated an existing document
  int err_status = 0;   ///< refused before the write (0: none)
  int err_num = 0;
  std::string err_msg;
};

/// ArangoDB's update: `patch` merged into `doc` (keepNull, mergeObjects);
/// system attributes of `patch` are ignored. Depth is bounded by the
/// parser's limits.max_json_depth.
nlohmann::json arango_merge(nlohmann::json doc, const nlohmann::json& patch,
                            bool keep_null, bool merge_objects);

/// An insert of `doc` into `stored` under `opts.overwrite_mode`; reads the
/// current document when the mode needs it.
arango_planned arango_plan_insert(engine::reader_pool& reader,
                                  const std::string& stored, nlohmann::json doc,
                                  const arango_write_opts& opts);

/// PUT (replace), PATCH (update) or DELETE (remove) of `key`; `if_match`
/// is the client's expected _rev ("" for none).
arango_planned arango_plan_write(engine::reader_pool& reader,
                                 const std::string& stored,
                                 const std::string& method,
                                 const std::string& key, nlohmann::json body,
                                 std::string if_match,
                                 const arango_write_opts& opts);

/// The outcome of one planned write: `ok` and the answer object (document
/// metadata with new/old as asked), or the HTTP status, errorNum and
/// message of its failure.
struct arango_outcome {
  bool ok = false;
  int status = 0;
  int err_num = 0;
  nlohmann::json body;
};

arango_outcome arango_outcome_of(const arango_planned& p,
                                 const engine::op_result* r,
                                 const std::string& shown,
                                 const arango_write_opts& opts);

} // namespace themis
