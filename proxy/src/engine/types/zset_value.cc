#include "engine/types/zset_value.h"

#include <cassert>
#include <cmath>

namespace slotproxy::engine {

const ZSetValue::Node ZSetValue::kBefore{0, 0, 0};
const ZSetValue::Node ZSetValue::kAfter{0, 0, 0};

bool ZSetValue::KeyLess::operator()(const Key& a, const Key& b) const {
  if (a.score != b.score) return a.score < b.score;
  if (a.node == b.node) return false;
  if (a.node == &kBefore || b.node == &kAfter) return true;
  if (a.node == &kAfter || b.node == &kBefore) return false;
  return a.node->Member() < b.node->Member();
}

ZSetValue::~ZSetValue() = default;

std::unique_ptr<ZSetValue> ZSetValue::Clone() const {
  auto out = std::make_unique<ZSetValue>();
  out->listpack_ = listpack_;
  out->small_ = small_;
  if (!listpack_) {
    out->big_ = std::make_unique<Skiplist>();
    for (const Key& k : big_->order) out->Insert(k.score, k.node->Member());
  }
  return out;
}

void ZSetValue::ConvertToSkiplist() {
  if (!listpack_) return;
  listpack_ = false;
  big_ = std::make_unique<Skiplist>();
  small_.ForEach([&](std::string_view member, double score) { Insert(score, member); });
  small_.Clear();
}

ZSetValue::Node* ZSetValue::Find(std::string_view member) const {
  return big_->members.Find(types::StableHash(member), member);
}

void ZSetValue::Insert(double score, std::string_view member) {
  Node* node = Node::Make(types::StableHash(member), Stored(score), member);
  big_->members.Insert(node);
  big_->order.insert(Key{node->score, node});
}

void ZSetValue::Erase(const Node* node) {
  big_->order.erase(Key{node->score, node});
  Node* detached = big_->members.Detach(node->hash, node->Member());
  assert(detached == node);
  Node::Destroy(detached);
}

void ZSetValue::SetScore(Node* node, double score) {
  big_->order.erase(Key{node->score, node});
  node->score = Stored(score);
  big_->order.insert(Key{node->score, node});
}

ZAddResult ZSetValue::Add(double score, std::string_view member, ZAddFlags flags,
                          double* new_score) {
  if (listpack_ && !flags.xx &&
      (Size() + 1 > kMaxListpackEntries || member.size() > kMaxListpackValue) &&
      !small_.Find(member)) {
    ConvertToSkiplist();  // zsetAdd converts before inserting a member that does not fit
  }
  if (listpack_) return AddSmall(score, member, flags, new_score);
  if (Node* n = Find(member)) {
    if (flags.nx) return ZAddResult::kSkipped;
    const double current = n->score;
    if (flags.incr) {
      score += current;
      if (std::isnan(score)) return ZAddResult::kNaN;
    }
    if ((flags.lt && score >= current) || (flags.gt && score <= current)) {
      return ZAddResult::kSkipped;
    }
    if (new_score != nullptr) *new_score = score;
    if (score == current) return ZAddResult::kUnchanged;
    SetScore(n, score);
    return ZAddResult::kUpdated;
  }
  if (flags.xx) return ZAddResult::kSkipped;
  Insert(score, member);
  if (new_score != nullptr) *new_score = score;
  return ZAddResult::kAdded;
}

bool ZSetValue::Remove(std::string_view member) {
  if (listpack_) {
    auto e = small_.Find(member);
    if (e) small_.EraseBytes(e->offset, e->end, 1);
    return e.has_value();
  }
  const Node* n = Find(member);
  if (n == nullptr) return false;
  Erase(n);
  return true;
}

std::optional<double> ZSetValue::Score(std::string_view member) const {
  if (listpack_) {
    auto e = small_.Find(member);
    if (!e) return std::nullopt;
    return e->score;
  }
  const Node* n = Find(member);
  if (n == nullptr) return std::nullopt;
  return n->score;
}

std::optional<uint64_t> ZSetValue::Rank(std::string_view member, bool reverse) const {
  if (listpack_) return RankSmall(member, reverse);
  const Node* n = Find(member);
  if (n == nullptr) return std::nullopt;
  const uint64_t rank = big_->order.order_of_key(Key{n->score, n});
  return reverse ? Size() - 1 - rank : rank;
}

size_t ZSetValue::Count(const ZScoreRange& range) const {
  if (listpack_) return CountSmall(range);
  if (range.Empty()) return 0;
  const size_t lo =
      big_->order.order_of_key(Key{range.min, range.min_exclusive ? &kAfter : &kBefore});
  const size_t hi =
      big_->order.order_of_key(Key{range.max, range.max_exclusive ? &kBefore : &kAfter});
  return hi > lo ? hi - lo : 0;
}

ZSetValue::OrderIt ZSetValue::FirstInRange(const ZScoreRange& range) const {
  if (range.Empty()) return big_->order.end();
  auto it = big_->order.lower_bound(Key{range.min, range.min_exclusive ? &kAfter : &kBefore});
  if (it == big_->order.end() || !range.BelowMax(it->score)) return big_->order.end();
  return it;
}

ZSetValue::OrderIt ZSetValue::LastInRange(const ZScoreRange& range) const {
  if (range.Empty()) return big_->order.end();
  auto it = big_->order.lower_bound(Key{range.max, range.max_exclusive ? &kBefore : &kAfter});
  if (it == big_->order.begin()) return big_->order.end();
  --it;
  return range.AboveMin(it->score) ? it : big_->order.end();
}

ZSetValue::OrderIt ZSetValue::FirstInLex(const ZLexRange& range) const {
  // zslIsInLexRange: the range must be non-empty, the last member >= min, the first <= max.
  if (range.Empty() || big_->order.empty()) return big_->order.end();
  if (!range.AboveMin(std::prev(big_->order.end())->node->Member()) ||
      !range.BelowMax(big_->order.begin()->node->Member())) {
    return big_->order.end();
  }
  // The skiplist descends assuming members sorted (equal scores): binary search on rank.
  size_t lo = 0, hi = Size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (range.AboveMin(big_->order.find_by_order(mid)->node->Member())) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  OrderIt it = big_->order.find_by_order(lo);
  if (it == big_->order.end() || !range.BelowMax(it->node->Member())) return big_->order.end();
  return it;
}

ZSetValue::OrderIt ZSetValue::LastInLex(const ZLexRange& range) const {
  if (range.Empty() || big_->order.empty()) return big_->order.end();
  if (!range.AboveMin(std::prev(big_->order.end())->node->Member()) ||
      !range.BelowMax(big_->order.begin()->node->Member())) {
    return big_->order.end();
  }
  OrderIt it = big_->order.end();
  size_t lo = 0, hi = Size();  // the first rank whose member is above max
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (range.BelowMax(big_->order.find_by_order(mid)->node->Member())) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo > 0) it = big_->order.find_by_order(lo - 1);
  if (it == big_->order.end() || !range.AboveMin(it->node->Member())) return big_->order.end();
  return it;
}

size_t ZSetValue::LexCount(const ZLexRange& range) const {
  if (listpack_) return LexCountSmall(range);
  auto first = FirstInLex(range);
  if (first == big_->order.end()) return 0;
  const size_t first_rank = big_->order.order_of_key(*first);
  auto last = LastInLex(range);
  if (last == big_->order.end()) return Size() - first_rank;
  const size_t last_rank = big_->order.order_of_key(*last);
  return last_rank >= first_rank ? last_rank - first_rank + 1 : 0;
}

void ZSetValue::ForEach(ZEmit emit) const {
  if (listpack_) return small_.ForEach(emit);
  for (const Key& k : big_->order) emit(k.node->Member(), k.node->score);
}

bool ZSetValue::NormalizeRanks(int64_t* start, int64_t* stop) const {
  const int64_t size = static_cast<int64_t>(Size());
  if (*start < 0) *start += size;
  if (*stop < 0) *stop += size;
  if (*start < 0) *start = 0;
  if (*start > *stop || *start >= size) return false;
  if (*stop >= size) *stop = size - 1;
  return true;
}

void ZSetValue::RangeByRank(int64_t start, int64_t stop, bool reverse, ZEmit emit) const {
  if (listpack_) return RangeByRankSmall(start, stop, reverse, emit);
  if (!NormalizeRanks(&start, &stop)) return;
  const size_t n = static_cast<size_t>(stop - start + 1);
  if (!reverse) {
    auto it = big_->order.find_by_order(static_cast<size_t>(start));
    for (size_t i = 0; i < n; i++, ++it) emit(it->node->Member(), it->node->score);
    return;
  }
  auto it = big_->order.find_by_order(Size() - 1 - static_cast<size_t>(start));
  for (size_t i = 0; i < n; i++) {
    emit(it->node->Member(), it->node->score);
    if (it != big_->order.begin()) --it;
  }
}

namespace {

// Walks from `it` forward or backward over a pb_ds tree, skipping `offset` elements first and then
// emitting at most `count` (negative: all) while `in_range` holds.
template <class Tree, class InRange>
void WalkLimited(const Tree& tree, typename Tree::const_iterator it, bool reverse, int64_t offset,
                 int64_t count, InRange in_range, ZEmit emit) {
  if (offset < 0 || it == tree.end()) return;
  bool valid = true;
  auto advance = [&] {
    if (!reverse) {
      valid = ++it != tree.end();
    } else if (it == tree.begin()) {
      valid = false;
    } else {
      --it;
    }
  };
  for (; valid && offset > 0; offset--) advance();
  for (; valid && count != 0; count = count > 0 ? count - 1 : count) {
    if (!in_range(*it)) break;
    emit(it->node->Member(), it->node->score);
    advance();
  }
}

}  // namespace

void ZSetValue::RangeByScore(const ZScoreRange& range, bool reverse, int64_t offset, int64_t count,
                             ZEmit emit) const {
  if (listpack_) return RangeByScoreSmall(range, reverse, offset, count, emit);
  WalkLimited(
      big_->order, reverse ? LastInRange(range) : FirstInRange(range), reverse, offset, count,
      [&](const Key& k) { return reverse ? range.AboveMin(k.score) : range.BelowMax(k.score); },
      emit);
}

void ZSetValue::RangeByLex(const ZLexRange& range, bool reverse, int64_t offset, int64_t count,
                           ZEmit emit) const {
  if (listpack_) return RangeByLexSmall(range, reverse, offset, count, emit);
  WalkLimited(
      big_->order, reverse ? LastInLex(range) : FirstInLex(range), reverse, offset, count,
      [&](const Key& k) {
        return reverse ? range.AboveMin(k.node->Member()) : range.BelowMax(k.node->Member());
      },
      emit);
}

std::vector<std::pair<std::string, double>> ZSetValue::PopMin(size_t count) {
  if (listpack_) return PopSmall(count, false);
  std::vector<std::pair<std::string, double>> out;
  while (out.size() < count && !big_->order.empty()) {
    const Node* n = big_->order.begin()->node;
    out.emplace_back(n->Member(), n->score);
    Erase(n);
  }
  return out;
}

std::vector<std::pair<std::string, double>> ZSetValue::PopMax(size_t count) {
  if (listpack_) return PopSmall(count, true);
  std::vector<std::pair<std::string, double>> out;
  while (out.size() < count && !big_->order.empty()) {
    const Node* n = std::prev(big_->order.end())->node;
    out.emplace_back(n->Member(), n->score);
    Erase(n);
  }
  return out;
}

size_t ZSetValue::RemoveRangeByScore(const ZScoreRange& range) {
  if (listpack_) return RemoveRangeByScoreSmall(range);
  std::vector<const Node*> doomed;
  for (auto it = FirstInRange(range); it != big_->order.end() && range.BelowMax(it->score); ++it) {
    doomed.push_back(it->node);
  }
  for (const Node* n : doomed) Erase(n);
  return doomed.size();
}

size_t ZSetValue::RemoveRangeByRank(int64_t start, int64_t stop) {
  if (listpack_) return RemoveRangeByRankSmall(start, stop);
  if (!NormalizeRanks(&start, &stop)) return 0;
  std::vector<const Node*> doomed;
  auto it = big_->order.find_by_order(static_cast<size_t>(start));
  for (int64_t i = start; i <= stop; i++, ++it) doomed.push_back(it->node);
  for (const Node* n : doomed) Erase(n);
  return doomed.size();
}

size_t ZSetValue::RemoveRangeByLex(const ZLexRange& range) {
  if (listpack_) return RemoveRangeByLexSmall(range);
  std::vector<const Node*> doomed;
  for (auto it = FirstInLex(range); it != big_->order.end() && range.BelowMax(it->node->Member());
       ++it) {
    doomed.push_back(it->node);
  }
  for (const Node* n : doomed) Erase(n);
  return doomed.size();
}

}  // namespace slotproxy::engine
