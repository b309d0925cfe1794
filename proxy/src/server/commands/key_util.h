// Small helpers shared by the string and key command handlers: Redis-style keyword matching,
// expire-time errors and propagation records.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "server/command_context.h"

namespace slotproxy::server::keyutil {

// True when `arg` equals the lowercase ASCII `keyword` ignoring case, compared as Redis compares
// an argument with strcasecmp: the argument ends at its first NUL byte ("nx\0junk" is "nx").
bool IsKeyword(std::string_view arg, std::string_view keyword);

// The command's lowercase full name ("set", "pexpireat") for error texts that quote it, from the
// table row when there is one, else from args[0].
std::string CommandName(const CommandContext& ctx);

// Replies Redis's addReplyErrorExpireTime: "ERR invalid expire time in '<cmd>' command".
void ReplyInvalidExpireTime(CommandContext& ctx);

// Logs `args` as one AOF record in place of the command as sent (events.Propagate) and marks the
// command as propagated and dirty.
void PropagateAs(CommandContext& ctx, std::initializer_list<std::string_view> args);

// Parses a Redis time argument for SET/GETEX/SETEX (getExpireMillisecondsOrReply): an integer
// > 0, in seconds when `seconds` (then multiplied by 1000 without overflow), plus now when
// `relative`. True and *when_ms set on success; false after replying the error ("value is not an
// integer or out of range" or the invalid expire time text).
bool ParseExpireArg(CommandContext& ctx, std::string_view arg, bool seconds, bool relative,
                    int64_t* when_ms);

}  // namespace slotproxy::server::keyutil
