// Handlers of the set command family (issue 3), following Redis 7.0's t_set.c: the order of
// checks (argument parsing, then key lookups and WRONGTYPE), the replies in RESP2 and RESP3,
// and the side effects (a set whose last member goes is deleted; writes signal their keys and
// mark the command dirty; SPOP is logged as SREM of what it popped, or DEL when it took all).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "engine/errors.h"
#include "engine/numbers.h"
#include "engine/types/set_value.h"
#include "engine/types/type_errors.h"
#include "server/commands/hash_set_common.h"
#include "server/handler_tables.h"

namespace slotproxy::server {
namespace {

using engine::Entry;
using engine::ObjType;
using engine::SetValue;
using hash_set::Access;
using hash_set::LookupTyped;

// How many members one SREM record of SPOP's propagation carries at most.
constexpr size_t kPopRecordMembers = 1024;

// The set at args[1] for a read: false when the handler is done (WRONGTYPE was replied, or the
// key is missing and `missing_reply` was called).
template <class MissingReply>
bool ReadSet(CommandContext& ctx, Access access, Entry** entry, MissingReply missing_reply) {
  if (!LookupTyped(ctx, ctx.args[1], ObjType::kSet, access, entry)) return false;
  if (*entry == nullptr) {
    missing_reply();
    return false;
  }
  return true;
}

// Replies every member of `set` as a RESP3 set (an array in RESP2).
void ReplyMembers(CommandContext& ctx, const SetValue& set) {
  ctx.reply.SetHeader(set.Size());
  set.ForEach([&](std::string_view m) { ctx.reply.Bulk(m); });
}

// The sets at `keys` (nullptr for a missing key), looked up as Redis's lookupKeyRead does for
// SINTER / SUNION / SDIFF and their STORE forms. Every key is type-checked, even after a missing
// one; false after replying WRONGTYPE.
bool CollectSets(CommandContext& ctx, std::span<const std::string_view> keys,
                 std::vector<const SetValue*>* sets) {
  sets->clear();
  sets->reserve(keys.size());
  for (std::string_view key : keys) {
    Entry* e = nullptr;
    if (!LookupTyped(ctx, key, ObjType::kSet, Access::kRead, &e)) return false;
    sets->push_back(e != nullptr ? e->set() : nullptr);
  }
  return true;
}

// The STORE forms' ending: `dst` becomes `result` (TTL cleared) and the reply is its size; an
// empty result deletes `dst` instead (and is a change only when `dst` existed).
void StoreResult(CommandContext& ctx, std::string_view dst, std::unique_ptr<SetValue> result) {
  const size_t size = result->Size();
  if (size > 0) {
    ctx.db.Store(dst, std::move(result));
  } else if (!ctx.db.Delete(dst, ctx.now_ms)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.events.KeyModified(dst);
  ctx.MarkDirty();
  ctx.reply.Integer(static_cast<int64_t>(size));
}

void SAdd(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!LookupTyped(ctx, ctx.args[1], ObjType::kSet, Access::kWrite, &e)) return;
  if (e == nullptr) e = ctx.db.Add(ctx.args[1], std::make_unique<SetValue>());
  const size_t added = e->set()->AddMany(ctx.args.subspan(2));
  if (added > 0) {
    ctx.events.KeyModified(ctx.args[1]);
    ctx.dirty += static_cast<int>(std::min<size_t>(added, INT32_MAX));
  }
  ctx.reply.Integer(static_cast<int64_t>(added));
}

void SRem(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!ReadSet(ctx, Access::kWrite, &e, [&] { ctx.reply.Integer(0); })) return;
  SetValue* set = e->set();
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (set->Remove(ctx.args[i])) deleted++;
    if (set->Size() == 0) {
      ctx.db.Delete(e);  // Redis deletes a set with its last member and stops looking
      break;
    }
  }
  if (deleted > 0) {
    ctx.events.KeyModified(ctx.args[1]);
    ctx.dirty += static_cast<int>(std::min<int64_t>(deleted, INT32_MAX));
  }
  ctx.reply.Integer(deleted);
}

// SMEMBERS is SINTER of one key in Redis 7.0: a set reply, an empty set for a missing key.
void SMembers(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!ReadSet(ctx, Access::kRead, &e, [&] { ctx.reply.SetHeader(0); })) return;
  ReplyMembers(ctx, *e->set());
}

void SIsMember(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!ReadSet(ctx, Access::kRead, &e, [&] { ctx.reply.Integer(0); })) return;
  ctx.reply.Integer(e->set()->Contains(ctx.args[2]) ? 1 : 0);
}

void SMIsMember(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!LookupTyped(ctx, ctx.args[1], ObjType::kSet, Access::kRead, &e)) return;
  const SetValue* set = e != nullptr ? e->set() : nullptr;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    ctx.reply.Integer(set != nullptr && set->Contains(ctx.args[i]) ? 1 : 0);
  }
}

void SCard(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!ReadSet(ctx, Access::kRead, &e, [&] { ctx.reply.Integer(0); })) return;
  ctx.reply.Integer(static_cast<int64_t>(e->set()->Size()));
}

// SPOP key count: a set reply of min(count, size) popped members, logged as SREMs (or as DEL
// when the whole set goes).
void SPopWithCount(CommandContext& ctx) {
  int64_t count = 0;
  if (!engine::ParseInt64(ctx.args[2], &count) || count < 0) {
    ctx.reply.Error(engine::kErrOutOfRangePositive);
    return;
  }
  Entry* e = nullptr;
  if (!ReadSet(ctx, Access::kWrite, &e, [&] { ctx.reply.SetHeader(0); })) return;
  if (count == 0) {
    ctx.reply.SetHeader(0);
    return;
  }
  SetValue* set = e->set();
  const std::string_view key = ctx.args[1];
  ctx.MarkDirty();
  ctx.MarkPropagated();
  if (static_cast<uint64_t>(count) >= set->Size()) {
    ReplyMembers(ctx, *set);
    ctx.db.Delete(e);
    const std::string_view record[] = {"DEL", key};
    ctx.events.Propagate(record);
    ctx.events.KeyModified(key);
    return;
  }
  const std::vector<std::string> popped = set->Pop(static_cast<size_t>(count));
  ctx.reply.SetHeader(popped.size());
  for (const std::string& m : popped) ctx.reply.Bulk(m);
  std::vector<std::string_view> record;
  for (size_t i = 0; i < popped.size(); i += kPopRecordMembers) {
    const size_t end = std::min(popped.size(), i + kPopRecordMembers);
    record.assign({"SREM", key});
    record.insert(record.end(), popped.begin() + static_cast<ptrdiff_t>(i),
                  popped.begin() + static_cast<ptrdiff_t>(end));
    ctx.events.Propagate(record);
  }
  ctx.events.KeyModified(key);
}

void SPop(CommandContext& ctx) {
  if (ctx.argc() == 3) {
    SPopWithCount(ctx);
    return;
  }
  if (ctx.argc() > 3) {
    ctx.reply.Error("ERR syntax error");
    return;
  }
  Entry* e = nullptr;
  if (!ReadSet(ctx, Access::kWrite, &e, [&] { ctx.reply.Null(); })) return;
  SetValue* set = e->set();
  const std::string member = *set->Pop();
  if (set->Size() == 0) ctx.db.Delete(e);
  const std::string_view record[] = {"SREM", ctx.args[1], member};
  ctx.events.Propagate(record);
  ctx.MarkPropagated();
  ctx.MarkDirty();
  ctx.events.KeyModified(ctx.args[1]);
  ctx.reply.Bulk(member);
}

void SRandMember(CommandContext& ctx) {
  if (ctx.argc() > 3) {
    ctx.reply.Error("ERR syntax error");
    return;
  }
  Entry* e = nullptr;
  if (ctx.argc() == 2) {
    if (!ReadSet(ctx, Access::kRead, &e, [&] { ctx.reply.Null(); })) return;
    ctx.reply.Bulk(e->set()->RandomMember());
    return;
  }
  int64_t count = 0;
  if (!hash_set::ParseRandomCount(ctx, ctx.args[2], &count)) return;
  if (!ReadSet(ctx, Access::kRead, &e, [&] { ctx.reply.ArrayHeader(0); })) return;
  if (!hash_set::CheckRandomRepeats(ctx, count)) return;
  const SetValue* set = e->set();
  const uint64_t n = count >= 0 ? std::min<uint64_t>(static_cast<uint64_t>(count), set->Size())
                                : static_cast<uint64_t>(-count);
  ctx.reply.ArrayHeader(n);
  set->RandomMembers(count, [&](std::string_view m) { ctx.reply.Bulk(m); });
}

// SINTER / SUNION / SDIFF and their STORE forms. `first_key` is 1, or 2 for a STORE form whose
// destination is args[1].
enum class SetOp { kInter, kUnion, kDiff };

void SetOpGeneric(CommandContext& ctx, SetOp op, bool store) {
  const size_t first_key = store ? 2 : 1;
  std::vector<const SetValue*> sets;
  if (!CollectSets(ctx, ctx.args.subspan(first_key), &sets)) return;
  std::unique_ptr<SetValue> result;
  switch (op) {
    case SetOp::kInter:
      result = SetValue::Inter(sets);
      break;
    case SetOp::kUnion:
      result = SetValue::Union(sets);
      break;
    case SetOp::kDiff:
      result = SetValue::Diff(sets);
      break;
  }
  if (store) {
    StoreResult(ctx, ctx.args[1], std::move(result));
  } else {
    ReplyMembers(ctx, *result);
  }
}

void SInter(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, false); }
void SUnion(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, false); }
void SDiff(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, false); }
void SInterStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kInter, true); }
void SUnionStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kUnion, true); }
void SDiffStore(CommandContext& ctx) { SetOpGeneric(ctx, SetOp::kDiff, true); }

// SINTERCARD numkeys key [key ...] [LIMIT limit].
void SInterCard(CommandContext& ctx) {
  int64_t numkeys = 0;
  if (!engine::ParseInt64(ctx.args[1], &numkeys) || numkeys < 1) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return;
  }
  if (static_cast<uint64_t>(numkeys) > ctx.argc() - 2) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  int64_t limit = 0;
  for (size_t j = 2 + static_cast<size_t>(numkeys); j < ctx.argc(); j++) {
    if (hash_set::EqualsIgnoreCase(ctx.args[j], "limit") && j + 1 < ctx.argc()) {
      j++;
      if (!engine::ParseInt64(ctx.args[j], &limit) || limit < 0) {
        ctx.reply.Error("ERR LIMIT can't be negative");
        return;
      }
    } else {
      ctx.reply.Error("ERR syntax error");
      return;
    }
  }
  std::vector<const SetValue*> sets;
  if (!CollectSets(ctx, ctx.args.subspan(2, static_cast<size_t>(numkeys)), &sets)) return;
  ctx.reply.Integer(static_cast<int64_t>(SetValue::InterCard(sets, static_cast<size_t>(limit))));
}

// SMOVE source destination member.
void SMove(CommandContext& ctx) {
  const std::string_view src_key = ctx.args[1], dst_key = ctx.args[2], member = ctx.args[3];
  // Both keys are looked up (and expired) first, as Redis does, before any type check.
  Entry* src = ctx.db.Find(src_key, ctx.now_ms);
  Entry* dst = ctx.db.Find(dst_key, ctx.now_ms);
  if (src == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (src->type() != ObjType::kSet || (dst != nullptr && dst->type() != ObjType::kSet)) {
    ctx.reply.Error(engine::kErrWrongType);
    return;
  }
  if (src == dst) {
    ctx.reply.Integer(src->set()->Contains(member) ? 1 : 0);
    return;
  }
  if (!src->set()->Remove(member)) {
    ctx.reply.Integer(0);
    return;
  }
  if (src->set()->Size() == 0) {
    ctx.db.Delete(src);
    // A delete may invalidate other entry pointers (Entry's contract): look dst up again.
    if (dst != nullptr) dst = ctx.db.Find(dst_key, ctx.now_ms);
  }
  ctx.events.KeyModified(src_key);
  ctx.MarkDirty();
  if (dst == nullptr) dst = ctx.db.Add(dst_key, std::make_unique<SetValue>());
  if (dst->set()->Add(member)) {
    ctx.events.KeyModified(dst_key);
    ctx.MarkDirty();
  }
  ctx.reply.Integer(1);
}

void SScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!hash_set::ParseScanCursor(ctx, ctx.args[2], &cursor)) return;
  Entry* e = nullptr;
  // Redis looks the key up before it parses the options: a missing key ignores bad options.
  if (!ReadSet(ctx, Access::kRead, &e, [&] { hash_set::ReplyEmptyScan(ctx); })) return;
  hash_set::ScanOptions options;
  if (!hash_set::ParseScanOptions(ctx, 3, &options)) return;
  std::vector<std::string> out;
  const uint64_t next = e->set()->Scan(
      cursor, options.count, [&](std::string_view m) { return hash_set::ScanMatches(options, m); },
      &out);
  hash_set::ReplyScan(ctx, next, out);
}

constexpr HandlerRow kSetHandlers[] = {
    {"sadd", &SAdd},
    {"srem", &SRem},
    {"smembers", &SMembers},
    {"sismember", &SIsMember},
    {"smismember", &SMIsMember},
    {"scard", &SCard},
    {"spop", &SPop},
    {"srandmember", &SRandMember},
    {"sinter", &SInter},
    {"sunion", &SUnion},
    {"sdiff", &SDiff},
    {"sinterstore", &SInterStore},
    {"sunionstore", &SUnionStore},
    {"sdiffstore", &SDiffStore},
    {"sintercard", &SInterCard},
    {"smove", &SMove},
    {"sscan", &SScan},
};

}  // namespace

std::span<const HandlerRow> SetHandlers() { return kSetHandlers; }

}  // namespace slotproxy::server
