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
  // INFO persistence: appends the lines from aof_enabled to aof_delayed_fsync (Redis 7.0's names
  // and order) from the sink's real state and returns true; false (the default: a sink that is
  // not an append-only file, e.g. a test recorder) appends nothing.
  virtual bool AppendInfoFields(std::string* out) const {
    (void)out;
    return false;
  }
};

}  // namespace slotproxy::server
