/// ArangoDB document operations planned as engine writes (issue 22). The
/// engine's own insert/replace/remove and its _rev precondition do the
/// work; an update (ArangoDB's keepNull/mergeObjects are not RFC 7396's
/// merge patch) reads the document, merges here and replaces it on the
/// condition that its _rev is still the one read, so a concurrent write
/// is a conflict, never a lost update.

#include "handlers/arango_doc_ops.hpp"

#include "engine/names.hpp"
#include "engine/reader_pool.hpp"
#include "handlers/arango_util.hpp"
#include "handlers/http_json.hpp"

namespace themis {

namespace {

using json = nlohmann::json;
using engine::op_kind;
using engine::op_status;

bool system_attribute(const std::string& k) {
  return k == "_key" || k == "_rev" || k == "_id";
}

arango_planned refused(int status, int num, std::string msg) {
  arango_planned p;
  p.err_status = status;
  p.err_num = num;
  p.err_msg = std::move(msg);
  return p;
}

/// Reads `key`; fills `p.old` when it exists.
void read_old(engine::reader_pool& reader, const std::string& stored,
              const std::string& key, arango_planned& p) {
  if (auto d = reader.get(stored, key)) {
    p.old = json::parse(d->json, nullptr, false);
    p.has_old = p.old.is_object();
  }
}

/// The user's document as the engine takes it: system attributes but
/// _key removed (the engine sets _key and _rev itself).
std::string body_text(json doc) {
  doc.erase("_id");
  doc.erase("_rev");
  return dump(doc);
}

} // namespace

arango_write_opts arango_read_write_opts(const api_request& req) {
  arango_write_opts o;
  o.return_new = arango_flag(req, "returnNew", false);
  o.return_old = arango_flag(req, "returnOld", false);
  o.silent = arango_flag(req, "silent", false);
  o.wait_for_sync = arango_flag(req, "waitForSync", false);
  o.keep_null = arango_flag(req, "keepNull", true);
  o.merge_objects = arango_flag(req, "mergeObjects", true);
  o.ignore_revs = arango_flag(req, "ignoreRevs", true);
  o.overwrite_mode = query_param(req.query, "overwriteMode").value_or("");
  if (o.overwrite_mode.empty() && arango_flag(req, "overwrite", false))
    o.overwrite_mode = "replace";
  return o;
}

json arango_merge(json doc, const json& patch, bool keep_null,
                  bool merge_objects) {
  if (!doc.is_object())
    doc = json::object();
  for (auto& [k, v] : patch.items()) {
    if (system_attribute(k))
      continue;
    if (v.is_null() && !keep_null) {
      doc.erase(k);
    } else if (v.is_object() && merge_objects) {
      auto it = doc.find(k);
      doc[k] =
        arango_merge(it != doc.end() && it->is_object() ? *it : json::object(),
                     v, keep_null, merge_objects);
    } else {
      doc[k] = v;
    }
  }
  return doc;
}

arango_planned arango_plan_insert(engine::reader_pool& reader,
                                  const std::string& stored, json doc,
                                  const arango_write_opts& opts) {
  using namespace arango_errnum;
  if (!doc.is_object())
    return refused(400, document_type_invalid, "invalid document type");
  std::string key;
  if (auto k = doc.find("_key"); k != doc.end()) {
    if (!k->is_string() || !engine::valid_key(k->get<std::string>()))
      return refused(400, document_key_bad, "illegal document key");
    key = k->get<std::string>();
  }
  auto& mode = opts.overwrite_mode;
  if (!mode.empty() && mode != "conflict" && mode != "replace" &&
      mode != "update" && mode != "ignore")
    return refused(400, bad_parameter, "invalid overwriteMode: " + mode);
  arango_planned p;
  p.op.collection = stored;
  p.op.kind = op_kind::insert;
  p.op.key = key;
  if (!key.empty() && !mode.empty() && mode != "conflict")
    read_old(reader, stored, key, p);
  if (p.has_old && mode == "ignore") {
    p.skip = true;
    return p;
  }
  if (p.has_old) {
    // replace and update only touch the document that was read
    p.op.kind = op_kind::replace;
    p.op.if_match = p.old.value("_rev", std::string());
    p.own_if_match = true;
    p.updated = true;
    if (mode == "update")
      doc = arango_merge(p.old, doc, opts.keep_null, opts.merge_objects);
  }
  p.op.doc = body_text(std::move(doc));
  return p;
}

arango_planned
arango_plan_write(engine::reader_pool& reader, const std::string& stored,
                  const std::string& method, const std::string& key, json body,
                  std::string if_match, const arango_write_opts& opts) {
  using namespace arango_errnum;
  if (!engine::valid_key(key))
    return refused(400, document_key_bad, "illegal document key");
  bool remove = method == "DELETE";
  if (!remove && !body.is_object())
    return refused(400, document_type_invalid, "invalid document type");
  if (!remove && !opts.ignore_revs && if_match.empty())
    if (auto r = body.find("_rev"); r != body.end() && r->is_string())
      if_match = r->get<std::string>();
  arango_planned p;
  p.op.collection = stored;
  p.op.key = key;
  p.op.kind = remove ? op_kind::remove : op_kind::replace;
  p.op.if_match = if_match;
  bool update = method == "PATCH";
  if (update || opts.return_old || remove) {
    read_old(reader, stored, key, p);
    if (!p.has_old) {
      if (!reader.collection_exists(stored))
        return refused(404, collection_not_found,
                       "collection or view not found");
      return refused(404, document_not_found, "document not found");
    }
    auto rev = p.old.value("_rev", std::string());
    if (!if_match.empty() && if_match != rev)
      return refused(412, conflict, "conflict, _rev values do not match");
    p.op.if_match = rev;
    p.own_if_match = if_match.empty();
  }
  if (update)
    body = arango_merge(p.old, body, opts.keep_null, opts.merge_objects);
  if (!remove)
    p.op.doc = body_text(std::move(body));
  p.updated = !remove;
  return p;
}

arango_outcome arango_outcome_of(const arango_planned& p,
                                 const engine::op_result* r,
                                 const std::string& shown,
                                 const arango_write_opts& opts) {
  arango_outcome out;
  if (p.err_status) {
    out.status = p.err_status;
    out.err_num = p.err_num;
    out.body = p.err_msg;
    return out;
  }
  if (p.skip) {
    out.ok = true;
    auto key = p.old.value("_key", std::string());
    out.body = {{"_id", shown + "/" + key},
                {"_key", key},
                {"_rev", p.old.value("_rev", std::string())}};
    return out;
  }
  if (!r)
    return {false, 503, 503, "write not executed"};
  auto status = http_status(r->status);
  if (status >= 400) {
    out.status = status;
    out.err_num = arango_errnum_of(r->status, r->message);
    out.body = r->message;
    if (r->status == op_status::precondition_failed && p.own_if_match) {
      // the document changed between our read and the write
      out.status = 409;
      out.err_num = arango_errnum::conflict;
      out.body = "write-write conflict: the document changed; retry";
    } else if (r->status == op_status::precondition_failed &&
               out.err_num == arango_errnum::conflict) {
      out.body = "conflict, _rev values do not match";
    } else if (r->status == op_status::conflict) {
      out.body = "unique constraint violated - in index primary of type "
                 "primary over '_key'; conflicting key: " +
                 r->key;
    }
    return out;
  }
  out.ok = true;
  out.body = {
    {"_id", shown + "/" + r->key}, {"_key", r->key}, {"_rev", r->rev}};
  if (p.has_old)
    out.body["_oldRev"] = p.old.value("_rev", std::string());
  if (p.op.kind == op_kind::remove && p.has_old)
    out.body["_rev"] = p.old.value("_rev", std::string());
  if (opts.return_new && !r->doc.empty())
    out.body["new"] = arango_document(r->doc, shown);
  if (opts.return_old && p.has_old) {
    auto old = p.old;
    old["_id"] = shown + "/" + r->key;
    out.body["old"] = std::move(old);
  }
  return out;
}

} // namespace themis
