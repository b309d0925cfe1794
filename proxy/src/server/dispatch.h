// Dispatcher: Redis's processCommand and call() for the shard: lookup, arity, AUTH, MULTI
// queueing, the cluster check, the Pub/Sub context rule, then the handler and its side effects
// (AOF, WATCH, blocked clients).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "command/command_info.h"
#include "server/command_clock.h"
#include "server/handler_registry.h"

namespace slotproxy::server {

class Shard;
class Client;

class Dispatcher {
 public:
  explicit Dispatcher(Shard& shard) : shard_(shard) {}

  // A client's batch of pipelined requests starts: time passed since the last command (the
  // loop waited) must not count in the next command's duration.
  void BeginBatch() { clock_.Break(); }

  // Runs (or queues, inside MULTI) one request of `client`; appends its reply to the client's
  // output, or parks the client when the command blocks. `args` are views valid for the call.
  void Execute(Client& client, std::span<const std::string_view> args);

  // Runs a command that passed every check: the handler, then its side effects. `may_block`
  // false (inside EXEC) makes a blocking command answer as if it timed out.
  void Call(Client& client, const command::CommandInfo* info, const HandlerEntry& entry,
            std::span<const std::string_view> args, bool may_block);

  // Re-runs the command of a blocked client (one of its keys is ready). True when it replied
  // (the client is no longer blocked); false when it blocked again.
  bool RerunBlocked(Client& client);

  // EXEC: runs the queued commands of `client` (its MULTI is active and not aborted),
  // replying one array.
  void Exec(Client& client);

  // Runs an AOF record (Shard::Replay).
  Status Replay(std::span<const std::string_view> args);

 private:
  // Facts about a command the request path would otherwise find by comparing names.
  enum Trait : uint8_t {
    kIsAsking = 1u << 0,
    kIsExec = 1u << 1,
    kNeedsClusterCheck = 1u << 2,
  };
  // One command name as a client spelled it, resolved to its row and handler.
  struct Resolved {
    const command::CommandInfo* info = nullptr;  // null: unknown command
    const HandlerEntry* entry = nullptr;         // null: a row this shard does not implement
    uint8_t traits = 0;
  };
  // A direct-mapped cache of resolved names: pipelines repeat a handful of commands, and a hit
  // costs one short memcmp instead of a lowercase copy, a table lookup and a registry lookup.
  // Containers (CONFIG GET ...) are never cached: their row depends on args[1].
  struct CacheSlot {
    static constexpr size_t kMaxName = 22;
    uint8_t size = 0;  // 0: empty
    char name[kMaxName];
    Resolved resolved;
  };
  static constexpr size_t kCacheSlots = 64;

  // The row, handler and traits of `args` (through the cache when possible).
  Resolved Resolve(std::span<const std::string_view> args);
  static uint8_t TraitsOf(const command::CommandInfo& info);

  // Redis's processCommand for a resolved command (`r.info` null: unknown command).
  void Process(Client& client, const Resolved& r, std::span<const std::string_view> args);
  // Appends `error` and marks a transaction in progress as aborted (Redis's rejectCommand).
  void Reject(Client& client, std::string_view error);
  // The cluster check for `info` (nullopt: run locally), including EXEC's queued commands.
  std::optional<std::string> ClusterError(Client& client, const command::CommandInfo& info,
                                          std::span<const std::string_view> args);
  std::optional<std::string> ExecClusterError(Client& client);

  Shard& shard_;
  CommandClock clock_;
  std::array<CacheSlot, kCacheSlots> cache_{};
};

}  // namespace slotproxy::server
