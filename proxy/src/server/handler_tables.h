// The handler tables of the shard server, one per command family. Each family file defines its
// function; handler_registry.cc joins them. A new command is one row in its family's table plus
// a test.
#pragma once

#include <span>

#include "server/command_context.h"

namespace slotproxy::server {

std::span<const HandlerRow> StringHandlers();     // commands/string_commands.cc
std::span<const HandlerRow> KeyHandlers();        // commands/key_commands.cc
std::span<const HandlerRow> HashHandlers();       // commands/hash_commands.cc
std::span<const HandlerRow> ListHandlers();       // commands/list_commands.cc
std::span<const HandlerRow> SetHandlers();        // commands/set_commands.cc
std::span<const HandlerRow> SortedSetHandlers();  // commands/zset_commands.cc

// EVAL / EVALSHA / SCRIPT (commands/script_commands.cc) need the shard: a ServerHandlerRow table.
struct ServerHandlerRow;
std::span<const ServerHandlerRow> ScriptHandlers();

}  // namespace slotproxy::server
