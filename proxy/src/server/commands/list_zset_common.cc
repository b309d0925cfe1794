#include "server/commands/list_zset_common.h"

#include <cmath>
#include <string>

#include "engine/errors.h"
#include "engine/numbers.h"
#include "engine/types/type_errors.h"
#include "server/commands/key_util.h"

namespace slotproxy::server::listzset {

bool Lookup(CommandContext& ctx, std::string_view key, engine::ObjType type, Access access,
            engine::Entry** out) {
  engine::Entry* e =
      access == Access::kRead ? ctx.db.FindForRead(key, ctx.now_ms) : ctx.db.Find(key, ctx.now_ms);
  if (e != nullptr && e->type() != type) {
    ctx.reply.Error(engine::kErrWrongType);
    return false;
  }
  *out = e;
  return true;
}

bool ParseLong(CommandContext& ctx, std::string_view arg, int64_t* out) {
  if (engine::ParseInt64(arg, out)) return true;
  ctx.reply.Error(engine::kErrNotInteger);
  return false;
}

bool ParsePositiveLong(CommandContext& ctx, std::string_view arg, int64_t* out, const char* error) {
  int64_t v = 0;
  if (!engine::ParseInt64(arg, &v)) {
    ctx.reply.Error(error != nullptr ? error : engine::kErrOutOfRangePositive);
    return false;
  }
  if (v < 0) {
    ctx.reply.Error(error != nullptr ? error : engine::kErrOutOfRangePositive);
    return false;
  }
  *out = v;
  return true;
}

bool ParseDoubleArg(CommandContext& ctx, std::string_view arg, double* out, const char* error) {
  if (engine::ParseDouble(arg, out)) return true;
  ctx.reply.Error(error != nullptr ? error : engine::kErrNotFloat);
  return false;
}

bool ParseTimeout(CommandContext& ctx, std::string_view arg, int64_t* deadline_ms) {
  long double seconds = 0;
  if (!engine::ParseLongDouble(arg, &seconds)) {
    ctx.reply.Error("ERR timeout is not a float or out of range");
    return false;
  }
  const long double ms = std::ceil(seconds * 1000.0L);
  // Redis casts to long long; on x86 a value out of range becomes LLONG_MIN ("negative").
  constexpr long double kLimit = 9223372036854775808.0L;  // 2^63
  const int64_t tval = (ms >= kLimit || ms < -kLimit) ? INT64_MIN : static_cast<int64_t>(ms);
  if (tval < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return false;
  }
  *deadline_ms =
      tval == 0
          ? 0
          : static_cast<int64_t>(static_cast<uint64_t>(tval) + static_cast<uint64_t>(ctx.now_ms));
  return true;
}

void ReplyArityError(CommandContext& ctx) {
  ctx.reply.Error("ERR wrong number of arguments for '" + keyutil::CommandName(ctx) + "' command");
}

void NoteWrite(CommandContext& ctx, std::string_view key, int64_t changes) {
  ctx.events.KeyModified(key);
  if (changes > 0) ctx.dirty += static_cast<int>(std::min<int64_t>(changes, INT32_MAX));
}

}  // namespace slotproxy::server::listzset
