// Handlers of the generic key command family (issue 3): DEL UNLINK EXISTS TYPE TOUCH RENAME
// RENAMENX COPY KEYS SCAN RANDOMKEY DBSIZE FLUSHDB FLUSHALL OBJECT, plus the expiry commands of
// key_expire.cc in the same table. Redis 7.0 semantics (src/db.c, src/object.c) in cluster mode.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/errors.h"
#include "engine/numbers.h"
#include "server/commands/key_handlers.h"
#include "server/commands/key_util.h"
#include "server/handler_tables.h"

namespace slotproxy::server {
namespace keys {
namespace {

using engine::Entry;
using engine::ObjType;
using keyutil::IsKeyword;

// DEL and UNLINK: the number of live keys deleted.
void Del(CommandContext& ctx) {
  int64_t deleted = 0;
  for (size_t j = 1; j < ctx.argc(); ++j) {
    if (!ctx.db.Delete(ctx.args[j], ctx.now_ms)) continue;
    ctx.events.KeyModified(ctx.args[j]);
    ++deleted;
  }
  if (deleted > 0) ctx.MarkDirty();
  ctx.reply.Integer(deleted);
}

// EXISTS and TOUCH: the number of arguments naming a live key (repeats count again).
void Exists(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t j = 1; j < ctx.argc(); ++j) {
    if (ctx.db.FindForRead(ctx.args[j], ctx.now_ms) != nullptr) ++found;
  }
  ctx.reply.Integer(found);
}

void Type(CommandContext& ctx) {
  const Entry* e = ctx.db.FindForRead(ctx.args[1], ctx.now_ms);
  ctx.reply.SimpleString(e == nullptr ? "none" : engine::TypeName(e->type()));
}

// A moved or copied list or sorted set may serve clients blocked on the destination (Redis's
// dbAdd signals it).
void SignalReadyIfBlockable(CommandContext& ctx, std::string_view key) {
  const Entry* e = ctx.db.Peek(key);
  if (e != nullptr && (e->type() == ObjType::kList || e->type() == ObjType::kZSet)) {
    ctx.events.KeyReady(key);
  }
}

void RenameGeneric(CommandContext& ctx, bool nx) {
  const std::string_view src = ctx.args[1];
  const std::string_view dst = ctx.args[2];
  const engine::RenameResult r = ctx.db.Rename(src, dst, nx, ctx.now_ms);
  if (r == engine::RenameResult::kNoSuchKey) {
    ctx.reply.Error(engine::kErrNoSuchKey);
    return;
  }
  // Renaming a key onto itself changes nothing; RENAMENX then answers 0, RENAME +OK.
  if (r == engine::RenameResult::kTargetExists || src == dst) {
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.SimpleString("OK");
    }
    return;
  }
  ctx.events.KeyModified(src);
  ctx.events.KeyModified(dst);
  SignalReadyIfBlockable(ctx, dst);
  ctx.MarkDirty();
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.SimpleString("OK");
  }
}

void Rename(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNx(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY's options; false after an error reply. The shard is in cluster mode, where only DB 0
// exists for COPY (Redis checks the index against the 16 databases first).
bool ParseCopyOptions(CommandContext& ctx, bool* replace) {
  for (size_t j = 3; j < ctx.argc(); ++j) {
    if (IsKeyword(ctx.args[j], "replace")) {
      *replace = true;
    } else if (IsKeyword(ctx.args[j], "db") && j + 1 < ctx.argc()) {
      int64_t db = 0;
      if (!engine::ParseInt64(ctx.args[j + 1], &db) || db < INT32_MIN || db > INT32_MAX) {
        ctx.reply.Error(engine::kErrNotInteger);
        return false;
      }
      if (db < 0 || db >= 16) {
        ctx.reply.Error("ERR DB index is out of range");
        return false;
      }
      if (db != 0) {
        ctx.reply.Error("ERR Copying to another database is not allowed in cluster mode");
        return false;
      }
      ++j;
    } else {
      ctx.reply.Error("ERR syntax error");
      return false;
    }
  }
  return true;
}

void Copy(CommandContext& ctx) {
  bool replace = false;
  if (!ParseCopyOptions(ctx, &replace)) return;
  const std::string_view dst = ctx.args[2];
  switch (ctx.db.Copy(ctx.args[1], dst, replace, ctx.now_ms)) {
    case engine::CopyResult::kSameKey:
      ctx.reply.Error(engine::kErrSameObject);
      return;
    case engine::CopyResult::kNoSuchKey:
    case engine::CopyResult::kTargetExists:
      ctx.reply.Integer(0);
      return;
    case engine::CopyResult::kOk:
      break;
  }
  ctx.events.KeyModified(dst);
  SignalReadyIfBlockable(ctx, dst);
  ctx.MarkDirty();
  ctx.reply.Integer(1);
}

void Keys(CommandContext& ctx) {
  const std::vector<std::string> keys = ctx.db.KeysMatching(ctx.args[1], ctx.now_ms);
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& k : keys) ctx.reply.Bulk(k);
}

// Redis's parseScanCursorOrReply (strtoul): an optional sign, decimal digits that fit 64 bits,
// nothing after them; "-N" wraps as strtoul does; the empty string is cursor 0.
bool ParseScanCursor(std::string_view arg, uint64_t* cursor) {
  arg = arg.substr(0, arg.find('\0'));  // strtoul sees a C string
  if (arg.empty()) {
    *cursor = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = arg[0] == '-';
  if (arg[0] == '+' || arg[0] == '-') ++i;
  if (i == arg.size()) return false;
  uint64_t v = 0;
  for (; i < arg.size(); ++i) {
    const char c = arg[i];
    if (c < '0' || c > '9') return false;
    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, c - '0', &v)) {
      return false;  // ERANGE
    }
  }
  *cursor = negative ? ~v + 1 : v;
  return true;
}

struct ScanOptions {
  size_t count = 10;
  std::optional<std::string_view> pattern;
  std::optional<std::string_view> type_name;
};

// SCAN's options in Redis's loop; false after replying the error.
bool ParseScanOptions(CommandContext& ctx, ScanOptions* o) {
  for (size_t i = 2; i < ctx.argc();) {
    const bool has_value = ctx.argc() - i >= 2;
    const std::string_view opt = ctx.args[i];
    if (IsKeyword(opt, "count") && has_value) {
      int64_t count = 0;
      if (!engine::ParseInt64(ctx.args[i + 1], &count)) {
        ctx.reply.Error(engine::kErrNotInteger);
        return false;
      }
      if (count < 1) {
        ctx.reply.Error("ERR syntax error");
        return false;
      }
      o->count = static_cast<size_t>(count);
    } else if (IsKeyword(opt, "match") && has_value) {
      o->pattern = ctx.args[i + 1];
    } else if (IsKeyword(opt, "type") && has_value) {
      o->type_name = ctx.args[i + 1];
    } else {
      ctx.reply.Error("ERR syntax error");
      return false;
    }
    i += 2;
  }
  return true;
}

void Scan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseScanCursor(ctx.args[1], &cursor)) {
    ctx.reply.Error("ERR invalid cursor");
    return;
  }
  ScanOptions o;
  if (!ParseScanOptions(ctx, &o)) return;
  std::optional<ObjType> type;
  if (o.type_name) type = engine::ParseTypeName(*o.type_name);
  const std::string_view pattern = o.pattern.value_or("*");
  std::vector<std::string> found;
  const uint64_t next = ctx.db.Scan(cursor, o.count, pattern, type, ctx.now_ms, &found);
  // An unknown TYPE matches no key (Redis compares names); MATCH "" matches only "" (the
  // engine reads an empty pattern as "all").
  if (o.type_name && !type) found.clear();
  if (o.pattern && pattern.empty()) std::erase_if(found, [](const auto& k) { return !k.empty(); });
  char buf[engine::kInt64Chars + 1];
  const int len = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(next));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::string_view(buf, static_cast<size_t>(len)));
  ctx.reply.ArrayHeader(found.size());
  for (const std::string& k : found) ctx.reply.Bulk(k);
}

void RandomKey(CommandContext& ctx) {
  const std::optional<std::string> key = ctx.db.RandomKey(ctx.now_ms);
  if (key) {
    ctx.reply.Bulk(*key);
  } else {
    ctx.reply.Null();
  }
}

void DbSize(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.db.Size())); }

// FLUSHDB / FLUSHALL [SYNC|ASYNC]: both empty the shard's only database. Every key is reported
// modified (Redis touches the watched keys of a flushed database), in bounded batches.
void Flush(CommandContext& ctx) {
  if (ctx.argc() > 2 ||
      (ctx.argc() == 2 && !IsKeyword(ctx.args[1], "sync") && !IsKeyword(ctx.args[1], "async"))) {
    ctx.reply.Error("ERR syntax error");
    return;
  }
  std::vector<std::string> batch;
  uint64_t cursor = 0;
  do {
    batch.clear();
    cursor = ctx.db.Scan(cursor, 1024, "*", std::nullopt, ctx.now_ms, &batch);
    for (const std::string& k : batch) ctx.events.KeyModified(k);
  } while (cursor != 0);
  ctx.db.Flush();
  ctx.MarkDirty();  // logged even when the database was already empty, as Redis forces
  ctx.reply.SimpleString("OK");
}

// OBJECT's subcommands look the key up without touching it; a missing key answers null.
const Entry* ObjectLookup(CommandContext& ctx) {
  const Entry* e = ctx.db.FindForRead(ctx.args[2], ctx.now_ms);
  if (e == nullptr) ctx.reply.Null();
  return e;
}

void ObjectEncoding(CommandContext& ctx) {
  if (const Entry* e = ObjectLookup(ctx)) ctx.reply.Bulk(engine::Keyspace::ObjectEncoding(e));
}

void ObjectFreq(CommandContext& ctx) {
  if (ObjectLookup(ctx) == nullptr) return;
  // The shard never runs an LFU maxmemory policy.
  ctx.reply.Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
      "that when switching between policies at runtime LRU and LFU data will take some time to "
      "adjust.");
}

void ObjectIdleTime(CommandContext& ctx) {
  // Access times are not tracked (no eviction), so every key reads as just used.
  if (ObjectLookup(ctx) != nullptr) ctx.reply.Integer(0);
}

void ObjectRefCount(CommandContext& ctx) {
  const Entry* e = ObjectLookup(ctx);
  if (e == nullptr) return;
  // Redis shares the integers 0..9999 (OBJ_SHARED_INTEGERS) and reports them as INT_MAX.
  const bool shared = e->type() == ObjType::kString &&
                      e->str_encoding() == engine::StrEncoding::kInt && e->int_value() >= 0 &&
                      e->int_value() < 10000;
  ctx.reply.Integer(shared ? 2147483647 : 1);
}

void ObjectHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (std::string_view line : kLines) ctx.reply.SimpleString(line);
}

constexpr HandlerRow kRows[] = {
    {"del", &Del},
    {"unlink", &Del},
    {"exists", &Exists},
    {"touch", &Exists},
    {"type", &Type},
    {"expire", &Expire},
    {"pexpire", &PExpire},
    {"expireat", &ExpireAt},
    {"pexpireat", &PExpireAt},
    {"ttl", &Ttl},
    {"pttl", &PTtl},
    {"expiretime", &ExpireTime},
    {"pexpiretime", &PExpireTime},
    {"persist", &Persist},
    {"rename", &Rename},
    {"renamenx", &RenameNx},
    {"copy", &Copy},
    {"keys", &Keys},
    {"scan", &Scan},
    {"randomkey", &RandomKey},
    {"dbsize", &DbSize},
    {"flushdb", &Flush},
    {"flushall", &Flush},
    {"object|encoding", &ObjectEncoding},
    {"object|freq", &ObjectFreq},
    {"object|idletime", &ObjectIdleTime},
    {"object|refcount", &ObjectRefCount},
    {"object|help", &ObjectHelp},
};

}  // namespace
}  // namespace keys

std::span<const HandlerRow> KeyHandlers() { return keys::kRows; }

}  // namespace slotproxy::server
