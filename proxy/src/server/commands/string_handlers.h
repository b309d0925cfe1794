// Handlers of the numeric and in-place string commands (string_numeric.cc), joined into the
// string family's table by string_commands.cc. Each replies exactly once through ctx.reply with
// Redis 7.0's bytes and reports its writes (KeyModified, MarkDirty or a rewritten record).
#pragma once

#include "server/command_context.h"

namespace slotproxy::server::strings {

// INCR / DECR / INCRBY / DECRBY key [delta]: the new integer; the TTL is kept.
void Incr(CommandContext& ctx);
void Decr(CommandContext& ctx);
void IncrBy(CommandContext& ctx);
void DecrBy(CommandContext& ctx);
// INCRBYFLOAT key delta: the new value as a bulk string, logged as SET key value KEEPTTL.
void IncrByFloat(CommandContext& ctx);
// APPEND key value: the new length.
void Append(CommandContext& ctx);
// STRLEN key: the length, 0 when missing.
void StrLen(CommandContext& ctx);
// GETRANGE / SUBSTR key start end: the slice, "" when missing.
void GetRange(CommandContext& ctx);
// SETRANGE key offset value: the new length.
void SetRange(CommandContext& ctx);

}  // namespace slotproxy::server::strings
