// HandlerRegistry: maps every command table row to the function that runs it. Built once from
// the six family tables (handler_tables.h), optional extra tables (the cluster commands) and the
// shard's own connection-level tables, which need more than a CommandContext.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "command/command_info.h"
#include "command/command_table.h"
#include "server/command_context.h"

namespace slotproxy::server {

class Shard;
class Client;

// What a connection-level handler sees: the usual context plus the shard and the client, for
// commands that change connection state (MULTI, SUBSCRIBE, HELLO) or read the server (INFO).
struct ServerContext {
  CommandContext& cmd;
  Shard& shard;
  Client& client;
};

// A connection-level handler: appends exactly one reply through ctx.cmd.reply (SUBSCRIBE and
// friends append one push per channel, as Redis does).
using ServerHandler = void (*)(ServerContext& ctx);

struct ServerHandlerRow {
  std::string_view name;  // lowercase full name, as in HandlerRow
  ServerHandler handler;
};

// The shard's own tables (commands/*_commands.cc of this helper).
std::span<const ServerHandlerRow> ConnectionHandlers();      // connection_commands.cc
std::span<const ServerHandlerRow> ServerInfoHandlers();      // server_commands.cc
std::span<const ServerHandlerRow> CommandCommandHandlers();  // command_commands.cc
std::span<const ServerHandlerRow> PubSubHandlers();          // pubsub_commands.cc
std::span<const ServerHandlerRow> TransactionHandlers();     // transaction_commands.cc

// One command's implementation: exactly one of the two is set.
struct HandlerEntry {
  Handler handler = nullptr;
  ServerHandler server = nullptr;
};

class HandlerRegistry {
 public:
  // Joins `extra` (the cluster commands, or a test's overrides), then the family tables, then
  // the shard's own tables, keyed by the rows of `table`. A name claimed twice keeps its first
  // handler (so a family's DBSIZE or FLUSHALL wins over the shard's fallback); names the table does
  // not know are collected in unknown_names() (a typo in a family table) and otherwise ignored.
  explicit HandlerRegistry(const command::CommandTable& table,
                           std::span<const std::span<const HandlerRow>> extra = {});

  // The registry of the built-in table with no extra tables (built on first use).
  static const HandlerRegistry& Default();

  // The handler of `info`; for a subcommand without its own handler, its container's (a family
  // may implement a whole container in one function). nullptr when neither has one.
  const HandlerEntry* Find(const command::CommandInfo* info) const;

  size_t size() const { return map_.size(); }
  const std::vector<std::string_view>& unknown_names() const { return unknown_; }

 private:
  void AddRows(const command::CommandTable& table, std::span<const HandlerRow> rows);
  void AddServerRows(const command::CommandTable& table, std::span<const ServerHandlerRow> rows);

  absl::flat_hash_map<const command::CommandInfo*, HandlerEntry> map_;
  std::vector<std::string_view> unknown_;
};

}  // namespace slotproxy::server
