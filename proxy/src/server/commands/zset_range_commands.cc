// ZRANGE and its older spellings (ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
// ZREVRANGEBYLEX) and ZRANGESTORE, as Redis 7.0's zrangeGenericCommand: options after the range
// in any order (each spelling accepts only its own), conflicts checked after parsing, then the
// range, then the key. WITHSCORES replies are flat in RESP2 and [member, score] pairs in RESP3.
#include <memory>
#include <optional>
#include <string>

#include "engine/types/type_errors.h"
#include "engine/types/zset_range.h"
#include "engine/types/zset_value.h"
#include "resp/encoder.h"
#include "server/commands/key_util.h"
#include "server/commands/list_zset_common.h"
#include "server/commands/zset_handlers.h"

namespace slotproxy::server::zset {
namespace {

using engine::Entry;
using engine::ObjType;
using engine::ZSetValue;

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

// What one ZRANGE-family command asks for once parsed.
struct RangeRequest {
  RangeType type = RangeType::kAuto;
  Direction direction = Direction::kAuto;
  bool withscores = false;
  int64_t offset = 0;
  int64_t limit = -1;  // -1: no LIMIT (Redis cannot tell "LIMIT x -1" apart)
  int64_t start = 0;   // rank ranges
  int64_t stop = 0;
  engine::ZScoreRange score;
  engine::ZLexRange lex;
};

// Parses args[first + 3 ..] (the options after key, min, max) and then the range itself, as
// zrangeGenericCommand does. `store`: ZRANGESTORE (no WITHSCORES). False after replying.
bool ParseRequest(CommandContext& ctx, size_t first, bool store, RangeRequest* r) {
  for (size_t j = first + 3; j < ctx.argc(); j++) {
    const std::string_view arg = ctx.args[j];
    const size_t left = ctx.argc() - j - 1;
    if (!store && keyutil::IsKeyword(arg, "withscores")) {
      r->withscores = true;
    } else if (keyutil::IsKeyword(arg, "limit") && left >= 2) {
      if (!listzset::ParseLong(ctx, ctx.args[j + 1], &r->offset) ||
          !listzset::ParseLong(ctx, ctx.args[j + 2], &r->limit)) {
        return false;
      }
      j += 2;
    } else if (r->direction == Direction::kAuto && keyutil::IsKeyword(arg, "rev")) {
      r->direction = Direction::kReverse;
    } else if (r->type == RangeType::kAuto && keyutil::IsKeyword(arg, "bylex")) {
      r->type = RangeType::kLex;
    } else if (r->type == RangeType::kAuto && keyutil::IsKeyword(arg, "byscore")) {
      r->type = RangeType::kScore;
    } else {
      ctx.reply.Error("ERR syntax error");
      return false;
    }
  }
  if (r->direction == Direction::kAuto) r->direction = Direction::kForward;
  if (r->type == RangeType::kAuto) r->type = RangeType::kRank;
  if (r->limit != -1 && r->type == RangeType::kRank) {
    ctx.reply.Error(engine::kErrZLimitNeedsBy);
    return false;
  }
  if (r->withscores && r->type == RangeType::kLex) {
    ctx.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return false;
  }
  size_t min_index = first + 1;
  size_t max_index = first + 2;
  if (r->direction == Direction::kReverse && r->type != RangeType::kRank) {
    std::swap(min_index, max_index);  // given as max, min
  }
  const std::string_view min = ctx.args[min_index];
  const std::string_view max = ctx.args[max_index];
  if (r->type == RangeType::kRank) {
    return listzset::ParseLong(ctx, min, &r->start) && listzset::ParseLong(ctx, max, &r->stop);
  }
  if (r->type == RangeType::kScore) {
    Result<engine::ZScoreRange> range = engine::ParseZScoreRange(min, max);
    if (!range.ok()) {
      ctx.reply.Error(range.status().message());
      return false;
    }
    r->score = range.value();
    return true;
  }
  Result<engine::ZLexRange> range = engine::ParseZLexRange(min, max);
  if (!range.ok()) {
    ctx.reply.Error(range.status().message());
    return false;
  }
  r->lex = std::move(range.value());
  return true;
}

// Calls `emit` on every member the request selects from `z`, in reply order.
void Select(const ZSetValue& z, const RangeRequest& r, engine::ZEmit emit) {
  const bool reverse = r.direction == Direction::kReverse;
  switch (r.type) {
    case RangeType::kScore:
      z.RangeByScore(r.score, reverse, r.offset, r.limit, emit);
      break;
    case RangeType::kLex:
      z.RangeByLex(r.lex, reverse, r.offset, r.limit, emit);
      break;
    default:
      z.RangeByRank(r.start, r.stop, reverse, emit);
      break;
  }
}

// The client form: args[1] is the key.
void RangeToClient(CommandContext& ctx, RangeRequest r) {
  if (!ParseRequest(ctx, 1, false, &r)) return;
  Entry* e = nullptr;
  if (!listzset::Lookup(ctx, ctx.args[1], ObjType::kZSet, listzset::Access::kRead, &e)) return;
  if (e == nullptr) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  // The elements are encoded aside first: a score or lex range's length is known only at the end
  // (Redis defers the header the same way).
  std::string body;
  resp::Encoder enc(&body, ctx.reply.protocol());
  const bool pairs = r.withscores && ctx.reply.protocol() == resp::Protocol::kResp3;
  size_t n = 0;
  Select(*e->zset(), r, [&](std::string_view member, double score) {
    n++;
    if (pairs) enc.ArrayHeader(2);
    enc.Bulk(member);
    if (r.withscores) enc.Double(score);
  });
  ctx.reply.ArrayHeader(r.withscores && !pairs ? 2 * n : n);
  ctx.reply.Raw(body);
}

}  // namespace

void StoreResult(CommandContext& ctx, std::string_view dst, std::unique_ptr<ZSetValue> result) {
  const size_t size = result->Size();
  if (size > 0) {
    ctx.db.Store(dst, std::move(result));
    ctx.events.KeyModified(dst);
    ctx.events.KeyReady(dst);
    ctx.MarkDirty();
  } else if (ctx.db.Delete(dst, ctx.now_ms)) {
    ctx.events.KeyModified(dst);
    ctx.MarkDirty();
  }
  ctx.reply.Integer(static_cast<int64_t>(size));
}

void ZRange(CommandContext& ctx) { RangeToClient(ctx, RangeRequest()); }

void ZRevRange(CommandContext& ctx) {
  RangeRequest r;
  r.type = RangeType::kRank;
  r.direction = Direction::kReverse;
  RangeToClient(ctx, r);
}

void ZRangeByScore(CommandContext& ctx) {
  RangeRequest r;
  r.type = RangeType::kScore;
  r.direction = Direction::kForward;
  RangeToClient(ctx, r);
}

void ZRevRangeByScore(CommandContext& ctx) {
  RangeRequest r;
  r.type = RangeType::kScore;
  r.direction = Direction::kReverse;
  RangeToClient(ctx, r);
}

void ZRangeByLex(CommandContext& ctx) {
  RangeRequest r;
  r.type = RangeType::kLex;
  r.direction = Direction::kForward;
  RangeToClient(ctx, r);
}

void ZRevRangeByLex(CommandContext& ctx) {
  RangeRequest r;
  r.type = RangeType::kLex;
  r.direction = Direction::kReverse;
  RangeToClient(ctx, r);
}

// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count].
void ZRangeStore(CommandContext& ctx) {
  RangeRequest r;
  if (!ParseRequest(ctx, 2, true, &r)) return;
  Entry* e = nullptr;
  if (!listzset::Lookup(ctx, ctx.args[2], ObjType::kZSet, listzset::Access::kRead, &e)) return;
  auto result = std::make_unique<ZSetValue>();
  if (e != nullptr) {
    Select(*e->zset(), r,
           [&](std::string_view member, double score) { result->Add(score, member); });
  }
  StoreResult(ctx, ctx.args[1], std::move(result));
}

}  // namespace slotproxy::server::zset
