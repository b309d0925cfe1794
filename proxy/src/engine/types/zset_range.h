// Score and lexicographic ranges of the sorted-set commands (ZRANGEBYSCORE, ZCOUNT, ZRANGEBYLEX,
// ZLEXCOUNT, ZREMRANGEBY*), and the texts Redis 7.0 prints for scores.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace slotproxy::engine {

// A score interval; an exclusive end was written with a leading '('.
struct ZScoreRange {
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;

  // True when `score` is at or above / at or below the corresponding end.
  bool AboveMin(double score) const { return min_exclusive ? score > min : score >= min; }
  bool BelowMax(double score) const { return max_exclusive ? score < max : score <= max; }
  // True when no score can be inside (min > max, or equal ends with one excluded).
  bool Empty() const { return min > max || (min == max && (min_exclusive || max_exclusive)); }
};

// Parses ZRANGEBYSCORE-style ends as zslParseRange does: an optional '(' then C strtod, which
// accepts leading spaces, hex, "inf" and the empty string (as 0), and reads up to the first NUL;
// NaN or trailing bytes are errors. Error: kErrZMinMaxNotFloat.
Result<ZScoreRange> ParseZScoreRange(std::string_view min, std::string_view max);

// One end of a lexicographic range: "-" (below everything), "+" (above everything), or a member
// prefixed by '[' (inclusive) or '(' (exclusive).
struct ZLexBound {
  enum class Kind : uint8_t { kMinusInf, kPlusInf, kValue };
  Kind kind = Kind::kValue;
  bool exclusive = false;
  std::string value;
};

// A lexicographic interval of members (Redis compares bytes with memcmp, then length).
struct ZLexRange {
  ZLexBound min;
  ZLexBound max;

  // True when `member` is at or above `min` / at or below `max`.
  bool AboveMin(std::string_view member) const;
  bool BelowMax(std::string_view member) const;
  // True when no member can be inside.
  bool Empty() const;
};

// Parses ZRANGEBYLEX-style ends ("-", "+", "[x", "(x"). Error: kErrZMinMaxNotLex.
Result<ZLexRange> ParseZLexRange(std::string_view min, std::string_view max);

// The text addReplyDouble sends for a score (ZSCORE, ZINCRBY, WITHSCORES; the RESP2 bulk and the
// RESP3 double carry the same text): "inf", "-inf", else printf "%.17g" ("-0" stays "-0").
std::string FormatScore(double score);

// The score text ZSCAN sends for a listpack-encoded zset: the listpack holds d2string's text,
// an integer when the value is integral and within +-2^62, else "%.17g".
std::string FormatScoreListpack(double score);

// The score text ZSCAN sends for a skiplist-encoded zset: ld2string's "%.17Lg".
std::string FormatScoreSkiplist(double score);

}  // namespace slotproxy::engine
