#include "engine/types/zset_range.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/types/type_errors.h"

namespace slotproxy::engine {
namespace {

// zslParseRange's per-end parse. Works on a NUL-terminated copy, so an embedded NUL ends the
// number exactly as in Redis.
bool ParseScoreEnd(std::string_view s, double* value, bool* exclusive) {
  *exclusive = !s.empty() && s[0] == '(';
  if (*exclusive) s.remove_prefix(1);
  const std::string copy(s);
  char* end = nullptr;
  *value = std::strtod(copy.c_str(), &end);
  return *end == '\0' && !std::isnan(*value);
}

bool ParseLexEnd(std::string_view s, ZLexBound* out) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
    case '-':
      if (s.size() > 1 && s[1] != '\0') return false;  // Redis reads a C string here
      out->kind = s[0] == '+' ? ZLexBound::Kind::kPlusInf : ZLexBound::Kind::kMinusInf;
      out->exclusive = true;
      return true;
    case '(':
    case '[':
      out->kind = ZLexBound::Kind::kValue;
      out->exclusive = s[0] == '(';
      out->value.assign(s.substr(1));
      return true;
    default:
      return false;
  }
}

// sdscmplex: -1/0/1 comparing a member (or bound) with a bound, infinities included.
int CompareLex(const ZLexBound& a, const ZLexBound& b) {
  if (a.kind == b.kind && a.kind != ZLexBound::Kind::kValue) return 0;
  if (a.kind == ZLexBound::Kind::kMinusInf || b.kind == ZLexBound::Kind::kPlusInf) return -1;
  if (a.kind == ZLexBound::Kind::kPlusInf || b.kind == ZLexBound::Kind::kMinusInf) return 1;
  const int c = std::string_view(a.value).compare(b.value);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int CompareMember(std::string_view member, const ZLexBound& b) {
  if (b.kind == ZLexBound::Kind::kMinusInf) return 1;
  if (b.kind == ZLexBound::Kind::kPlusInf) return -1;
  return member.compare(b.value);
}

}  // namespace

Result<ZScoreRange> ParseZScoreRange(std::string_view min, std::string_view max) {
  ZScoreRange r;
  if (!ParseScoreEnd(min, &r.min, &r.min_exclusive) ||
      !ParseScoreEnd(max, &r.max, &r.max_exclusive)) {
    return Status::Error(kErrZMinMaxNotFloat);
  }
  return r;
}

bool ZLexRange::AboveMin(std::string_view member) const {
  const int c = CompareMember(member, min);
  return min.exclusive ? c > 0 : c >= 0;
}

bool ZLexRange::BelowMax(std::string_view member) const {
  const int c = CompareMember(member, max);
  return max.exclusive ? c < 0 : c <= 0;
}

bool ZLexRange::Empty() const {
  const int c = CompareLex(min, max);
  return c > 0 || (c == 0 && (min.exclusive || max.exclusive));
}

Result<ZLexRange> ParseZLexRange(std::string_view min, std::string_view max) {
  ZLexRange r;
  if (!ParseLexEnd(min, &r.min) || !ParseLexEnd(max, &r.max)) {
    return Status::Error(kErrZMinMaxNotLex);
  }
  return r;
}

std::string FormatScore(double score) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17g", score);
  return std::string(buf, static_cast<size_t>(n));
}

std::string FormatScoreListpack(double score) {
  if (std::isnan(score)) return "nan";
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  // double2ll: integral values within +-(LLONG_MAX / 2) print as integers.
  constexpr double kLimit = static_cast<double>(INT64_MAX / 2);
  if (score >= -kLimit && score <= kLimit) {
    const auto ll = static_cast<long long>(score);
    if (static_cast<double>(ll) == score) return std::to_string(ll);
  }
  return FormatScore(score);
}

std::string FormatScoreSkiplist(double score) {
  if (std::isinf(score)) return score > 0 ? "inf" : "-inf";
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%.17Lg", static_cast<long double>(score));
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace slotproxy::engine
