// Handlers of the hash command family (issue 3), following Redis 7.0's t_hash.c: the order of
// checks (argument parsing, then the key lookup and WRONGTYPE), the replies in RESP2 and RESP3,
// and the side effects (a hash whose last field goes is deleted; writes signal the key and mark
// the command dirty; HINCRBYFLOAT is logged as HSET with the final value).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/errors.h"
#include "engine/numbers.h"
#include "engine/types/hash_value.h"
#include "engine/types/type_errors.h"
#include "server/commands/hash_set_common.h"
#include "server/handler_tables.h"

namespace slotproxy::server {
namespace {

using engine::Entry;
using engine::HashValue;
using engine::ObjType;
using hash_set::Access;
using hash_set::LookupTyped;

// The hash at args[1] for a read: false when the handler is done (WRONGTYPE was replied, or the
// key is missing and `missing_reply` was called).
template <class MissingReply>
bool ReadHash(CommandContext& ctx, const HashValue** hash, MissingReply missing_reply) {
  Entry* e = nullptr;
  if (!LookupTyped(ctx, ctx.args[1], ObjType::kHash, Access::kRead, &e)) return false;
  if (e == nullptr) {
    missing_reply();
    return false;
  }
  *hash = e->hash();
  return true;
}

// The hash at args[1] for a write, created empty when missing (hashTypeLookupWriteOrCreate);
// nullptr after replying WRONGTYPE.
HashValue* WriteHashOrCreate(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!LookupTyped(ctx, ctx.args[1], ObjType::kHash, Access::kWrite, &e)) return nullptr;
  if (e == nullptr) e = ctx.db.Add(ctx.args[1], std::make_unique<HashValue>());
  return e->hash();
}

// A write that changed the hash at args[1]: WATCH and the AOF learn about it.
void Modified(CommandContext& ctx) {
  ctx.events.KeyModified(ctx.args[1]);
  ctx.MarkDirty();
}

// HSET key field value [field value ...] replies the number of new fields; HMSET +OK.
void SetGeneric(CommandContext& ctx, bool reply_count) {
  if (ctx.argc() % 2 == 1) {
    hash_set::ReplyArityError(ctx);
    return;
  }
  HashValue* h = WriteHashOrCreate(ctx);
  if (h == nullptr) return;
  const size_t created = h->SetMany(ctx.args.subspan(2));
  ctx.events.KeyModified(ctx.args[1]);
  ctx.dirty += static_cast<int>((ctx.argc() - 2) / 2);  // Redis counts every pair as a change
  if (reply_count) {
    ctx.reply.Integer(static_cast<int64_t>(created));
  } else {
    ctx.reply.SimpleString("OK");
  }
}

void HSet(CommandContext& ctx) { SetGeneric(ctx, true); }
void HMSet(CommandContext& ctx) { SetGeneric(ctx, false); }

void HSetNx(CommandContext& ctx) {
  HashValue* h = WriteHashOrCreate(ctx);
  if (h == nullptr) return;
  if (!h->SetNx(ctx.args[2], ctx.args[3])) {
    ctx.reply.Integer(0);
    return;
  }
  Modified(ctx);
  ctx.reply.Integer(1);
}

void HGet(CommandContext& ctx) {
  const HashValue* h = nullptr;
  if (!ReadHash(ctx, &h, [&] { ctx.reply.Null(); })) return;
  if (auto v = h->Get(ctx.args[2])) {
    ctx.reply.Bulk(*v);
  } else {
    ctx.reply.Null();
  }
}

void HMGet(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!LookupTyped(ctx, ctx.args[1], ObjType::kHash, Access::kRead, &e)) return;
  const HashValue* h = e != nullptr ? e->hash() : nullptr;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    auto v = h != nullptr ? h->Get(ctx.args[i]) : std::nullopt;
    if (v) {
      ctx.reply.Bulk(*v);
    } else {
      ctx.reply.Null();
    }
  }
}

void HDel(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!LookupTyped(ctx, ctx.args[1], ObjType::kHash, Access::kWrite, &e)) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  HashValue* h = e->hash();
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (h->Delete(ctx.args[i])) deleted++;
    if (h->Size() == 0) {
      ctx.db.Delete(e);  // Redis deletes a hash with its last field and stops looking
      break;
    }
  }
  if (deleted > 0) {
    ctx.events.KeyModified(ctx.args[1]);
    ctx.dirty += static_cast<int>(std::min<int64_t>(deleted, INT32_MAX));
  }
  ctx.reply.Integer(deleted);
}

void HLen(CommandContext& ctx) {
  const HashValue* h = nullptr;
  if (!ReadHash(ctx, &h, [&] { ctx.reply.Integer(0); })) return;
  ctx.reply.Integer(static_cast<int64_t>(h->Size()));
}

void HStrLen(CommandContext& ctx) {
  const HashValue* h = nullptr;
  if (!ReadHash(ctx, &h, [&] { ctx.reply.Integer(0); })) return;
  ctx.reply.Integer(static_cast<int64_t>(h->StrLen(ctx.args[2])));
}

void HExists(CommandContext& ctx) {
  const HashValue* h = nullptr;
  if (!ReadHash(ctx, &h, [&] { ctx.reply.Integer(0); })) return;
  ctx.reply.Integer(h->Exists(ctx.args[2]) ? 1 : 0);
}

// HKEYS / HVALS reply arrays; HGETALL a map (a flat array in RESP2). A missing key is an empty
// array, or an empty map for HGETALL.
void GetAllGeneric(CommandContext& ctx, bool keys, bool values) {
  const bool map = keys && values;
  const HashValue* h = nullptr;
  auto empty = [&] {
    if (map) {
      ctx.reply.MapHeader(0);
    } else {
      ctx.reply.ArrayHeader(0);
    }
  };
  if (!ReadHash(ctx, &h, empty)) return;
  if (map) {
    ctx.reply.MapHeader(h->Size());
  } else {
    ctx.reply.ArrayHeader(h->Size());
  }
  h->ForEach([&](std::string_view f, std::string_view v) {
    if (keys) ctx.reply.Bulk(f);
    if (values) ctx.reply.Bulk(v);
  });
}

void HKeys(CommandContext& ctx) { GetAllGeneric(ctx, true, false); }
void HVals(CommandContext& ctx) { GetAllGeneric(ctx, false, true); }
void HGetAll(CommandContext& ctx) { GetAllGeneric(ctx, true, true); }

void HIncrBy(CommandContext& ctx) {
  int64_t incr = 0;
  if (!engine::ParseInt64(ctx.args[3], &incr)) {
    ctx.reply.Error(engine::kErrNotInteger);
    return;
  }
  HashValue* h = WriteHashOrCreate(ctx);
  if (h == nullptr) return;
  Result<int64_t> r = h->IncrBy(ctx.args[2], incr);
  if (!r.ok()) {
    ctx.reply.Error(r.status().message());
    return;  // only an existing field can fail, so the hash is not empty
  }
  Modified(ctx);
  ctx.reply.Integer(r.value());
}

void HIncrByFloat(CommandContext& ctx) {
  long double incr = 0;
  if (!engine::ParseLongDouble(ctx.args[3], &incr)) {
    ctx.reply.Error(engine::kErrNotFloat);
    return;
  }
  if (std::isnan(incr) || std::isinf(incr)) {
    ctx.reply.Error(engine::kErrIncrValueNanOrInf);
    return;
  }
  HashValue* h = WriteHashOrCreate(ctx);
  if (h == nullptr) return;
  Result<std::string> r = h->IncrByFloat(ctx.args[2], incr);
  if (!r.ok()) {
    ctx.reply.Error(r.status().message());
    return;
  }
  Modified(ctx);
  // Logged as HSET with the final text so a replay cannot round differently.
  const std::string_view record[] = {"HSET", ctx.args[1], ctx.args[2], r.value()};
  ctx.events.Propagate(record);
  ctx.MarkPropagated();
  ctx.reply.Bulk(r.value());
}

// HRANDFIELD key count [WITHVALUES], after the key was found: distinct fields for count >= 0,
// -count independent draws otherwise. RESP2 flattens field/value pairs; RESP3 nests them.
void RandFieldWithCount(CommandContext& ctx, const HashValue& h, int64_t count, bool withvalues) {
  if (!hash_set::CheckRandomRepeats(ctx, count)) return;
  const uint64_t n = count >= 0 ? std::min<uint64_t>(static_cast<uint64_t>(count), h.Size())
                                : static_cast<uint64_t>(-count);
  const bool resp3 = ctx.reply.protocol() == resp::Protocol::kResp3;
  ctx.reply.ArrayHeader(withvalues && !resp3 ? n * 2 : n);
  h.RandomFields(count, [&](std::string_view f, std::string_view v) {
    if (withvalues && resp3) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(f);
    if (withvalues) ctx.reply.Bulk(v);
  });
}

void HRandField(CommandContext& ctx) {
  if (ctx.argc() == 2) {
    const HashValue* h = nullptr;
    if (!ReadHash(ctx, &h, [&] { ctx.reply.Null(); })) return;
    ctx.reply.Bulk(h->RandomField().first);
    return;
  }
  int64_t count = 0;
  if (!hash_set::ParseRandomCount(ctx, ctx.args[2], &count)) return;
  bool withvalues = false;
  if (ctx.argc() > 4 ||
      (ctx.argc() == 4 && !hash_set::EqualsIgnoreCase(ctx.args[3], "withvalues"))) {
    ctx.reply.Error("ERR syntax error");
    return;
  }
  if (ctx.argc() == 4) {
    withvalues = true;
    // Redis's guard against count * 2 overflowing.
    if (count < -INT64_MAX / 2 || count > INT64_MAX / 2) {
      ctx.reply.Error("ERR value is out of range");
      return;
    }
  }
  const HashValue* h = nullptr;
  if (!ReadHash(ctx, &h, [&] { ctx.reply.ArrayHeader(0); })) return;
  if (count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  RandFieldWithCount(ctx, *h, count, withvalues);
}

void HScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!hash_set::ParseScanCursor(ctx, ctx.args[2], &cursor)) return;
  const HashValue* h = nullptr;
  // Redis looks the key up before it parses the options: a missing key ignores bad options.
  if (!ReadHash(ctx, &h, [&] { hash_set::ReplyEmptyScan(ctx); })) return;
  hash_set::ScanOptions options;
  if (!hash_set::ParseScanOptions(ctx, 3, &options)) return;
  std::vector<std::string> out;
  const uint64_t next = h->Scan(
      cursor, options.count,
      [&](std::string_view field) { return hash_set::ScanMatches(options, field); }, &out);
  hash_set::ReplyScan(ctx, next, out);
}

constexpr HandlerRow kHashHandlers[] = {
    {"hset", &HSet},
    {"hmset", &HMSet},
    {"hsetnx", &HSetNx},
    {"hget", &HGet},
    {"hmget", &HMGet},
    {"hdel", &HDel},
    {"hlen", &HLen},
    {"hstrlen", &HStrLen},
    {"hexists", &HExists},
    {"hkeys", &HKeys},
    {"hvals", &HVals},
    {"hgetall", &HGetAll},
    {"hincrby", &HIncrBy},
    {"hincrbyfloat", &HIncrByFloat},
    {"hrandfield", &HRandField},
    {"hscan", &HScan},
};

}  // namespace

std::span<const HandlerRow> HashHandlers() { return kHashHandlers; }

}  // namespace slotproxy::server
