// ZPOPMIN / ZPOPMAX, their blocking forms BZPOPMIN / BZPOPMAX, and ZUNIONSTORE / ZINTERSTORE, as
// Redis 7.0's genericZpopCommand, blockingGenericZpopCommand and zunionInterDiffGenericCommand.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/errors.h"
#include "engine/types/set_value.h"
#include "engine/types/type_errors.h"
#include "engine/types/zset_value.h"
#include "server/commands/key_util.h"
#include "server/commands/list_zset_common.h"
#include "server/commands/zset_handlers.h"

namespace slotproxy::server::zset {
namespace {

using engine::Entry;
using engine::ObjType;
using engine::ZSetValue;
using listzset::Access;

using Popped = std::vector<std::pair<std::string, double>>;

// ZPOPMIN / ZPOPMAX key [count]: a flat [member, score, ...] array, except with a count in RESP3
// where each member is a [member, score] pair.
void PopGeneric(CommandContext& ctx, bool max) {
  if (ctx.argc() > 3) {
    ctx.reply.Error("ERR syntax error");
    return;
  }
  int64_t count = -1;  // not given
  if (ctx.argc() == 3 && !listzset::ParsePositiveLong(ctx, ctx.args[2], &count)) return;
  const bool nested = ctx.reply.protocol() == resp::Protocol::kResp3 && count != -1;
  const std::string_view key = ctx.args[1];
  Entry* e = nullptr;
  if (!listzset::Lookup(ctx, key, ObjType::kZSet, Access::kWrite, &e)) return;
  if (e == nullptr || count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  ZSetValue* z = e->zset();
  const size_t n = count == -1 ? 1 : static_cast<size_t>(count);
  const Popped items = max ? z->PopMax(n) : z->PopMin(n);
  ctx.reply.ArrayHeader(nested ? items.size() : 2 * items.size());
  for (const auto& [member, score] : items) {
    if (nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(member);
    ctx.reply.Double(score);
  }
  if (z->Size() == 0) ctx.db.Delete(e);
  listzset::NoteWrite(ctx, key, static_cast<int64_t>(items.size()));
}

// BZPOPMIN / BZPOPMAX key [key ...] timeout: pops one member of the first non-empty sorted set,
// replying [key, member, score] and logging ZPOPMIN / ZPOPMAX key; blocks when all are missing.
void BlockingPopGeneric(CommandContext& ctx, bool max) {
  int64_t deadline = 0;
  if (!listzset::ParseTimeout(ctx, ctx.args.back(), &deadline)) return;
  const auto keys = ctx.args.subspan(1, ctx.argc() - 2);
  for (std::string_view key : keys) {
    Entry* e = nullptr;
    if (!listzset::Lookup(ctx, key, ObjType::kZSet, Access::kWrite, &e)) return;
    if (e == nullptr || e->zset()->Size() == 0) continue;
    ZSetValue* z = e->zset();
    const Popped items = max ? z->PopMax(1) : z->PopMin(1);
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(key);
    ctx.reply.Bulk(items.front().first);
    ctx.reply.Double(items.front().second);
    if (z->Size() == 0) ctx.db.Delete(e);
    ctx.events.KeyModified(key);
    keyutil::PropagateAs(ctx, {max ? "ZPOPMAX" : "ZPOPMIN", key});
    return;
  }
  if (!ctx.may_block) {
    ctx.reply.NullArray();  // inside MULTI / scripts Redis answers as a timeout
    return;
  }
  ctx.events.Block(keys, deadline);
}

// Looks up the `numkeys` inputs starting at args[first]: sorted sets, plain sets (every member
// scoring 1) or missing keys. False after replying WRONGTYPE.
bool CollectInputs(CommandContext& ctx, size_t first, size_t numkeys,
                   std::vector<engine::ZSetOpInput>* inputs) {
  inputs->assign(numkeys, engine::ZSetOpInput());
  for (size_t i = 0; i < numkeys; i++) {
    Entry* e = ctx.db.FindForRead(ctx.args[first + i], ctx.now_ms);
    if (e == nullptr) continue;
    if (e->type() != ObjType::kZSet && e->type() != ObjType::kSet) {
      ctx.reply.Error(engine::kErrWrongType);
      return false;
    }
    (*inputs)[i].zset = e->zset();
    (*inputs)[i].set = e->set();
  }
  return true;
}

// WEIGHTS w1 .. wn and AGGREGATE SUM|MIN|MAX after the keys, any order, repeats allowed.
bool ParseStoreOptions(CommandContext& ctx, size_t j, std::vector<engine::ZSetOpInput>* inputs,
                       engine::ZAggregate* agg) {
  const size_t numkeys = inputs->size();
  while (j < ctx.argc()) {
    const size_t remaining = ctx.argc() - j;
    if (remaining >= numkeys + 1 && keyutil::IsKeyword(ctx.args[j], "weights")) {
      j++;
      for (size_t i = 0; i < numkeys; i++, j++) {
        if (!listzset::ParseDoubleArg(ctx, ctx.args[j], &(*inputs)[i].weight,
                                      engine::kErrZWeightNotFloat)) {
          return false;
        }
      }
    } else if (remaining >= 2 && keyutil::IsKeyword(ctx.args[j], "aggregate")) {
      const std::string_view how = ctx.args[j + 1];
      if (keyutil::IsKeyword(how, "sum")) {
        *agg = engine::ZAggregate::kSum;
      } else if (keyutil::IsKeyword(how, "min")) {
        *agg = engine::ZAggregate::kMin;
      } else if (keyutil::IsKeyword(how, "max")) {
        *agg = engine::ZAggregate::kMax;
      } else {
        ctx.reply.Error("ERR syntax error");
        return false;
      }
      j += 2;
    } else {
      ctx.reply.Error("ERR syntax error");
      return false;
    }
  }
  return true;
}

// ZUNIONSTORE / ZINTERSTORE dst numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]: the keys are
// looked up (and type-checked) before the options are parsed, as in Redis.
void StoreGeneric(CommandContext& ctx, bool inter) {
  int64_t numkeys = 0;
  if (!listzset::ParseLong(ctx, ctx.args[2], &numkeys)) return;
  if (numkeys < 1) {
    ctx.reply.Error("ERR at least 1 input key is needed for '" + keyutil::CommandName(ctx) +
                    "' command");
    return;
  }
  if (static_cast<uint64_t>(numkeys) > ctx.argc() - 3) {
    ctx.reply.Error("ERR syntax error");
    return;
  }
  std::vector<engine::ZSetOpInput> inputs;
  if (!CollectInputs(ctx, 3, static_cast<size_t>(numkeys), &inputs)) return;
  engine::ZAggregate agg = engine::ZAggregate::kSum;
  if (!ParseStoreOptions(ctx, 3 + static_cast<size_t>(numkeys), &inputs, &agg)) return;
  std::unique_ptr<ZSetValue> result =
      inter ? ZSetValue::Inter(inputs, agg) : ZSetValue::Union(inputs, agg);
  StoreResult(ctx, ctx.args[1], std::move(result));
}

}  // namespace

void ZPopMin(CommandContext& ctx) { PopGeneric(ctx, false); }
void ZPopMax(CommandContext& ctx) { PopGeneric(ctx, true); }
void BZPopMin(CommandContext& ctx) { BlockingPopGeneric(ctx, false); }
void BZPopMax(CommandContext& ctx) { BlockingPopGeneric(ctx, true); }
void ZUnionStore(CommandContext& ctx) { StoreGeneric(ctx, false); }
void ZInterStore(CommandContext& ctx) { StoreGeneric(ctx, true); }

}  // namespace slotproxy::server::zset
