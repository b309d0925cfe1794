// Conversions between Lua values and RESP replies, with Redis 7.0's rules (script_lua.c):
// reply -> Lua for redis.call / redis.pcall, Lua -> reply for a script's return value, and Lua
// values -> command arguments. Lua 5.4 has integers and floats where Redis's Lua 5.1 has only
// doubles: at every boundary a Lua number is taken as a double, so the bytes match Redis.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "resp/encoder.h"

struct lua_State;

namespace slotproxy::server::scripting {

// Pushes Redis's error table {err = "<CODE> <message>"} built from `error` as luaPushErrorBuff
// does: "-CODE message" keeps CODE, "-message-without-space" and text without a leading '-'
// get "ERR"; CR/LF at either end of the message are trimmed. `ignore_stats` adds the field
// ignore_error_stats_update = true (Redis marks errors of commands that already counted).
void PushErrorTable(lua_State* L, std::string_view error, bool ignore_stats);

// Pushes the Lua value of the one complete reply in `reply`, which a command wrote in
// `protocol` (the script's redis.setresp): integer -> number, bulk -> string, null -> false in
// RESP2 and nil in RESP3, array -> table,
// status -> {ok=...}, error -> {err=...}, and the RESP3 forms {map=}, {set=}, {double=},
// {big_number=}, {verbatim_string={string=, format=}}, booleans. Returns false (nothing pushed)
// when the bytes are not one valid reply.
bool PushReply(lua_State* L, std::string_view reply, resp::Protocol protocol);

// Writes the Lua value at the top of the stack to `out` as a script's reply and pops it: number
// -> integer (truncated), string -> bulk, true -> 1, false / nil / other types -> null, a table
// with a string `err` -> error, with a string `ok` -> status, then double / big_number /
// verbatim_string / map / set, else an array of t[1], t[2]... up to the first nil.
// `script_protocol` (redis.setresp) decides how booleans are written, `out` everything else.
void EncodeTop(lua_State* L, resp::Protocol script_protocol, resp::Encoder& out);

// A Lua number as a command argument: "%.17g" of the double (Redis's rule).
std::string FormatNumberArg(double v);

// A Lua number as an integer reply: truncated toward zero; NaN and values outside int64 give
// INT64_MIN (what Redis's (long long) cast yields on x86-64).
int64_t NumberToInteger(double v);

// The arguments of a redis.call / redis.pcall (stack slots 1..top) as strings, numbers
// formatted by FormatNumberArg. Error (the text of Redis's error table, without code): no
// argument, or one that is neither a string nor a number.
Status ArgsFromStack(lua_State* L, std::vector<std::string>* args);

}  // namespace slotproxy::server::scripting
