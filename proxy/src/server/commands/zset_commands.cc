// Handlers of the sorted-set command family (issue 3), following Redis 7.0's t_zset.c: the order
// of checks (options, then scores and ranges, then the key lookup and WRONGTYPE), the replies in
// RESP2 and RESP3 (scores as doubles), and the side effects (a sorted set whose last member goes
// is deleted; writes signal their keys and count their changes; adds signal the key ready for
// clients blocked in BZPOPMIN / BZPOPMAX). The range, pop and store commands live in
// zset_range_commands.cc and zset_pop_store.cc.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/errors.h"
#include "engine/glob.h"
#include "engine/types/type_errors.h"
#include "engine/types/zset_range.h"
#include "engine/types/zset_value.h"
#include "server/commands/key_util.h"
#include "server/commands/list_zset_common.h"
#include "server/commands/zset_handlers.h"
#include "server/handler_tables.h"

namespace slotproxy::server {
namespace {

using engine::Entry;
using engine::ObjType;
using engine::ZAddFlags;
using engine::ZAddResult;
using engine::ZSetValue;
using listzset::Access;
using listzset::NoteWrite;

bool FindZSet(CommandContext& ctx, std::string_view key, Access access, Entry** e) {
  return listzset::Lookup(ctx, key, ObjType::kZSet, access, e);
}

// The parsed options of ZADD / ZINCRBY.
struct ZAddOptions {
  ZAddFlags flags;
  bool ch = false;
  size_t score_index = 2;  // where the first score-member pair starts
};

// Parses ZADD's leading options and checks them in Redis's order: pair count, XX+NX, GT/LT/NX,
// INCR with several pairs. False after replying.
bool ParseZAddOptions(CommandContext& ctx, bool incr, ZAddOptions* o) {
  o->flags.incr = incr;
  size_t i = 2;
  for (; i < ctx.argc(); i++) {
    const std::string_view opt = ctx.args[i];
    if (keyutil::IsKeyword(opt, "nx")) {
      o->flags.nx = true;
    } else if (keyutil::IsKeyword(opt, "xx")) {
      o->flags.xx = true;
    } else if (keyutil::IsKeyword(opt, "ch")) {
      o->ch = true;
    } else if (keyutil::IsKeyword(opt, "incr")) {
      o->flags.incr = true;
    } else if (keyutil::IsKeyword(opt, "gt")) {
      o->flags.gt = true;
    } else if (keyutil::IsKeyword(opt, "lt")) {
      o->flags.lt = true;
    } else {
      break;
    }
  }
  o->score_index = i;
  const size_t elements = ctx.argc() - i;
  const ZAddFlags& f = o->flags;
  if (elements == 0 || elements % 2 != 0) {
    ctx.reply.Error("ERR syntax error");
  } else if (f.nx && f.xx) {
    ctx.reply.Error(engine::kErrZAddXxNx);
  } else if ((f.gt && f.nx) || (f.lt && f.nx) || (f.gt && f.lt)) {
    ctx.reply.Error(engine::kErrZAddGtLtNx);
  } else if (f.incr && elements > 2) {
    ctx.reply.Error(engine::kErrZAddIncrPairs);
  } else {
    return true;
  }
  return false;
}

// ZADD and ZINCRBY (zaddGenericCommand): every score is parsed before anything changes.
void AddGeneric(CommandContext& ctx, bool incr) {
  ZAddOptions o;
  if (!ParseZAddOptions(ctx, incr, &o)) return;
  const size_t pairs = (ctx.argc() - o.score_index) / 2;
  std::vector<double> scores(pairs);
  for (size_t j = 0; j < pairs; j++) {
    if (!listzset::ParseDoubleArg(ctx, ctx.args[o.score_index + 2 * j], &scores[j])) return;
  }
  const std::string_view key = ctx.args[1];
  Entry* e = nullptr;
  if (!FindZSet(ctx, key, Access::kWrite, &e)) return;
  int64_t added = 0;
  int64_t updated = 0;
  int64_t processed = 0;
  double score = 0;
  if (e == nullptr && !o.flags.xx) e = ctx.db.Add(key, std::make_unique<ZSetValue>());
  for (size_t j = 0; e != nullptr && j < pairs; j++) {
    double new_score = 0;
    const ZAddResult r =
        e->zset()->Add(scores[j], ctx.args[o.score_index + 2 * j + 1], o.flags, &new_score);
    if (r == ZAddResult::kNaN) {
      ctx.reply.Error(engine::kErrZScoreNaN);
      break;
    }
    added += r == ZAddResult::kAdded ? 1 : 0;
    updated += r == ZAddResult::kUpdated ? 1 : 0;
    if (r != ZAddResult::kSkipped) {
      processed++;
      score = new_score;
    }
    if (j + 1 == pairs) {
      if (!o.flags.incr) {
        ctx.reply.Integer(o.ch ? added + updated : added);
      } else {
        processed > 0 ? ctx.reply.Double(score) : ctx.reply.Null();
      }
    }
  }
  if (e == nullptr) {  // XX on a missing key: nothing to do
    o.flags.incr ? ctx.reply.Null() : ctx.reply.Integer(0);
    return;
  }
  if (e->zset()->Size() == 0) ctx.db.Delete(e);  // never left behind empty
  if (added + updated > 0) NoteWrite(ctx, key, added + updated);
  if (added > 0) ctx.events.KeyReady(key);
}

void ZAdd(CommandContext& ctx) { AddGeneric(ctx, false); }
void ZIncrBy(CommandContext& ctx) { AddGeneric(ctx, true); }

void ZRem(CommandContext& ctx) {
  const std::string_view key = ctx.args[1];
  Entry* e = nullptr;
  if (!FindZSet(ctx, key, Access::kWrite, &e)) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  int64_t deleted = 0;
  for (size_t j = 2; j < ctx.argc(); j++) {
    if (e->zset()->Remove(ctx.args[j])) deleted++;
    if (e->zset()->Size() == 0) {
      ctx.db.Delete(e);  // Redis deletes the key with its last member and stops looking
      break;
    }
  }
  if (deleted > 0) NoteWrite(ctx, key, deleted);
  ctx.reply.Integer(deleted);
}

void ZScore(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!FindZSet(ctx, ctx.args[1], Access::kRead, &e)) return;
  const std::optional<double> score = e != nullptr ? e->zset()->Score(ctx.args[2]) : std::nullopt;
  score ? ctx.reply.Double(*score) : ctx.reply.Null();
}

void ZMScore(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!FindZSet(ctx, ctx.args[1], Access::kRead, &e)) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); j++) {
    const std::optional<double> score = e != nullptr ? e->zset()->Score(ctx.args[j]) : std::nullopt;
    score ? ctx.reply.Double(*score) : ctx.reply.Null();
  }
}

void ZCard(CommandContext& ctx) {
  Entry* e = nullptr;
  if (!FindZSet(ctx, ctx.args[1], Access::kRead, &e)) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(e->zset()->Size()));
}

void ZCount(CommandContext& ctx) {
  Result<engine::ZScoreRange> range = engine::ParseZScoreRange(ctx.args[2], ctx.args[3]);
  if (!range.ok()) {
    ctx.reply.Error(range.status().message());
    return;
  }
  Entry* e = nullptr;
  if (!FindZSet(ctx, ctx.args[1], Access::kRead, &e)) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(e->zset()->Count(range.value())));
}

void ZLexCount(CommandContext& ctx) {
  Result<engine::ZLexRange> range = engine::ParseZLexRange(ctx.args[2], ctx.args[3]);
  if (!range.ok()) {
    ctx.reply.Error(range.status().message());
    return;
  }
  Entry* e = nullptr;
  if (!FindZSet(ctx, ctx.args[1], Access::kRead, &e)) return;
  ctx.reply.Integer(e == nullptr ? 0 : static_cast<int64_t>(e->zset()->LexCount(range.value())));
}

void RankGeneric(CommandContext& ctx, bool reverse) {
  Entry* e = nullptr;
  if (!FindZSet(ctx, ctx.args[1], Access::kRead, &e)) return;
  const std::optional<uint64_t> rank =
      e != nullptr ? e->zset()->Rank(ctx.args[2], reverse) : std::nullopt;
  rank ? ctx.reply.Integer(static_cast<int64_t>(*rank)) : ctx.reply.Null();
}

void ZRank(CommandContext& ctx) { RankGeneric(ctx, false); }
void ZRevRank(CommandContext& ctx) { RankGeneric(ctx, true); }

// ZREMRANGEBYRANK / ZREMRANGEBYSCORE / ZREMRANGEBYLEX: the range is parsed before the lookup.
enum class RemoveBy { kRank, kScore, kLex };

void RemoveRange(CommandContext& ctx, RemoveBy by) {
  int64_t start = 0;
  int64_t stop = 0;
  std::optional<engine::ZScoreRange> score_range;
  std::optional<engine::ZLexRange> lex_range;
  if (by == RemoveBy::kRank) {
    if (!listzset::ParseLong(ctx, ctx.args[2], &start) ||
        !listzset::ParseLong(ctx, ctx.args[3], &stop)) {
      return;
    }
  } else if (by == RemoveBy::kScore) {
    Result<engine::ZScoreRange> r = engine::ParseZScoreRange(ctx.args[2], ctx.args[3]);
    if (!r.ok()) return ctx.reply.Error(r.status().message());
    score_range = r.value();
  } else {
    Result<engine::ZLexRange> r = engine::ParseZLexRange(ctx.args[2], ctx.args[3]);
    if (!r.ok()) return ctx.reply.Error(r.status().message());
    lex_range = std::move(r.value());
  }
  const std::string_view key = ctx.args[1];
  Entry* e = nullptr;
  if (!FindZSet(ctx, key, Access::kWrite, &e)) return;
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ZSetValue* z = e->zset();
  const size_t deleted = by == RemoveBy::kRank    ? z->RemoveRangeByRank(start, stop)
                         : by == RemoveBy::kScore ? z->RemoveRangeByScore(*score_range)
                                                  : z->RemoveRangeByLex(*lex_range);
  if (z->Size() == 0) ctx.db.Delete(e);
  if (deleted > 0) NoteWrite(ctx, key, static_cast<int64_t>(deleted));
  ctx.reply.Integer(static_cast<int64_t>(deleted));
}

void ZRemRangeByRank(CommandContext& ctx) { RemoveRange(ctx, RemoveBy::kRank); }
void ZRemRangeByScore(CommandContext& ctx) { RemoveRange(ctx, RemoveBy::kScore); }
void ZRemRangeByLex(CommandContext& ctx) { RemoveRange(ctx, RemoveBy::kLex); }

// parseScanCursorOrReply: strtoul over the argument up to its first NUL; no leading space, no
// trailing bytes, no overflow ("-1" wraps as strtoul does).
bool ParseCursor(CommandContext& ctx, std::string_view arg, uint64_t* cursor) {
  const std::string text(arg.substr(0, arg.find('\0')));
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if ((!text.empty() && std::isspace(static_cast<unsigned char>(text[0]))) || *end != '\0' ||
      errno == ERANGE) {
    ctx.reply.Error("ERR invalid cursor");
    return false;
  }
  *cursor = v;
  return true;
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]: options are read only once the key exists.
void ZScan(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseCursor(ctx, ctx.args[2], &cursor)) return;
  Entry* e = nullptr;
  if (!FindZSet(ctx, ctx.args[1], Access::kRead, &e)) return;
  if (e == nullptr) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return;
  }
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    const bool has_value = i + 1 < ctx.argc();
    if (has_value && keyutil::IsKeyword(ctx.args[i], "count")) {
      if (!listzset::ParseLong(ctx, ctx.args[i + 1], &count)) return;
      if (count < 1) return ctx.reply.Error("ERR syntax error");
    } else if (has_value && keyutil::IsKeyword(ctx.args[i], "match")) {
      pattern = ctx.args[i + 1];
      use_pattern = pattern != "*";
    } else {
      return ctx.reply.Error("ERR syntax error");
    }
  }
  std::vector<std::string> out;
  const uint64_t next = e->zset()->Scan(
      cursor, static_cast<size_t>(count),
      [&](std::string_view member) {
        return !use_pattern || engine::GlobMatch(pattern, member, false);
      },
      &out);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(out.size());
  for (const std::string& s : out) ctx.reply.Bulk(s);
}

constexpr HandlerRow kSortedSetHandlers[] = {
    {"zadd", &ZAdd},
    {"zincrby", &ZIncrBy},
    {"zrem", &ZRem},
    {"zscore", &ZScore},
    {"zmscore", &ZMScore},
    {"zcard", &ZCard},
    {"zcount", &ZCount},
    {"zlexcount", &ZLexCount},
    {"zrank", &ZRank},
    {"zrevrank", &ZRevRank},
    {"zrange", &zset::ZRange},
    {"zrangestore", &zset::ZRangeStore},
    {"zrangebyscore", &zset::ZRangeByScore},
    {"zrevrangebyscore", &zset::ZRevRangeByScore},
    {"zrangebylex", &zset::ZRangeByLex},
    {"zrevrangebylex", &zset::ZRevRangeByLex},
    {"zrevrange", &zset::ZRevRange},
    {"zpopmin", &zset::ZPopMin},
    {"zpopmax", &zset::ZPopMax},
    {"bzpopmin", &zset::BZPopMin},
    {"bzpopmax", &zset::BZPopMax},
    {"zunionstore", &zset::ZUnionStore},
    {"zinterstore", &zset::ZInterStore},
    {"zremrangebyscore", &ZRemRangeByScore},
    {"zremrangebyrank", &ZRemRangeByRank},
    {"zremrangebylex", &ZRemRangeByLex},
    {"zscan", &ZScan},
};

}  // namespace

std::span<const HandlerRow> SortedSetHandlers() { return kSortedSetHandlers; }

}  // namespace slotproxy::server
