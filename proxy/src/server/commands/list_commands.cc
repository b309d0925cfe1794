// Handlers of the list command family (issue 3), following Redis 7.0's t_list.c: the order of
// checks (argument parsing, then key lookup and WRONGTYPE, as each command does it), the replies
// in RESP2 and RESP3, and the side effects (a list whose last element goes is deleted; writes
// signal their keys and count their changes; pushes signal the key ready for blocked clients;
// blocking pops that find data are logged as the non-blocking command).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/errors.h"
#include "engine/types/list_value.h"
#include "engine/types/type_errors.h"
#include "server/commands/key_util.h"
#include "server/commands/list_zset_common.h"
#include "server/handler_tables.h"

namespace slotproxy::server {
namespace {

using engine::Entry;
using engine::ListValue;
using engine::ObjType;
using listzset::Access;
using listzset::Lookup;
using listzset::NoteWrite;

// The list at `key` (nullptr when missing). False after replying WRONGTYPE.
bool FindList(CommandContext& ctx, std::string_view key, Access access, Entry** e) {
  return Lookup(ctx, key, ObjType::kList, access, e);
}

// Deletes the list at `key` when its last element went (Redis never keeps an empty list).
void DeleteIfEmpty(CommandContext& ctx, std::string_view key) {
  Entry* e = ctx.db.Find(key, ctx.now_ms);
  if (e != nullptr && e->list() != nullptr && e->list()->Size() == 0) ctx.db.Delete(e);
}

// LEFT / RIGHT of LMOVE and BLMOVE (getListPositionFromObjectOrReply): true for LEFT (the head).
bool ParseWhere(CommandContext& ctx, std::string_view arg, bool* left) {
  if (keyutil::IsKeyword(arg, "left")) {
    *left = true;
  } else if (keyutil::IsKeyword(arg, "right")) {
    *left = false;
  } else {
    ctx.reply.Error("ERR syntax error");
    return false;
  }
  return true;
}

// The number of elements LRANGE start end returns from a list of `size` elements.
int64_t RangeLength(int64_t size, int64_t start, int64_t end) {
  if (start < 0) start += size;
  if (end < 0) end += size;
  if (start < 0) start = 0;
  if (start > end || start >= size) return 0;
  if (end >= size) end = size - 1;
  return end - start + 1;
}

// LPUSH / RPUSH / LPUSHX / RPUSHX.
void Push(CommandContext& ctx, bool front, bool only_existing) {
  const std::string_view key = ctx.args[1];
  Entry* e = nullptr;
  if (!FindList(ctx, key, Access::kWrite, &e)) return;
  if (e == nullptr) {
    if (only_existing) {
      ctx.reply.Integer(0);
      return;
    }
    e = ctx.db.Add(key, std::make_unique<ListValue>());
  }
  const auto elements = ctx.args.subspan(2);
  const size_t size = front ? e->list()->PushFront(elements) : e->list()->PushBack(elements);
  ctx.reply.Integer(static_cast<int64_t>(size));
  NoteWrite(ctx, key, static_cast<int64_t>(elements.size()));
  ctx.events.KeyReady(key);
}

void LPush(CommandContext& ctx) { Push(ctx, true, false); }
void RPush(CommandContext& ctx) { Push(ctx, false, false); }
void LPushX(CommandContext& ctx) { Push(ctx, true, true); }
void RPushX(CommandContext& ctx) { Push(ctx, false, true); }

// LPOP / RPOP key [count].
void Pop(CommandContext& ctx, bool front) {
  if (ctx.argc() > 3) {
    listzset::ReplyArityError(ctx);
    return;
  }
  const bool has_count = ctx.argc() == 3;
  int64_t count = 0;
  if (has_count && !listzset::ParsePositiveLong(ctx, ctx.args[2], &count)) return;
  const std::string_view key = ctx.args[1];
  Entry* e = nullptr;
  if (!FindList(ctx, key, Access::kWrite, &e)) return;
  if (e == nullptr) {
    has_count ? ctx.reply.NullArray() : ctx.reply.Null();
    return;
  }
  if (has_count && count == 0) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  ListValue* list = e->list();
  size_t popped = 1;
  if (!has_count) {
    const std::optional<std::string> v = front ? list->PopFront() : list->PopBack();
    ctx.reply.Bulk(v.value_or(""));
  } else {
    const std::vector<std::string> items = front ? list->PopFront(static_cast<size_t>(count))
                                                 : list->PopBack(static_cast<size_t>(count));
    ctx.reply.ArrayHeader(items.size());
    for (const std::string& item : items) ctx.reply.Bulk(item);
    popped = items.size();
  }
  if (list->Size() == 0) ctx.db.Delete(e);
  NoteWrite(ctx, key, static_cast<int64_t>(popped));
}

void LPop(CommandContext& ctx) { Pop(ctx, true); }
void RPop(CommandContext& ctx) { Pop(ctx, false); }

void LLen(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kRead, &e)) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(e->list()->Size()));
}

void LRange(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!listzset::ParseLong(ctx, ctx.args[2], &start) ||
      !listzset::ParseLong(ctx, ctx.args[3], &end)) {
    return;
  }
  Entry* e = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kRead, &e)) return;
  if (e == nullptr) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  const ListValue* list = e->list();
  ctx.reply.ArrayHeader(
      static_cast<size_t>(RangeLength(static_cast<int64_t>(list->Size()), start, end)));
  list->ForRange(start, end, [&](std::string_view item) { ctx.reply.Bulk(item); });
}

// LINDEX looks the key up before it parses the index (a missing key answers nil to anything).
void LIndex(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kRead, &e)) return;
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  int64_t index = 0;
  if (!listzset::ParseLong(ctx, ctx.args[2], &index)) return;
  const std::optional<std::string_view> item = e->list()->Index(index);
  item ? ctx.reply.Bulk(*item) : ctx.reply.Null();
}

void LSet(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kWrite, &e)) return;
  if (e == nullptr) {
    ctx.reply.Error(engine::kErrNoSuchKey);
    return;
  }
  int64_t index = 0;
  if (!listzset::ParseLong(ctx, ctx.args[2], &index)) return;
  const Status st = e->list()->Set(index, ctx.args[3]);
  if (!st.ok()) {
    ctx.reply.Error(engine::kErrIndexOutOfRange);
    return;
  }
  ctx.reply.SimpleString("OK");
  NoteWrite(ctx, ctx.args[1], 1);
}

void LRem(CommandContext& ctx) {
  int64_t count = 0;
  if (!listzset::ParseLong(ctx, ctx.args[2], &count)) return;
  Entry* e = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kWrite, &e)) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  const size_t removed = e->list()->Remove(count, ctx.args[3]);
  if (e->list()->Size() == 0) ctx.db.Delete(e);
  if (removed > 0) NoteWrite(ctx, ctx.args[1], static_cast<int64_t>(removed));
  ctx.reply.Integer(static_cast<int64_t>(removed));
}

// LTRIM touches the key (WATCH) even when nothing was removed, as Redis does.
void LTrim(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!listzset::ParseLong(ctx, ctx.args[2], &start) ||
      !listzset::ParseLong(ctx, ctx.args[3], &end)) {
    return;
  }
  Entry* e = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kWrite, &e)) return;
  if (e == nullptr) {
    ctx.reply.SimpleString("OK");
    return;
  }
  ListValue* list = e->list();
  const size_t before = list->Size();
  list->Trim(start, end);
  const size_t removed = before - list->Size();
  if (list->Size() == 0) ctx.db.Delete(e);
  NoteWrite(ctx, ctx.args[1], static_cast<int64_t>(removed));
  ctx.reply.SimpleString("OK");
}

void LInsert(CommandContext& ctx) {
  bool before = false;
  if (keyutil::IsKeyword(ctx.args[2], "before")) {
    before = true;
  } else if (!keyutil::IsKeyword(ctx.args[2], "after")) {
    ctx.reply.Error("ERR syntax error");
    return;
  }
  Entry* e = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kWrite, &e)) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  const int64_t size = e->list()->Insert(before, ctx.args[3], ctx.args[4]);
  if (size >= 0) NoteWrite(ctx, ctx.args[1], 1);
  ctx.reply.Integer(size);
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: options in any order, each
// checked as it is read.
void LPos(CommandContext& ctx) {
  int64_t rank = 1;
  std::optional<int64_t> count;
  int64_t maxlen = 0;
  for (size_t j = 3; j < ctx.argc(); j++) {
    const std::string_view opt = ctx.args[j];
    const bool more = j + 1 < ctx.argc();
    if (more && keyutil::IsKeyword(opt, "rank")) {
      if (!listzset::ParseLong(ctx, ctx.args[++j], &rank)) return;
      if (rank == 0) {
        ctx.reply.Error(engine::kErrLposRankZero);
        return;
      }
    } else if (more && keyutil::IsKeyword(opt, "count")) {
      int64_t c = 0;
      if (!listzset::ParsePositiveLong(ctx, ctx.args[++j], &c, engine::kErrLposCountNegative)) {
        return;
      }
      count = c;
    } else if (more && keyutil::IsKeyword(opt, "maxlen")) {
      if (!listzset::ParsePositiveLong(ctx, ctx.args[++j], &maxlen,
                                       engine::kErrLposMaxlenNegative)) {
        return;
      }
    } else {
      ctx.reply.Error("ERR syntax error");
      return;
    }
  }
  Entry* e = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kRead, &e)) return;
  if (e == nullptr) {
    count ? ctx.reply.ArrayHeader(0) : ctx.reply.Null();
    return;
  }
  Result<std::vector<int64_t>> found = e->list()->Pos(ctx.args[2], rank, count, maxlen);
  if (!found.ok()) {
    ctx.reply.Error(found.status().message());
    return;
  }
  const std::vector<int64_t>& positions = found.value();
  if (!count) {
    positions.empty() ? ctx.reply.Null() : ctx.reply.Integer(positions.front());
    return;
  }
  ctx.reply.ArrayHeader(positions.size());
  for (int64_t pos : positions) ctx.reply.Integer(pos);
}

// How a successful move is logged: as sent, or rewritten from its blocking form.
enum class MoveLog { kAsSent, kAsLMove, kAsRPopLPush };

// The body of LMOVE / RPOPLPUSH (lmoveGenericCommand), also run by BLMOVE / BRPOPLPUSH when the
// source has elements. The source is looked up (and answered nil when missing) before the
// destination's type is checked.
void Move(CommandContext& ctx, bool from_left, bool to_left, MoveLog log) {
  const std::string_view src = ctx.args[1];
  const std::string_view dst = ctx.args[2];
  Entry* s = nullptr;
  if (!FindList(ctx, src, Access::kWrite, &s)) return;
  if (s == nullptr) {
    ctx.reply.Null();
    return;
  }
  Entry* d = nullptr;
  if (!FindList(ctx, dst, Access::kWrite, &d)) return;
  // The destination lookup may have expired (deleted) a key: look the source up again.
  ListValue* source = ctx.db.Find(src, ctx.now_ms)->list();
  const std::string value = *(from_left ? source->PopFront() : source->PopBack());
  ListValue* target = d != nullptr ? ctx.db.Find(dst, ctx.now_ms)->list()
                                   : ctx.db.Add(dst, std::make_unique<ListValue>())->list();
  to_left ? target->PushFront(value) : target->PushBack(value);
  ctx.events.KeyModified(dst);
  ctx.events.KeyReady(dst);
  ctx.reply.Bulk(value);
  DeleteIfEmpty(ctx, src);
  ctx.events.KeyModified(src);
  if (log == MoveLog::kAsSent) {
    ctx.MarkDirty();
  } else if (log == MoveLog::kAsLMove) {
    keyutil::PropagateAs(ctx, {"LMOVE", src, dst, ctx.args[3], ctx.args[4]});
  } else {
    keyutil::PropagateAs(ctx, {"RPOPLPUSH", src, dst});
  }
}

void LMove(CommandContext& ctx) {
  bool from_left = false;
  bool to_left = false;
  if (!ParseWhere(ctx, ctx.args[3], &from_left) || !ParseWhere(ctx, ctx.args[4], &to_left)) {
    return;
  }
  Move(ctx, from_left, to_left, MoveLog::kAsSent);
}

void RPopLPush(CommandContext& ctx) { Move(ctx, false, true, MoveLog::kAsSent); }

// BLPOP / BRPOP key [key ...] timeout: pops from the first non-empty list, replying [key, value]
// and logging LPOP / RPOP key; blocks on all keys when every list is missing.
void BlockingPop(CommandContext& ctx, bool front) {
  int64_t deadline = 0;
  if (!listzset::ParseTimeout(ctx, ctx.args.back(), &deadline)) return;
  const auto keys = ctx.args.subspan(1, ctx.argc() - 2);
  for (std::string_view key : keys) {
    Entry* e = nullptr;
    if (!FindList(ctx, key, Access::kWrite, &e)) return;
    if (e == nullptr || e->list()->Size() == 0) continue;
    ListValue* list = e->list();
    const std::string value = *(front ? list->PopFront() : list->PopBack());
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    ctx.reply.Bulk(value);
    if (list->Size() == 0) ctx.db.Delete(e);
    ctx.events.KeyModified(key);
    keyutil::PropagateAs(ctx, {front ? "LPOP" : "RPOP", key});
    return;
  }
  if (!ctx.may_block) {
    ctx.reply.NullArray();  // inside MULTI / scripts Redis answers as a timeout
    return;
  }
  ctx.events.Block(keys, deadline);
}

void BLPop(CommandContext& ctx) { BlockingPop(ctx, true); }
void BRPop(CommandContext& ctx) { BlockingPop(ctx, false); }

// BLMOVE / BRPOPLPUSH once their arguments are parsed (blmoveGenericCommand).
void BlockingMove(CommandContext& ctx, bool from_left, bool to_left, int64_t deadline,
                  MoveLog log) {
  Entry* s = nullptr;
  if (!FindList(ctx, ctx.args[1], Access::kWrite, &s)) return;
  if (s != nullptr) {
    Move(ctx, from_left, to_left, log);
    return;
  }
  if (!ctx.may_block) {
    ctx.reply.Null();  // Redis answers a nil bulk here, unlike the null array of a timeout
    return;
  }
  ctx.events.Block(ctx.args.subspan(1, 1), deadline);
}

void BLMove(CommandContext& ctx) {
  bool from_left = false;
  bool to_left = false;
  int64_t deadline = 0;
  if (!ParseWhere(ctx, ctx.args[3], &from_left) || !ParseWhere(ctx, ctx.args[4], &to_left) ||
      !listzset::ParseTimeout(ctx, ctx.args[5], &deadline)) {
    return;
  }
  BlockingMove(ctx, from_left, to_left, deadline, MoveLog::kAsLMove);
}

void BRPopLPush(CommandContext& ctx) {
  int64_t deadline = 0;
  if (!listzset::ParseTimeout(ctx, ctx.args[3], &deadline)) return;
  BlockingMove(ctx, false, true, deadline, MoveLog::kAsRPopLPush);
}

constexpr HandlerRow kListHandlers[] = {
    {"lpush", &LPush},     {"rpush", &RPush}, {"lpushx", &LPushX}, {"rpushx", &RPushX},
    {"lpop", &LPop},       {"rpop", &RPop},   {"llen", &LLen},     {"lrange", &LRange},
    {"lindex", &LIndex},   {"lset", &LSet},   {"lrem", &LRem},     {"ltrim", &LTrim},
    {"linsert", &LInsert}, {"lpos", &LPos},   {"lmove", &LMove},   {"rpoplpush", &RPopLPush},
    {"blpop", &BLPop},     {"brpop", &BRPop}, {"blmove", &BLMove}, {"brpoplpush", &BRPopLPush},
};

}  // namespace

std::span<const HandlerRow> ListHandlers() { return kListHandlers; }

}  // namespace slotproxy::server
