// Persistence: the shard's append-only file wired to the server. It replays the file into the
// shard at start-up, logs every write the dispatcher propagates (AofSink) and writes the turn's
// records in a before-sleep hook that runs before any client output is flushed, so with
// `appendfsync always` a write is on disk before its reply leaves.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/aof/aof_file.h"
#include "net/event_loop.h"
#include "server/aof_sink.h"

namespace slotproxy::server {

class Shard;

class Persistence final : public AofSink {
 public:
  // Parses an appendfsync name (always, everysec, no); everysec for anything else.
  static engine::aof::FsyncPolicy PolicyFromName(std::string_view name);

  // Registers the flush hook on `loop` (create it before the shard, whose options point at
  // it, and before any client output exists). No file I/O yet: see Load().
  Persistence(net::EventLoop& loop, std::string dir, engine::aof::FsyncPolicy policy);

  // Replays `dir`/appendonly.aof into `shard` (cutting a torn tail with a log line, refusing
  // any other damage), then opens the file for appending. Call once, before Shard::Start().
  // Error: the loader's or the OS's message, naming the file.
  Status Load(Shard& shard);

  ~Persistence() override;
  Persistence(const Persistence&) = delete;
  Persistence& operator=(const Persistence&) = delete;

  // AofSink: buffers one record; written at the end of the loop turn.
  void Append(std::span<const std::string_view> args) override;

  // Null until Load() succeeded.
  const engine::aof::AofWriter* writer() const { return writer_.get(); }
  const engine::aof::LoadStats& loaded() const { return loaded_; }

 private:
  net::EventLoop& loop_;
  std::string dir_;
  engine::aof::FsyncPolicy policy_;
  std::unique_ptr<engine::aof::AofWriter> writer_;  // null until Load()
  engine::aof::LoadStats loaded_;
  net::EventLoop::HookId hook_ = 0;
};

}  // namespace slotproxy::server
