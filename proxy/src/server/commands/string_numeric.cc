// Handlers of the counter and in-place string commands: INCR DECR INCRBY DECRBY INCRBYFLOAT
// APPEND STRLEN GETRANGE/SUBSTR SETRANGE, with Redis 7.0's argument checks in Redis's order.
#include <cstdint>
#include <string>

#include "engine/errors.h"
#include "engine/numbers.h"
#include "server/commands/key_util.h"
#include "server/commands/string_handlers.h"

namespace slotproxy::server::strings {
namespace {

using engine::Entry;
using engine::ObjType;

// Runs the engine's IncrBy and replies; the TTL is kept, the command logged as sent.
void IncrDecr(CommandContext& ctx, int64_t delta) {
  Result<int64_t> r = ctx.db.IncrBy(ctx.args[1], delta, ctx.now_ms);
  if (!r.ok()) {
    ctx.reply.Error(r.status().message());
    return;
  }
  ctx.events.KeyModified(ctx.args[1]);
  ctx.MarkDirty();
  ctx.reply.Integer(r.value());
}

// Parses args[2] as an increment; false after replying the integer error.
bool ParseDelta(CommandContext& ctx, int64_t* delta) {
  if (engine::ParseInt64(ctx.args[2], delta)) return true;
  ctx.reply.Error(engine::kErrNotInteger);
  return false;
}

}  // namespace

void Incr(CommandContext& ctx) { IncrDecr(ctx, 1); }
void Decr(CommandContext& ctx) { IncrDecr(ctx, -1); }

void IncrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (ParseDelta(ctx, &delta)) IncrDecr(ctx, delta);
}

void DecrBy(CommandContext& ctx) {
  int64_t delta = 0;
  if (!ParseDelta(ctx, &delta)) return;
  if (delta == INT64_MIN) {  // its negation does not fit
    ctx.reply.Error("ERR decrement would overflow");
    return;
  }
  IncrDecr(ctx, -delta);
}

void IncrByFloat(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  // Redis checks the type before it parses the increment.
  const Entry* e = ctx.db.Find(key, ctx.now_ms);
  if (e != nullptr && e->type() != ObjType::kString) {
    ctx.reply.Error(engine::kErrWrongType);
    return;
  }
  long double delta = 0;
  if (e != nullptr) {
    // The stored value is parsed before the increment; both fail with the same text.
    char buf[engine::kInt64Chars];
    long double ignored = 0;
    if (e->str_encoding() != engine::StrEncoding::kInt &&
        !engine::ParseLongDouble(e->StringValue(buf), &ignored)) {
      ctx.reply.Error(engine::kErrNotFloat);
      return;
    }
  }
  if (!engine::ParseLongDouble(ctx.args[2], &delta)) {
    ctx.reply.Error(engine::kErrNotFloat);
    return;
  }
  Result<std::string> r = ctx.db.IncrByFloat(key, delta, ctx.now_ms);
  if (!r.ok()) {
    ctx.reply.Error(r.status().message());
    return;
  }
  ctx.events.KeyModified(key);
  // Logged as the resulting value so float formatting cannot make a replay differ.
  keyutil::PropagateAs(ctx, {"SET", key, r.value(), "KEEPTTL"});
  ctx.reply.Bulk(r.value());
}

void Append(CommandContext& ctx) {
  Result<size_t> r = ctx.db.Append(ctx.args[1], ctx.args[2], ctx.now_ms);
  if (!r.ok()) {
    ctx.reply.Error(r.status().message());
    return;
  }
  ctx.events.KeyModified(ctx.args[1]);
  ctx.MarkDirty();
  ctx.reply.Integer(static_cast<int64_t>(r.value()));
}

void StrLen(CommandContext& ctx) {
  const Entry* e = ctx.db.FindForRead(ctx.args[1], ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Integer(0);
  } else if (e->type() != ObjType::kString) {
    ctx.reply.Error(engine::kErrWrongType);
  } else {
    ctx.reply.Integer(static_cast<int64_t>(e->StringLength()));
  }
}

void GetRange(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!engine::ParseInt64(ctx.args[2], &start) || !engine::ParseInt64(ctx.args[3], &end)) {
    ctx.reply.Error(engine::kErrNotInteger);
    return;
  }
  const Entry* e = ctx.db.FindForRead(ctx.args[1], ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Bulk("");
    return;
  }
  if (e->type() != ObjType::kString) {
    ctx.reply.Error(engine::kErrWrongType);
    return;
  }
  char buf[engine::kInt64Chars];
  ctx.reply.Bulk(engine::Keyspace::GetRange(e->StringValue(buf), start, end));
}

void SetRange(CommandContext& ctx) {
  int64_t offset = 0;
  if (!engine::ParseInt64(ctx.args[2], &offset)) {
    ctx.reply.Error(engine::kErrNotInteger);
    return;
  }
  if (offset < 0) {
    ctx.reply.Error(engine::kErrOffsetOutOfRange);
    return;
  }
  const std::string_view value = ctx.args[3];
  Result<size_t> r = ctx.db.SetRange(ctx.args[1], static_cast<uint64_t>(offset), value, ctx.now_ms);
  if (!r.ok()) {
    ctx.reply.Error(r.status().message());
    return;
  }
  if (!value.empty()) {  // an empty value changes nothing (and creates no key)
    ctx.events.KeyModified(ctx.args[1]);
    ctx.MarkDirty();
  }
  ctx.reply.Integer(static_cast<int64_t>(r.value()));
}

}  // namespace slotproxy::server::strings
