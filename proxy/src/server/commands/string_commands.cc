// Handlers of the string command family (issue 3): GET, the SET family with its options, GETEX,
// GETDEL, GETSET, MGET, MSET, MSETNX, and the table joining them with string_numeric.cc's
// handlers. Redis 7.0 semantics (src/t_string.c), replies byte for byte.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/errors.h"
#include "engine/numbers.h"
#include "server/commands/key_util.h"
#include "server/commands/string_handlers.h"
#include "server/handler_tables.h"

namespace slotproxy::server {
namespace strings {
namespace {

using engine::Entry;
using engine::ObjType;
using keyutil::IsKeyword;

// Option bits of parseExtendedStringArgumentsOrReply (SET and GETEX).
enum SetFlag : unsigned {
  kNx = 1u << 0,
  kXx = 1u << 1,
  kGet = 1u << 2,
  kKeepTtl = 1u << 3,
  kPersist = 1u << 4,
  kEx = 1u << 5,
  kPx = 1u << 6,
  kExAt = 1u << 7,
  kPxAt = 1u << 8,
};
constexpr unsigned kAnyExpire = kEx | kPx | kExAt | kPxAt;

struct ExtendedArgs {
  unsigned flags = 0;
  std::optional<std::string_view> expire;  // the time argument of EX/PX/EXAT/PXAT
};

// Matches one time option (EX, PX, EXAT, PXAT) at args[*j]; Redis lets the same option repeat
// (the last value wins) but never mix with another time option, KEEPTTL or PERSIST.
bool MatchTimeOption(const CommandContext& ctx, size_t* j, ExtendedArgs* out) {
  static constexpr struct {
    std::string_view name;
    unsigned flag;
  } kOptions[] = {{"ex", kEx}, {"px", kPx}, {"exat", kExAt}, {"pxat", kPxAt}};
  const std::string_view opt = ctx.args[*j];
  for (const auto& o : kOptions) {
    if (!IsKeyword(opt, o.name)) continue;
    const unsigned others = (kAnyExpire & ~o.flag) | kKeepTtl | kPersist;
    if ((out->flags & others) != 0 || *j + 1 >= ctx.argc()) return false;
    out->flags |= o.flag;
    out->expire = ctx.args[*j + 1];
    ++*j;
    return true;
  }
  return false;
}

// Redis's parseExtendedStringArgumentsOrReply for SET (is_set) and GETEX: options in any order,
// case-insensitive; false after replying "ERR syntax error".
bool ParseExtendedArgs(CommandContext& ctx, bool is_set, ExtendedArgs* out) {
  for (size_t j = is_set ? 3 : 2; j < ctx.argc(); ++j) {
    const std::string_view opt = ctx.args[j];
    unsigned& f = out->flags;
    if (is_set && IsKeyword(opt, "nx") && !(f & kXx)) {
      f |= kNx;
    } else if (is_set && IsKeyword(opt, "xx") && !(f & kNx)) {
      f |= kXx;
    } else if (is_set && IsKeyword(opt, "get")) {
      f |= kGet;
    } else if (is_set && IsKeyword(opt, "keepttl") && !(f & (kPersist | kAnyExpire))) {
      f |= kKeepTtl;
    } else if (!is_set && IsKeyword(opt, "persist") && !(f & (kKeepTtl | kAnyExpire))) {
      f |= kPersist;
    } else if (!MatchTimeOption(ctx, &j, out)) {
      ctx.reply.Error("ERR syntax error");
      return false;
    }
  }
  return true;
}

// The absolute expire time of parsed options; false after an error reply.
bool ExpireOf(CommandContext& ctx, const ExtendedArgs& a, int64_t* when_ms) {
  const bool seconds = (a.flags & (kEx | kExAt)) != 0;
  const bool relative = (a.flags & (kEx | kPx)) != 0;
  return keyutil::ParseExpireArg(ctx, *a.expire, seconds, relative, when_ms);
}

// Redis's getGenericCommand: replies the string value or null; false after a WRONGTYPE reply.
bool ReplyValue(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.db.FindForRead(key, ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Null();
    return true;
  }
  if (e->type() != ObjType::kString) {
    ctx.reply.Error(engine::kErrWrongType);
    return false;
  }
  char buf[engine::kInt64Chars];
  ctx.reply.Bulk(e->StringValue(buf));
  return true;
}

void Get(CommandContext& ctx) { ReplyValue(ctx, ctx.args[1]); }

// The replies of setGenericCommand's callers: SET answers +OK / null, SETNX :1 / :0.
enum class SetReply { kOkNull, kOneZero };

// Redis's setGenericCommand. `expire` is the time argument, if any, read per `flags`.
void SetGeneric(CommandContext& ctx, const ExtendedArgs& a, std::string_view key,
                std::string_view value, SetReply replies) {
  int64_t when_ms = 0;
  if (a.expire && !ExpireOf(ctx, a, &when_ms)) return;
  if ((a.flags & kGet) && !ReplyValue(ctx, key)) return;
  // Only NX / XX need the lookup; a plain SET goes straight to the write (hot path).
  const bool found = (a.flags & (kNx | kXx)) != 0 && ctx.db.Find(key, ctx.now_ms) != nullptr;
  if (((a.flags & kNx) && found) || ((a.flags & kXx) && !found)) {
    if (a.flags & kGet) return;  // the old value was the reply
    if (replies == SetReply::kOneZero) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Null();
    }
    return;
  }
  Entry* e = ctx.db.SetString(key, value, (a.flags & kKeepTtl) != 0);
  ctx.events.KeyModified(key);
  if (a.expire) {
    ctx.db.SetExpire(e, when_ms);
    // Relative times are logged as an absolute PXAT so a replay sets the same deadline.
    char buf[engine::kInt64Chars];
    keyutil::PropagateAs(ctx, {"SET", key, value, "PXAT", engine::FormatInt64(when_ms, buf)});
  } else if (a.flags & kGet) {
    // Logged without GET, which only shapes the reply.
    if (a.flags & kKeepTtl) {
      keyutil::PropagateAs(ctx, {"SET", key, value, "KEEPTTL"});
    } else {
      keyutil::PropagateAs(ctx, {"SET", key, value});
    }
  } else {
    ctx.MarkDirty();
  }
  if (a.flags & kGet) return;
  if (replies == SetReply::kOneZero) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.SimpleString("OK");
  }
}

void Set(CommandContext& ctx) {
  ExtendedArgs a;
  if (!ParseExtendedArgs(ctx, /*is_set=*/true, &a)) return;
  SetGeneric(ctx, a, ctx.args[1], ctx.args[2], SetReply::kOkNull);
}

void SetNx(CommandContext& ctx) {
  ExtendedArgs a;
  a.flags = kNx;
  SetGeneric(ctx, a, ctx.args[1], ctx.args[2], SetReply::kOneZero);
}

void SetEx(CommandContext& ctx) {
  ExtendedArgs a;
  a.flags = kEx;
  a.expire = ctx.args[2];
  SetGeneric(ctx, a, ctx.args[1], ctx.args[3], SetReply::kOkNull);
}

void PSetEx(CommandContext& ctx) {
  ExtendedArgs a;
  a.flags = kPx;
  a.expire = ctx.args[2];
  SetGeneric(ctx, a, ctx.args[1], ctx.args[3], SetReply::kOkNull);
}

void GetSet(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  if (!ReplyValue(ctx, key)) return;
  ctx.db.SetString(key, ctx.args[2]);
  ctx.events.KeyModified(key);
  keyutil::PropagateAs(ctx, {"SET", key, ctx.args[2]});
}

void GetDel(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  Entry* e = ctx.db.FindForRead(key, ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (e->type() != ObjType::kString) {
    ctx.reply.Error(engine::kErrWrongType);
    return;
  }
  char buf[engine::kInt64Chars];
  ctx.reply.Bulk(e->StringValue(buf));
  ctx.db.Delete(e);
  ctx.events.KeyModified(key);
  keyutil::PropagateAs(ctx, {"DEL", key});
}

// GETEX's effect after the reply: a past absolute time deletes, a time sets the TTL, PERSIST
// drops it; each is logged as the plain command that has the same effect.
void GetExApply(CommandContext& ctx, Entry* e, const ExtendedArgs& a, int64_t when_ms) {
  const std::string_view key = ctx.args[1];
  if ((a.flags & (kExAt | kPxAt)) && when_ms <= ctx.now_ms) {
    ctx.db.Delete(e);
    ctx.events.KeyModified(key);
    keyutil::PropagateAs(ctx, {"DEL", key});
  } else if (a.expire) {
    ctx.db.SetExpire(e, when_ms);
    ctx.events.KeyModified(key);
    char buf[engine::kInt64Chars];
    keyutil::PropagateAs(ctx, {"PEXPIREAT", key, engine::FormatInt64(when_ms, buf)});
  } else if ((a.flags & kPersist) && ctx.db.Persist(e)) {
    ctx.events.KeyModified(key);
    keyutil::PropagateAs(ctx, {"PERSIST", key});
  }
}

void GetEx(CommandContext& ctx) {
  ExtendedArgs a;
  if (!ParseExtendedArgs(ctx, /*is_set=*/false, &a)) return;
  Entry* e = ctx.db.FindForRead(ctx.args[1], ctx.now_ms);
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  if (e->type() != ObjType::kString) {
    ctx.reply.Error(engine::kErrWrongType);
    return;
  }
  int64_t when_ms = 0;
  if (a.expire && !ExpireOf(ctx, a, &when_ms)) return;
  char buf[engine::kInt64Chars];
  ctx.reply.Bulk(e->StringValue(buf));
  GetExApply(ctx, e, a, when_ms);
}

void MGet(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.argc() - 1);
  char buf[engine::kInt64Chars];
  for (size_t j = 1; j < ctx.argc(); ++j) {
    Entry* e = ctx.db.FindForRead(ctx.args[j], ctx.now_ms);
    if (e == nullptr || e->type() != ObjType::kString) {
      ctx.reply.Null();
    } else {
      ctx.reply.Bulk(e->StringValue(buf));
    }
  }
}

// MSET (nx = false) and MSETNX (nx = true).
void MSetGeneric(CommandContext& ctx, bool nx) {
  if (ctx.argc() % 2 == 0) {
    ctx.reply.Error("ERR wrong number of arguments for '" + keyutil::CommandName(ctx) +
                    "' command");
    return;
  }
  if (nx) {
    for (size_t j = 1; j < ctx.argc(); j += 2) {
      if (ctx.db.Find(ctx.args[j], ctx.now_ms) != nullptr) {
        ctx.reply.Integer(0);
        return;
      }
    }
  }
  for (size_t j = 1; j < ctx.argc(); j += 2) {
    ctx.db.SetString(ctx.args[j], ctx.args[j + 1]);
    ctx.events.KeyModified(ctx.args[j]);
  }
  ctx.MarkDirty();
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.SimpleString("OK");
  }
}

void MSet(CommandContext& ctx) { MSetGeneric(ctx, false); }
void MSetNx(CommandContext& ctx) { MSetGeneric(ctx, true); }

constexpr HandlerRow kRows[] = {
    {"get", &Get},           {"set", &Set},
    {"setnx", &SetNx},       {"setex", &SetEx},
    {"psetex", &PSetEx},     {"getset", &GetSet},
    {"getdel", &GetDel},     {"getex", &GetEx},
    {"mget", &MGet},         {"mset", &MSet},
    {"msetnx", &MSetNx},     {"incr", &Incr},
    {"decr", &Decr},         {"incrby", &IncrBy},
    {"decrby", &DecrBy},     {"incrbyfloat", &IncrByFloat},
    {"append", &Append},     {"strlen", &StrLen},
    {"getrange", &GetRange}, {"substr", &GetRange},
    {"setrange", &SetRange},
};

}  // namespace
}  // namespace strings

std::span<const HandlerRow> StringHandlers() { return strings::kRows; }

}  // namespace slotproxy::server
