// Persistence: the shard's append-only file wired to the server. It replays the file into the
// shard at start-up, logs every write the dispatcher propagates (AofSink), writes the turn's
// records in a before-sleep hook that runs after the shard's own before-sleep work and before
// any client output is flushed (so with `appendfsync always` a write is on disk before its
// reply leaves), and runs the background rewrite (BGREWRITEAOF, auto-aof-rewrite-percentage) a
// bounded slice per loop turn.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/aof/aof_file.h"
#include "net/event_loop.h"
#include "server/aof_rewrite_driver.h"
#include "server/aof_sink.h"

namespace slotproxy::server {

class Shard;

// INFO persistence's AOF state (Redis 7.0's field names).
struct AofInfo {
  RewriteInfo rewrite;
  bool last_write_ok = true;   // aof_last_write_status
  uint64_t current_size = 0;   // aof_current_size
  uint64_t buffer_length = 0;  // aof_buffer_length: records not yet written
};

class Persistence final : public AofSink {
 public:
  // Parses an appendfsync name (always, everysec, no); everysec for anything else.
  static engine::aof::FsyncPolicy PolicyFromName(std::string_view name);

  // No I/O and no loop yet (any thread may build it): see Load().
  Persistence(std::string dir, engine::aof::FsyncPolicy policy, RewriteOptions rewrite = {});

  // On the shard's loop thread, after Shard::Start() (so the flush hook runs after the shard's
  // own before-sleep hook, whose unblocked commands also write) and before the loop serves:
  // replays `dir`/appendonly.aof into `shard` (cutting a torn tail with a log line, refusing
  // any other damage), opens the file for appending, registers the flush hook and makes
  // BGREWRITEAOF on this shard's keyspace reach this object. Call once.
  // Error: the loader's or the OS's message, naming the file.
  Status Load(Shard& shard);

  // Abandons a running rewrite, unregisters the hook and detaches from the shard, whose
  // keyspace is not touched afterwards. Call on the loop thread before the shard is destroyed;
  // idempotent (the destructor calls it). The writer stays open until destruction.
  void Close();

  ~Persistence() override;
  Persistence(const Persistence&) = delete;
  Persistence& operator=(const Persistence&) = delete;

  // AofSink: buffers one record (written at the end of the loop turn) and hands it to a running
  // rewrite.
  void Append(std::span<const std::string_view> args) override;
  // AofSink: the writer holds the block's records back until the outermost EndBlock and writes
  // them as MULTI ... EXEC (two or more) in the same end-of-turn write and fsync as any record;
  // a running rewrite wraps its copies of them the same way. While a block is open (a loop turn
  // run from inside a busy script), the rewrite does not advance and none starts automatically.
  void BeginBlock() override;
  void EndBlock() override;

  // BGREWRITEAOF: starts a background rewrite (advanced one slice per loop turn). Before Load or
  // after Close: kFailed.
  AofRewriteDriver::StartResult StartRewrite();

  AofInfo Info() const;
  // INFO persistence from aof_enabled to aof_delayed_fsync, Redis 7.0's lines and order.
  // Returns true (the fields were appended).
  bool AppendInfoFields(std::string* out) const override;

  // Null until Load() succeeded.
  const engine::aof::AofWriter* writer() const { return writer_.get(); }
  const engine::aof::LoadStats& loaded() const { return loaded_; }
  // Null until Load() succeeded.
  const AofRewriteDriver* rewrite() const { return driver_.get(); }
  const std::string& path() const { return path_; }

 private:
  void FlushAndMaybeRewrite();
  void ScheduleStep();
  void RunStep();

  std::string dir_;
  std::string path_;
  engine::aof::FsyncPolicy policy_;
  RewriteOptions rewrite_options_;
  net::EventLoop* loop_ = nullptr;                  // set by Load
  const engine::Keyspace* db_ = nullptr;            // the attached keyspace (address only)
  std::unique_ptr<engine::aof::AofWriter> writer_;  // null until Load()
  std::unique_ptr<AofRewriteDriver> driver_;        // null until Load()
  engine::aof::LoadStats loaded_;
  net::EventLoop::HookId hook_ = 0;
  bool hooked_ = false;
  bool step_scheduled_ = false;
  int block_depth_ = 0;  // open BeginBlock calls
  // Posted step closures hold a weak reference: once this object is gone (or closed) they do
  // nothing, even if the loop runs them later.
  std::shared_ptr<Persistence*> alive_;
};

}  // namespace slotproxy::server
