// AofSink: where the dispatcher hands every write command (or its rewritten form) to be logged.
// The append-only file (engine/) implements it; the shard wires it in.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace slotproxy::server {

class AofSink {
 public:
  virtual ~AofSink() = default;
  // Logs one record: the argument vector of a command that changed the dataset, as it must be
  // replayed. Called on the shard's loop thread, after the command ran, in execution order.
  virtual void Append(std::span<const std::string_view> args) = 0;
  // The records appended between BeginBlock and the matching EndBlock (one EXEC, one script)
  // are one atomic unit: a crash leaves all of them or none after a restart (the append-only
  // file writes them as MULTI ... EXEC when there are two or more, as Redis 7.0 propagates
  // them). Pairs nest; only the outermost one makes a block. Both are called on the loop thread
  // within one command, never across loop turns. The default (a sink without blocks, e.g. a
  // test recorder) ignores them.
  virtual void BeginBlock() {}
  virtual void EndBlock() {}
  // INFO persistence: appends the lines from aof_enabled to aof_delayed_fsync (Redis 7.0's names
  // and order) from the sink's real state and returns true; false (the default: a sink that is
  // not an append-only file, e.g. a test recorder) appends nothing.
  virtual bool AppendInfoFields(std::string* out) const {
    (void)out;
    return false;
  }
};

// Holds one BeginBlock/EndBlock pair of a sink for a scope: opened by the constructor or by the
// first Open, closed when the object goes away. A null sink (no append-only file) does nothing.
class AofBlock {
 public:
  AofBlock() = default;
  explicit AofBlock(AofSink* sink) { Open(sink); }
  ~AofBlock() {
    if (sink_ != nullptr) sink_->EndBlock();
  }
  AofBlock(const AofBlock&) = delete;
  AofBlock& operator=(const AofBlock&) = delete;

  // Opens the block on `sink` unless this object already holds one (then a no-op).
  void Open(AofSink* sink) {
    if (sink_ != nullptr || sink == nullptr) return;
    sink_ = sink;
    sink_->BeginBlock();
  }

 private:
  AofSink* sink_ = nullptr;
};

}  // namespace slotproxy::server
