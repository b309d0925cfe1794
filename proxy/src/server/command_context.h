// CommandContext: everything a command handler of the shard server sees while it runs one
// command, and Handler, the signature every handler has. Handlers are plain functions of the
// context: they read args, use the keyspace and append exactly one reply through `reply`.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command/command_info.h"
#include "engine/keyspace.h"
#include "resp/encoder.h"

namespace slotproxy::server {

// Per-connection state a handler may read or change (CLIENT SETNAME, HELLO, SELECT...).
struct ClientState {
  uint64_t id = 0;
  std::string name;
  std::string lib_name;  // CLIENT SETINFO LIB-NAME
  std::string lib_ver;   // CLIENT SETINFO LIB-VER
  resp::Protocol protocol = resp::Protocol::kResp2;
  bool authenticated = true;
  bool asking = false;  // ASKING was the previous command (cleared after the next one)
  bool readonly = false;
};

// Side effects a handler reports to the shard, which turns them into AOF records, WATCH
// invalidations and wake-ups of blocked clients. Tests may pass a recorder instead.
class ShardEvents {
 public:
  virtual ~ShardEvents() = default;
  // `key` was changed by a write (Redis's signalModifiedKey: touches WATCH).
  virtual void KeyModified(std::string_view key) = 0;
  // `key` may now satisfy clients blocked on it (Redis's signalKeyAsReady: list/zset pushes).
  virtual void KeyReady(std::string_view key) = 0;
  // The command's effect must be logged as this argument vector (one AOF record); called zero or
  // more times by a handler that rewrites its command (e.g. SET EX -> SET PXAT, SPOP -> SREM).
  virtual void Propagate(std::span<const std::string_view> args) = 0;
  // Blocking commands (BLPOP, BRPOP, BLMOVE, BZPOPMIN, BZPOPMAX) that find nothing to pop call
  // this instead of replying, when ctx.may_block: the dispatcher parks the client on `keys`
  // and, when KeyReady fires for one of them, runs the same command again (as Redis 7.0 does);
  // at `deadline_ms` (0 = never) it replies a null array itself. The handler must not reply.
  virtual void Block(std::span<const std::string_view> keys, int64_t deadline_ms) = 0;
};

class CommandContext {
 public:
  CommandContext(engine::Keyspace& keyspace, resp::Encoder& encoder, ClientState& client_state,
                 ShardEvents& shard_events, std::span<const std::string_view> arguments,
                 int64_t now, const command::CommandInfo* row)
      : db(keyspace),
        reply(encoder),
        client(client_state),
        events(shard_events),
        args(arguments),
        now_ms(now),
        info(row) {}

  engine::Keyspace& db;
  resp::Encoder& reply;  // append exactly one reply (in the client's protocol)
  ClientState& client;
  ShardEvents& events;
  std::span<const std::string_view> args;  // args[0] is the command name as the client sent it
  int64_t now_ms;                          // wall-clock ms since the epoch, fixed per command
  const command::CommandInfo* info;        // the table row (arity already checked)

  // Number of arguments, command name included.
  size_t argc() const { return args.size(); }

  // Marks the command as a write that changed the dataset, so the dispatcher logs the command
  // as the client sent it (unless the handler called events.Propagate itself).
  void MarkDirty() { ++dirty; }
  // Set when the handler propagated its own rewritten form (events.Propagate).
  void MarkPropagated() { propagated = true; }

  int dirty = 0;
  bool propagated = false;
  // False inside MULTI/EXEC and scripts: a blocking command then behaves as if it timed out.
  bool may_block = true;
};

// A command handler: runs ctx.args against ctx.db and appends one reply to ctx.reply.
using Handler = void (*)(CommandContext& ctx);

// One row of a handler table: the command's lowercase full name ("get", "object|encoding").
struct HandlerRow {
  std::string_view name;
  Handler handler;
};

}  // namespace slotproxy::server
