// Handlers of the expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL
// EXPIRETIME PEXPIRETIME PERSIST, as Redis 7.0's src/expire.c.
#include <cstdint>
#include <string>

#include "engine/errors.h"
#include "engine/numbers.h"
#include "server/commands/key_handlers.h"
#include "server/commands/key_util.h"

namespace slotproxy::server::keys {
namespace {

using engine::Entry;
using keyutil::IsKeyword;

enum ExpireFlag : unsigned { kNx = 1, kXx = 2, kGt = 4, kLt = 8 };

// Redis's parseExtendedExpireArgumentsOrReply; false after an error reply.
bool ParseExpireFlags(CommandContext& ctx, unsigned* flags) {
  for (size_t j = 3; j < ctx.argc(); ++j) {
    const std::string_view opt = ctx.args[j];
    if (IsKeyword(opt, "nx")) {
      *flags |= kNx;
    } else if (IsKeyword(opt, "xx")) {
      *flags |= kXx;
    } else if (IsKeyword(opt, "gt")) {
      *flags |= kGt;
    } else if (IsKeyword(opt, "lt")) {
      *flags |= kLt;
    } else {
      // Redis formats the option with %s, so it ends at a NUL byte.
      ctx.reply.Error("ERR Unsupported option " + std::string(opt.substr(0, opt.find('\0'))));
      return false;
    }
  }
  if ((*flags & kNx) && (*flags & (kXx | kGt | kLt))) {
    ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((*flags & kGt) && (*flags & kLt)) {
    ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  return true;
}

// True when the NX/XX/GT/LT conditions let `when` replace `current` (-1: no TTL, which GT
// treats as infinite).
bool ConditionsHold(unsigned flags, int64_t when, int64_t current) {
  if ((flags & kNx) && current != -1) return false;
  if ((flags & kXx) && current == -1) return false;
  if ((flags & kGt) && (current == -1 || when <= current)) return false;
  if ((flags & kLt) && current != -1 && when >= current) return false;
  return true;
}

// Redis's expireGenericCommand: args[2] is a time in `seconds` or ms, relative when `relative`.
void ExpireGeneric(CommandContext& ctx, bool seconds, bool relative) {
  unsigned flags = 0;
  if (!ParseExpireFlags(ctx, &flags)) return;
  int64_t when = 0;
  if (!engine::ParseInt64(ctx.args[2], &when)) {
    ctx.reply.Error(engine::kErrNotInteger);
    return;
  }
  // Negative times are allowed (they delete the key); only overflow is an error.
  if (seconds) {
    if (when > INT64_MAX / 1000 || when < INT64_MIN / 1000) {
      keyutil::ReplyInvalidExpireTime(ctx);
      return;
    }
    when *= 1000;
  }
  const int64_t base = relative ? ctx.now_ms : 0;
  if (when > INT64_MAX - base) {
    keyutil::ReplyInvalidExpireTime(ctx);
    return;
  }
  when += base;
  const std::string_view key = ctx.args[1];
  Entry* e = ctx.db.Find(key, ctx.now_ms);
  if (e == nullptr || (flags != 0 && !ConditionsHold(flags, when, ctx.db.GetExpire(e)))) {
    ctx.reply.Integer(0);
    return;
  }
  if (when <= ctx.now_ms) {
    ctx.db.Delete(e);
    ctx.events.KeyModified(key);
    keyutil::PropagateAs(ctx, {"DEL", key});
  } else {
    ctx.db.SetExpire(e, when);
    ctx.events.KeyModified(key);
    char buf[engine::kInt64Chars];
    keyutil::PropagateAs(ctx, {"PEXPIREAT", key, engine::FormatInt64(when, buf)});
  }
  ctx.reply.Integer(1);
}

// Redis's ttlGenericCommand: `ms` selects milliseconds, `absolute` the deadline itself.
void TtlGeneric(CommandContext& ctx, bool ms, bool absolute) {
  const Entry* e = ctx.db.FindForRead(ctx.args[1], ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Integer(-2);
    return;
  }
  const int64_t expire = ctx.db.GetExpire(e);
  if (expire == -1) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t t = absolute ? expire : expire - ctx.now_ms;
  if (t < 0) t = 0;
  ctx.reply.Integer(ms ? t : (t + 500) / 1000);
}

}  // namespace

void Expire(CommandContext& ctx) { ExpireGeneric(ctx, /*seconds=*/true, /*relative=*/true); }
void PExpire(CommandContext& ctx) { ExpireGeneric(ctx, false, true); }
void ExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, true, false); }
void PExpireAt(CommandContext& ctx) { ExpireGeneric(ctx, false, false); }

void Ttl(CommandContext& ctx) { TtlGeneric(ctx, /*ms=*/false, /*absolute=*/false); }
void PTtl(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpireTime(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void PExpireTime(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void Persist(CommandContext& ctx) {
  Entry* e = ctx.db.Find(ctx.args[1], ctx.now_ms);
  if (e == nullptr || !ctx.db.Persist(e)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.events.KeyModified(ctx.args[1]);
  ctx.MarkDirty();
  ctx.reply.Integer(1);
}

}  // namespace slotproxy::server::keys
