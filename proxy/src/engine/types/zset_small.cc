// ZSetValue's listpack-encoded bodies: linear walks over the packed entries, mirroring Redis's
// zzl* functions (including their walk order, which decides lex ranges over mixed scores).
#include <cmath>
#include <cstdint>

#include "engine/types/zset_value.h"

namespace slotproxy::engine {
namespace {

using Entries = std::vector<types::PackedZSet::Entry>;
constexpr size_t kNone = SIZE_MAX;

// zzlFirstInRange / zzlLastInRange: the first (last) entry at or above min (below max), if it is
// inside the range.
size_t FirstIdxInRange(const Entries& v, const ZScoreRange& r) {
  if (r.Empty()) return kNone;
  for (size_t i = 0; i < v.size(); i++) {
    if (r.AboveMin(v[i].score)) return r.BelowMax(v[i].score) ? i : kNone;
  }
  return kNone;
}

size_t LastIdxInRange(const Entries& v, const ZScoreRange& r) {
  if (r.Empty()) return kNone;
  for (size_t i = v.size(); i > 0; i--) {
    if (r.BelowMax(v[i - 1].score)) return r.AboveMin(v[i - 1].score) ? i - 1 : kNone;
  }
  return kNone;
}

// zzlIsInLexRange: a non-empty range, the last member >= min, the first <= max.
bool MayHaveLex(const Entries& v, const ZLexRange& r) {
  return !r.Empty() && !v.empty() && r.AboveMin(v.back().member) && r.BelowMax(v.front().member);
}

size_t FirstIdxInLex(const Entries& v, const ZLexRange& r) {
  if (!MayHaveLex(v, r)) return kNone;
  for (size_t i = 0; i < v.size(); i++) {
    if (r.AboveMin(v[i].member)) return r.BelowMax(v[i].member) ? i : kNone;
  }
  return kNone;
}

size_t LastIdxInLex(const Entries& v, const ZLexRange& r) {
  if (!MayHaveLex(v, r)) return kNone;
  for (size_t i = v.size(); i > 0; i--) {
    if (r.BelowMax(v[i - 1].member)) return r.AboveMin(v[i - 1].member) ? i - 1 : kNone;
  }
  return kNone;
}

// From `start`, skips `offset` entries (negative: emits nothing), then emits at most `count`
// (negative: all) while `in_range` holds, forward or backward.
template <class InRange>
void Walk(const Entries& v, size_t start, bool reverse, int64_t offset, int64_t count,
          InRange in_range, ZEmit emit) {
  if (offset < 0 || start == kNone) return;
  const uint64_t skip = static_cast<uint64_t>(offset);
  if (reverse ? skip > start : skip >= v.size() - start) return;
  int64_t i = static_cast<int64_t>(reverse ? start - skip : start + skip);
  for (; i >= 0 && i < static_cast<int64_t>(v.size()) && count != 0; reverse ? i-- : i++) {
    const auto& e = v[static_cast<size_t>(i)];
    if (!in_range(e)) break;
    emit(e.member, e.score);
    if (count > 0) count--;
  }
}

}  // namespace

ZAddResult ZSetValue::AddSmall(double score, std::string_view member, ZAddFlags flags,
                               double* new_score) {
  if (auto e = small_.Find(member)) {
    if (flags.nx) return ZAddResult::kSkipped;
    const double current = e->score;
    if (flags.incr) {
      score += current;
      if (std::isnan(score)) return ZAddResult::kNaN;
    }
    if ((flags.lt && score >= current) || (flags.gt && score <= current)) {
      return ZAddResult::kSkipped;
    }
    if (new_score != nullptr) *new_score = score;
    if (score == current) return ZAddResult::kUnchanged;
    small_.EraseBytes(e->offset, e->end, 1);
    small_.Insert(Stored(score), member);
    return ZAddResult::kUpdated;
  }
  if (flags.xx) return ZAddResult::kSkipped;
  small_.Insert(Stored(score), member);
  if (new_score != nullptr) *new_score = score;  // the computed score, even -0
  return ZAddResult::kAdded;
}

std::optional<uint64_t> ZSetValue::RankSmall(std::string_view member, bool reverse) const {
  const Entries v = small_.Decode();
  for (size_t i = 0; i < v.size(); i++) {
    if (v[i].member == member) return reverse ? v.size() - 1 - i : i;
  }
  return std::nullopt;
}

size_t ZSetValue::CountSmall(const ZScoreRange& range) const {
  const Entries v = small_.Decode();
  size_t n = 0;
  for (size_t i = FirstIdxInRange(v, range); i < v.size() && range.BelowMax(v[i].score); i++) n++;
  return n;
}

size_t ZSetValue::LexCountSmall(const ZLexRange& range) const {
  const Entries v = small_.Decode();
  size_t n = 0;
  for (size_t i = FirstIdxInLex(v, range); i < v.size() && range.BelowMax(v[i].member); i++) n++;
  return n;
}

void ZSetValue::RangeByRankSmall(int64_t start, int64_t stop, bool reverse, ZEmit emit) const {
  if (!NormalizeRanks(&start, &stop)) return;
  const Entries v = small_.Decode();
  for (int64_t r = start; r <= stop; r++) {
    const size_t i = reverse ? v.size() - 1 - static_cast<size_t>(r) : static_cast<size_t>(r);
    emit(v[i].member, v[i].score);
  }
}

void ZSetValue::RangeByScoreSmall(const ZScoreRange& range, bool reverse, int64_t offset,
                                  int64_t count, ZEmit emit) const {
  const Entries v = small_.Decode();
  Walk(
      v, reverse ? LastIdxInRange(v, range) : FirstIdxInRange(v, range), reverse, offset, count,
      [&](const auto& e) { return reverse ? range.AboveMin(e.score) : range.BelowMax(e.score); },
      emit);
}

void ZSetValue::RangeByLexSmall(const ZLexRange& range, bool reverse, int64_t offset, int64_t count,
                                ZEmit emit) const {
  const Entries v = small_.Decode();
  Walk(
      v, reverse ? LastIdxInLex(v, range) : FirstIdxInLex(v, range), reverse, offset, count,
      [&](const auto& e) { return reverse ? range.AboveMin(e.member) : range.BelowMax(e.member); },
      emit);
}

std::vector<std::pair<std::string, double>> ZSetValue::PopSmall(size_t count, bool max) {
  const Entries v = small_.Decode();
  const size_t n = std::min(count, v.size());
  std::vector<std::pair<std::string, double>> out;
  out.reserve(n);
  for (size_t k = 0; k < n; k++) {
    const auto& e = v[max ? v.size() - 1 - k : k];
    out.emplace_back(e.member, e.score);
  }
  if (n > 0) {
    if (max) {
      small_.EraseBytes(v[v.size() - n].offset, v.back().end, n);
    } else {
      small_.EraseBytes(0, v[n - 1].end, n);
    }
  }
  return out;
}

size_t ZSetValue::RemoveRangeByScoreSmall(const ZScoreRange& range) {
  const Entries v = small_.Decode();
  const size_t first = FirstIdxInRange(v, range);
  size_t last = first;
  while (last < v.size() && range.BelowMax(v[last].score)) last++;
  if (first == kNone || last == first) return 0;
  small_.EraseBytes(v[first].offset, v[last - 1].end, last - first);
  return last - first;
}

size_t ZSetValue::RemoveRangeByRankSmall(int64_t start, int64_t stop) {
  if (!NormalizeRanks(&start, &stop)) return 0;
  const Entries v = small_.Decode();
  const auto a = static_cast<size_t>(start), b = static_cast<size_t>(stop);
  small_.EraseBytes(v[a].offset, v[b].end, b - a + 1);
  return b - a + 1;
}

size_t ZSetValue::RemoveRangeByLexSmall(const ZLexRange& range) {
  const Entries v = small_.Decode();
  const size_t first = FirstIdxInLex(v, range);
  size_t last = first;
  while (last < v.size() && range.BelowMax(v[last].member)) last++;
  if (first == kNone || last == first) return 0;
  small_.EraseBytes(v[first].offset, v[last - 1].end, last - first);
  return last - first;
}

}  // namespace slotproxy::engine
