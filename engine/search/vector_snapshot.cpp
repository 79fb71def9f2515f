/// POST /vector/index/save and /vector/index/load (ThemisDB's names,
/// issue 32, docs/vector.md): a vector index's HNSW graph and key table
/// written to a directory now, and read back into the running index.
///
/// A snapshot is `<dir>/<file>.hnsw` (+ `.keys`, vector_index::save) and
/// `<file>.json` naming the collection, attribute, dimension, metric and
/// the change-log sequence the index had applied when it was written.
/// Loading refuses a snapshot of another collection/attribute/dimension/
/// metric or unreadable files; otherwise the loaded index replaces the
/// live one as a new entry (the old one is marked dropped, so the applier
/// thread, which may be applying to it right now, leaves it and picks the
/// new one up on its next round) and replays the change log from the
/// snapshot's sequence — replay is idempotent — or is rebuilt when
/// retention has deleted those events. A search that was waiting on the
/// replaced entry gets 404 and is retried by the client.

#include <filesystem>
#include <fstream>

#include "engine/search/search_entry.hpp"
#include "engine/search/search_service.hpp"

namespace themis::search {

namespace {

/// The snapshot's file stem for an index: its collection and attribute,
/// with anything but [A-Za-z0-9_-] as '_' (the .json says exactly).
std::string stem_of(const index_def& d) {
  std::string s = "vector_" + d.collection + "_" + d.attribute;
  for (auto& c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '-'))
      c = '_';
  return s;
}

nlohmann::json meta_of(const index_def& d, uint64_t applied, size_t count) {
  return {{"collection", d.collection},
          {"attribute", d.attribute},
          {"dimension", d.dimension},
          {"metric", std::string(vector::metric_name(d.metric))},
          {"applied_seq", applied},
          {"count", count}};
}

} // namespace

nlohmann::json search_service::save_vector_snapshot(uint64_t id,
                                                    const std::string& dir) {
  auto e = find(id);
  std::shared_ptr<vector::vector_index> vec;
  uint64_t applied = 0;
  {
    std::lock_guard lock(mtx_);
    if (e->def.kind != index_kind::vector)
      throw search_error(400, "not a vector index");
    if (e->state != entry_ready || !e->vec)
      throw search_error(
        409, "the index is not ready (" +
               std::string(e->state == entry_building ? "building" : "failed") +
               ")");
    vec = e->vec;
    // read before the graph: it holds at least these events
    applied = e->applied;
  }
  std::filesystem::create_directories(dir);
  auto base = (std::filesystem::path(dir) / stem_of(e->def)).string();
  vec->save(base + ".hnsw");
  auto meta = meta_of(e->def, applied, vec->live_count());
  auto tmp = base + ".json.tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << meta.dump();
    if (!f)
      throw search_error(500, "could not write " + tmp);
  }
  std::filesystem::rename(tmp, base + ".json");
  return meta;
}

nlohmann::json search_service::load_vector_snapshot(uint64_t id,
                                                    const std::string& dir) {
  auto old = find(id);
  auto& d = old->def;
  if (d.kind != index_kind::vector)
    throw search_error(400, "not a vector index");
  auto base = (std::filesystem::path(dir) / stem_of(d)).string();
  std::ifstream f(base + ".json");
  if (!f)
    throw search_error(404, "no snapshot of this index in the directory");
  auto meta = nlohmann::json::parse(f, nullptr, false);
  if (!meta.is_object() || !meta["applied_seq"].is_number_unsigned())
    throw search_error(400, "the snapshot's description is unreadable");
  auto want = meta_of(d, 0, 0);
  for (auto* k : {"collection", "attribute", "dimension", "metric"})
    if (meta[k] != want[k])
      throw search_error(400, std::string("the snapshot does not match the "
                                          "index: its ") +
                                k + " is " + meta[k].dump() + ", the index's " +
                                want[k].dump());
  auto applied = meta["applied_seq"].get<uint64_t>();
  if (applied > current_sequence())
    throw search_error(400, "the snapshot is newer than this store");
  auto fresh = make_vector(d);
  if (!fresh->load(base + ".hnsw"))
    throw search_error(400, "the snapshot's files are missing, truncated or "
                            "do not match the index definition");
  auto e = std::make_shared<entry>();
  e->def = d;
  e->vec = fresh;
  e->entries = fresh->live_count();
  e->applied = applied;
  e->state = entry_ready;
  e->dirty = true; // saved as the index's own file on the next round
  {
    std::lock_guard lock(mtx_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second != old)
      throw search_error(409, "the index changed while loading; retry");
    old->dropped = true;
    it->second = e;
    kick_ = true;
  }
  work_cv_.notify_all();
  applied_cv_.notify_all();
  meta["loaded"] = fresh->live_count();
  return meta;
}

} // namespace themis::search
