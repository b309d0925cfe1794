// Background AOF rewrite (compaction): an incremental dump of the keyspace into a temp file that
// the shard drives a few keys per loop turn, merged with the writes that happen meanwhile, then
// renamed over the live AOF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "base/status.h"
#include "engine/keyspace.h"

namespace slotproxy::engine::aof {

// The keys a logged record touches (views into `args`); the server derives them from its command
// table. A record with no keys (FLUSHALL, FLUSHDB) is treated as touching every key.
using KeysOfFn = std::function<std::vector<std::string_view>(std::span<const std::string_view>)>;

// Counters for INFO persistence and tests.
struct RewriteStats {
  uint64_t keys_dumped = 0;       // keys written by the scan
  uint64_t keys_redumped = 0;     // keys rewritten whole because a record straddled the cursor
  uint64_t records_appended = 0;  // live records copied into the new file
  uint64_t records_dropped = 0;   // live records the dump will cover
  uint64_t blocks_appended = 0;   // MULTI/EXEC blocks written (two or more records inside)
  uint64_t bytes_written = 0;     // bytes in the new file, header included
};

// Redis's auto-aof-rewrite test: true when `percentage` > 0, `current_size` exceeds `min_size`
// and the file grew by at least `percentage` percent over `base_size` (the size after the last
// rewrite or load; 0 counts as 1).
bool ShouldRewrite(uint64_t current_size, uint64_t base_size, uint64_t percentage,
                   uint64_t min_size);

// One rewrite. Usage on the shard's thread:
//   Start; then every loop turn Step(n, now) until Done(); for every record the shard appends to
//   the live AOF meanwhile, OnLiveRecord(args) AFTER the write was applied to the keyspace
//   (expiry DELs included, even those that fire inside Step); then Finish(); then reopen the
//   AofWriter on the live path (records the old writer still flushes go to the replaced inode,
//   which is harmless: OnLiveRecord already put them in the new file where they belong).
// Correctness: for each key the new file holds either nothing yet (not dumped: the scan will
// read its state later, so live records on it are dropped) or its state at dump time followed by
// every later record on it, in order. A record whose keys are partly dumped cannot be split, so
// those keys are re-dumped whole in their current state (DEL + full dump for the dumped ones) and
// the record itself is dropped. Keyless records (FLUSHALL) are appended.
// Cost: Step's work is about `max_keys` keys (Keyspace::ScanEntries may take more to finish a
// hash bucket), but one huge key is dumped whole, in Step or in OnLiveRecord's re-dump; file
// writes happen in Step, in OnLiveRecord past 1 MB pending, and in Finish, on the caller's thread.
class AofRewriter {
 public:
  // Elements (or field/value, score/member pairs) per dumped command, as Redis's
  // AOF_REWRITE_ITEMS_PER_CMD.
  static constexpr size_t kItemsPerCommand = 64;
  // Bytes written to the temp file between two writeback starts (Redis's REDIS_AUTOSYNC_BYTES).
  static constexpr uint64_t kSyncEvery = uint64_t{4} << 20;

  // Creates `aof_path` + ".rewrite.tmp" (truncating any leftover) holding the file header.
  // `keyspace` must outlive the rewriter; `slot_of` must be the keyspace's slot function. Error:
  // the OS error naming the temp path.
  static Result<std::unique_ptr<AofRewriter>> Start(Keyspace* keyspace, SlotFunction slot_of,
                                                    std::string aof_path, KeysOfFn keys_of);

  // Removes the temp file unless Finish succeeded.
  ~AofRewriter();
  AofRewriter(const AofRewriter&) = delete;
  AofRewriter& operator=(const AofRewriter&) = delete;

  // Dumps about `max_keys` more keys (keys whose TTL passed at `now_ms` are skipped and deleted
  // by the keyspace) and writes the pending bytes to the temp file. Returns Done(). Error: a
  // write failed; the rewrite is then unusable (destroy it).
  Result<bool> Step(size_t max_keys, int64_t now_ms);
  // True when every key was dumped; only Finish remains.
  bool Done() const { return done_; }

  // Takes one record the shard just appended to the live AOF (see the class comment).
  void OnLiveRecord(std::span<const std::string_view> args);

  // The live AOF opened (BeginBlock) / closed (EndBlock) a MULTI/EXEC block: what the records in
  // between put into the new file (their own copies, re-dumps) is wrapped in MULTI ... EXEC when
  // it is two or more records, so a block stays atomic in the new file too. Pairs nest (the
  // outermost counts); an EndBlock without BeginBlock (a rewrite started inside a transaction)
  // is ignored.
  void BeginBlock();
  void EndBlock();

  // Runs after the temp file is complete and synced, right before the rename: the shard opens
  // its new AofWriter on temp_path() here, so the writer's descriptor already points at the
  // file that becomes the live AOF (no window where records go to a replaced inode, and no
  // reopen that could fail after the rename). Error: Finish fails and renames nothing.
  using BeforeRenameFn = std::function<Status()>;

  // Requires Done() and no open block. Writes what is pending, fsyncs the temp file, runs
  // `before_rename` (when set), renames the temp file over the live AOF path and fsyncs the
  // directory. Returns the new file's size (the next ShouldRewrite base). Error: the OS error or
  // before_rename's; the live AOF is then untouched (unless the directory sync failed, after the
  // rename).
  Result<uint64_t> Finish(const BeforeRenameFn& before_rename = nullptr);

  // True once Finish renamed the temp file over the live AOF (even if the directory sync after
  // it failed: the new file is live then).
  bool renamed() const { return finished_; }
  const RewriteStats& stats() const { return stats_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  AofRewriter(Keyspace* keyspace, SlotFunction slot_of, std::string aof_path, std::string temp_path,
              KeysOfFn keys_of, int fd);

  // True when the new file already holds `key`'s state (so later records on it must follow).
  bool Dumped(std::string_view key) const;
  // Appends the commands rebuilding `e` (value, then PEXPIREAT when it has a TTL).
  void DumpEntry(const Entry* e);
  // Appends one record.
  void Emit(std::span<const std::string_view> args);
  // Where records go now: the open block's buffer, else pending_.
  std::string* Out() { return block_depth_ > 0 ? &block_ : &pending_; }
  // Re-dumps every key of a record that straddles the cursor in its current state.
  void Redump(const std::vector<std::string_view>& keys);
  // Writes `pending_` to the temp file, starting the writeback (sync_file_range, no wait) every
  // kSyncEvery bytes so Finish's final fsync (on the loop thread) has little left to flush
  // (Redis's aof-rewrite-incremental-fsync, which Redis can afford to wait for in its child).
  Status WritePending();

  Keyspace* keyspace_;
  SlotFunction slot_of_;
  std::string aof_path_;
  std::string temp_path_;
  KeysOfFn keys_of_;
  int fd_;
  uint64_t cursor_ = 0;  // keys with a scan position below it are dumped
  bool done_ = false;
  bool finished_ = false;
  absl::flat_hash_set<std::string> forced_;  // keys dumped ahead of the scan
  std::string pending_;                      // encoded records not yet written
  int block_depth_ = 0;                      // open BeginBlock calls
  std::string block_;                        // records emitted inside the open block
  uint64_t unsynced_ = 0;                    // bytes written since the last writeback start
  RewriteStats stats_;
};

}  // namespace slotproxy::engine::aof
