// The sorted-set handlers defined outside zset_commands.cc (which holds the family's table), and
// the store step they share. Internal to the zset command files.
#pragma once

#include <memory>
#include <string_view>

#include "engine/types/zset_value.h"
#include "server/command_context.h"

namespace slotproxy::server::zset {

// zset_range_commands.cc: ZRANGE and its older spellings, ZRANGESTORE.
void ZRange(CommandContext& ctx);
void ZRangeStore(CommandContext& ctx);
void ZRangeByScore(CommandContext& ctx);
void ZRevRangeByScore(CommandContext& ctx);
void ZRangeByLex(CommandContext& ctx);
void ZRevRangeByLex(CommandContext& ctx);
void ZRevRange(CommandContext& ctx);

// zset_pop_store.cc: pops, blocking pops, ZUNIONSTORE / ZINTERSTORE.
void ZPopMin(CommandContext& ctx);
void ZPopMax(CommandContext& ctx);
void BZPopMin(CommandContext& ctx);
void BZPopMax(CommandContext& ctx);
void ZUnionStore(CommandContext& ctx);
void ZInterStore(CommandContext& ctx);

// The ending of the store commands (setKey / dbDelete in Redis): a non-empty `result` replaces
// `dst` (TTL cleared; KeyModified, KeyReady, one dirty change) and the reply is its size; an
// empty one deletes `dst` instead (a change only when `dst` existed) and replies 0.
void StoreResult(CommandContext& ctx, std::string_view dst,
                 std::unique_ptr<engine::ZSetValue> result);

}  // namespace slotproxy::server::zset
