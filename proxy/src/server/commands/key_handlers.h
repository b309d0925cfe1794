// Handlers of the expiry commands (key_expire.cc), joined into the key family's table by
// key_commands.cc. Each replies exactly once with Redis 7.0's bytes; writes are logged as an
// absolute PEXPIREAT, or a DEL when the time is already past, or as sent (PERSIST).
#pragma once

#include "server/command_context.h"

namespace slotproxy::server::keys {

// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT]: :1 when the TTL was set (or
// the key deleted because the time is past), :0 when the key is missing or a condition failed.
void Expire(CommandContext& ctx);
void PExpire(CommandContext& ctx);
void ExpireAt(CommandContext& ctx);
void PExpireAt(CommandContext& ctx);
// TTL / PTTL: remaining time (s rounded / ms), -1 without a TTL, -2 when missing.
void Ttl(CommandContext& ctx);
void PTtl(CommandContext& ctx);
// EXPIRETIME / PEXPIRETIME: the absolute deadline (s rounded / ms), -1 / -2 as TTL.
void ExpireTime(CommandContext& ctx);
void PExpireTime(CommandContext& ctx);
// PERSIST key: :1 when a TTL was removed.
void Persist(CommandContext& ctx);

}  // namespace slotproxy::server::keys
