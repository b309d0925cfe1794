// AofRewriteDriver: one shard's background AOF rewrite (BGREWRITEAOF and the automatic trigger)
// around engine::aof::AofRewriter: it starts a rewrite, feeds it the live records, advances it a
// bounded number of keys per call, finishes it by handing back a writer already open on the new
// file, and keeps the counters INFO persistence reports. No loop, no clock: the owner
// (Persistence) calls Step once per loop turn and passes the time in, so tests drive it directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "command/command_table.h"
#include "engine/aof/aof_file.h"
#include "engine/aof/aof_rewrite.h"
#include "engine/keyspace.h"

namespace slotproxy::server {

struct RewriteOptions {
  // auto-aof-rewrite-percentage: rewrite once the file grew by this much over its size after the
  // last rewrite (or load); 0: never automatically.
  uint64_t auto_percentage = 100;
  // auto-aof-rewrite-min-size: ... and is bigger than this.
  uint64_t auto_min_size = uint64_t{64} << 20;
  // Keys dumped per Step (one loop turn): bounds how long one turn spends on the rewrite.
  size_t keys_per_step = 256;
};

// The rewrite fields of INFO persistence, as Redis 7.0 names them.
struct RewriteInfo {
  bool in_progress = false;           // aof_rewrite_in_progress
  int64_t last_time_sec = -1;         // aof_last_rewrite_time_sec (-1: none yet)
  int64_t current_time_sec = -1;      // aof_current_rewrite_time_sec (-1: none running)
  bool last_ok = true;                // aof_last_bgrewrite_status ok / err
  uint64_t rewrites = 0;              // aof_rewrites (rewrites that got going, as Redis counts)
  uint64_t consecutive_failures = 0;  // aof_rewrites_consecutive_failures
  uint64_t base_size = 0;             // aof_base_size
};

// The keys of a logged record, found through `table`'s key specs (Redis's getKeysFromCommand);
// none for a keyless or unknown command. `table` must outlive the returned function.
engine::aof::KeysOfFn KeysFromCommandTable(const command::CommandTable& table);

class AofRewriteDriver {
 public:
  enum class StartResult { kStarted, kAlreadyInProgress, kFailed };

  // Redis's aofRewriteLimited: after this many consecutive failures automatic rewrites wait
  // 1 minute, then 2, 4, ... up to kMaxBackoffMinutes between attempts. BGREWRITEAOF is never
  // held back.
  static constexpr uint64_t kBackoffThreshold = 3;
  static constexpr int64_t kMaxBackoffMinutes = 60;

  // `aof_path` is the live file; `policy` is the one the new writer gets. `keyspace` (with its
  // slot function) must outlive the driver.
  AofRewriteDriver(std::string aof_path, engine::aof::FsyncPolicy policy, RewriteOptions options,
                   engine::Keyspace* keyspace, engine::SlotFunction slot_of,
                   engine::aof::KeysOfFn keys_of);
  AofRewriteDriver(const AofRewriteDriver&) = delete;
  AofRewriteDriver& operator=(const AofRewriteDriver&) = delete;

  // Starts a rewrite at `now_ms` (wall clock). kAlreadyInProgress when one runs; kFailed when
  // the temp file cannot be created (logged on stderr, counted as a failed rewrite).
  StartResult Start(int64_t now_ms);
  bool in_progress() const { return rewriter_ != nullptr; }

  // Every record the shard logs goes here too, after the write was applied (a no-op when no
  // rewrite runs).
  void OnLiveRecord(std::span<const std::string_view> args);
  // The live AOF opened / closed a MULTI/EXEC block (AofRewriter::BeginBlock / EndBlock); no-ops
  // when no rewrite runs.
  void OnBlockBegin();
  void OnBlockEnd();

  // One loop turn of work: dumps about keys_per_step keys; once the dump is complete, finishes
  // (fsync, rename over the live file) and returns an AofWriter opened on the new file before
  // the rename, which the caller must use from now on instead of its old writer. Null while the
  // rewrite still runs, when none runs, and after a failure (logged on stderr, counted, the
  // temp file removed, the live file untouched; in_progress() is then false). A failed
  // directory sync after the rename is counted as a failure but still returns the writer: the
  // new file is live by then.
  std::unique_ptr<engine::aof::AofWriter> Step(int64_t now_ms);

  // Abandons a running rewrite (the temp file is removed; not counted as a failure). For a
  // shard that shuts down.
  void Abort();

  // Redis's serverCron test: true (and then the caller starts a rewrite) when none runs, the
  // growth test (ShouldRewrite over the base size) passes and the failure back-off allows it.
  // Not const: the back-off advances when it is consulted, as in Redis.
  bool AutoRewriteDue(uint64_t current_size, int64_t now_ms);

  // The size the growth test compares with: the file size after loading, then after each
  // rewrite.
  void set_base_size(uint64_t size) { base_size_ = size; }
  uint64_t base_size() const { return base_size_; }

  RewriteInfo Info(int64_t now_ms) const;
  // The running rewrite's counters; null when none runs.
  const engine::aof::RewriteStats* current_stats() const {
    return rewriter_ ? &rewriter_->stats() : nullptr;
  }
  const RewriteOptions& options() const { return options_; }

 private:
  void Failed(const std::string& message);
  bool BackoffHolds(int64_t now_ms);

  std::string aof_path_;
  engine::aof::FsyncPolicy policy_;
  RewriteOptions options_;
  engine::Keyspace* keyspace_;
  engine::SlotFunction slot_of_;
  engine::aof::KeysOfFn keys_of_;
  std::unique_ptr<engine::aof::AofRewriter> rewriter_;
  int64_t started_ms_ = 0;
  int64_t last_time_sec_ = -1;
  bool last_ok_ = true;
  uint64_t rewrites_ = 0;
  uint64_t consecutive_failures_ = 0;
  uint64_t base_size_ = 0;
  int64_t backoff_minutes_ = 0;
  int64_t next_auto_ms_ = 0;  // 0: no back-off pending
};

}  // namespace slotproxy::server
