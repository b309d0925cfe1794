// ShardScriptHost: redis.call inside a shard. A command from a script goes through Redis 7.0's
// scriptCall checks (lookup and arity, noscript, writes under a read-only script, the cluster
// check on its keys: a key of a slot this node does not serve is refused), then its handler
// runs against the shard's keyspace with the script's own reply buffer and protocol, and its
// writes reach the AOF as the commands themselves (effects replication), so the dispatcher
// never logs the EVAL.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "server/aof_sink.h"
#include "server/command_context.h"
#include "server/scripting/script_host.h"

namespace slotproxy::server {
class Shard;
class Client;
}  // namespace slotproxy::server

namespace slotproxy::server::scripting {

class ShardScriptHost final : public ScriptHost {
 public:
  // `outer` is the EVAL's own context: its events and clock serve the script's commands.
  ShardScriptHost(Shard& shard, Client& client, CommandContext& outer)
      : shard_(shard), client_(client), outer_(outer) {}

  // ScriptHost.
  std::string Call(std::span<const std::string_view> args, const CallOptions& options,
                   std::string* reply) override;

  // Serves the shard's other clients while this script runs past the busy threshold
  // (Shard::ServeWhileScriptBusy); the EVAL's own client is protected meanwhile.
  void ServeWhileBusy() override;
  bool WriteCalled() const override { return write_called_; }

  // Writes the script's commands made (what the EVAL adds to the shard's dirty counter).
  int dirty() const { return dirty_; }

 private:
  // Runs a command that passed every check.
  void Run(const command::CommandInfo& info, std::span<const std::string_view> args,
           const CallOptions& options, std::string* reply);

  Shard& shard_;
  Client& client_;
  CommandContext& outer_;
  int dirty_ = 0;
  bool write_called_ = false;  // Redis's SCRIPT_WRITE_DIRTY: set before a write command runs
  AofBlock aof_block_;  // the script's AOF records form one block (opened by the first command)
};

// The script engine of `shard`, created on first use. Engines live per thread (a shard runs on
// one thread) and are dropped when their shard's identity changes or the thread ends.
class ScriptEngine;
ScriptEngine& EngineFor(Shard& shard);

}  // namespace slotproxy::server::scripting
