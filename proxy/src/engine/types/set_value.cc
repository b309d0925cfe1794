#include "engine/types/set_value.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "engine/numbers.h"

namespace slotproxy::engine {

void SetValue::Convert() {
  if (!intset_) return;
  char buf[kInt64Chars];
  big_.Reserve(ints_.size() + 1);
  for (int64_t v : ints_) AddBig(FormatInt64(v, buf));
  std::vector<int64_t>().swap(ints_);
  intset_ = false;
}

bool SetValue::AddBig(std::string_view member) {
  const uint64_t hash = types::StableHash(member);
  if (big_.Find(hash, member) != nullptr) return false;
  big_.Insert(types::SetNode::Make(hash, member));
  return true;
}

bool SetValue::Add(std::string_view member) {
  if (intset_) {
    int64_t v;
    if (ParseInt64(member, &v)) {
      auto it = std::lower_bound(ints_.begin(), ints_.end(), v);
      if (it != ints_.end() && *it == v) return false;
      ints_.insert(it, v);
      if (ints_.size() > kMaxIntsetEntries) Convert();
      return true;
    }
    Convert();
  }
  return AddBig(member);
}

size_t SetValue::AddMany(std::span<const std::string_view> members) {
  size_t added = 0;
  for (std::string_view m : members) added += Add(m) ? 1 : 0;
  return added;
}

bool SetValue::Remove(std::string_view member) {
  if (intset_) {
    int64_t v;
    if (!ParseInt64(member, &v)) return false;
    auto it = std::lower_bound(ints_.begin(), ints_.end(), v);
    if (it == ints_.end() || *it != v) return false;
    ints_.erase(it);
    return true;
  }
  return big_.Erase(types::StableHash(member), member);
}

bool SetValue::Contains(std::string_view member) const {
  if (intset_) {
    int64_t v;
    return ParseInt64(member, &v) && std::binary_search(ints_.begin(), ints_.end(), v);
  }
  return big_.Find(types::StableHash(member), member) != nullptr;
}

void SetValue::ForEach(absl::FunctionRef<void(std::string_view)> fn) const {
  if (intset_) {
    char buf[kInt64Chars];
    for (int64_t v : ints_) fn(FormatInt64(v, buf));
  } else {
    big_.ForEach([&](const types::SetNode& n) { fn(n.Key()); });
  }
}

std::vector<std::string> SetValue::Members() const {
  std::vector<std::string> out;
  out.reserve(Size());
  ForEach([&](std::string_view m) { out.emplace_back(m); });
  return out;
}

std::optional<std::string> SetValue::Pop() {
  if (Size() == 0) return std::nullopt;
  if (intset_) {
    std::string out = RandomMember();
    Remove(out);
    return out;
  }
  const types::SetNode* n = big_.Random();
  std::string out(n->Key());
  big_.Erase(n->hash, out);
  return out;
}

std::vector<std::string> SetValue::Pop(size_t count) {
  if (count >= Size()) {
    std::vector<std::string> all = Members();
    ints_.clear();
    big_.Clear();
    return all;
  }
  std::vector<std::string> out;
  out.reserve(count);
  while (out.size() < count) out.push_back(*Pop());
  return out;
}

std::string SetValue::RandomMember() const {
  if (intset_) {
    char buf[kInt64Chars];
    return std::string(FormatInt64(ints_[types::RandomBelow(ints_.size())], buf));
  }
  return std::string(big_.Random()->Key());
}

void SetValue::RandomMembers(int64_t count, absl::FunctionRef<void(std::string_view)> emit) const {
  const size_t size = Size();
  if (size == 0 || count == 0) return;
  if (count < 0) {
    const uint64_t n = 0 - static_cast<uint64_t>(count);
    for (uint64_t i = 0; i < n; i++) emit(RandomMember());
    return;
  }
  const size_t want = static_cast<size_t>(count);
  if (want >= size) {
    ForEach(emit);
    return;
  }
  if (!intset_ && want * 3 <= size) {
    // Few picks from a big set: random draws until enough distinct ones, O(want log n).
    absl::flat_hash_set<const types::SetNode*> picked;
    while (picked.size() < want) {
      const types::SetNode* n = big_.Random();
      if (picked.insert(n).second) emit(n->Key());
    }
    return;
  }
  const auto picks = types::SampleIndexes(size, want);
  size_t i = 0, next = 0;
  ForEach([&](std::string_view m) {
    if (next < picks.size() && picks[next] == i) {
      emit(m);
      next++;
    }
    i++;
  });
}

uint64_t SetValue::Scan(uint64_t cursor, size_t count, ScanMatch match,
                        std::vector<std::string>* out) const {
  if (intset_) {
    ForEach([&](std::string_view m) {
      if (match(m)) out->emplace_back(m);
    });
    return 0;
  }
  return big_.ScanSome(cursor, count, [&](const types::SetNode& n) {
    if (match(n.Key())) out->emplace_back(n.Key());
  });
}

void SetValue::ForEachInter(std::span<const SetValue* const> sets,
                            absl::FunctionRef<bool(std::string_view)> fn) {
  if (sets.empty()) return;
  for (const SetValue* s : sets) {
    if (s == nullptr || s->Size() == 0) return;  // an empty input empties the intersection
  }
  // Smallest first, as Redis's qsort by cardinality (stable for equal sizes).
  std::vector<const SetValue*> order(sets.begin(), sets.end());
  std::stable_sort(order.begin(), order.end(),
                   [](const SetValue* a, const SetValue* b) { return a->Size() < b->Size(); });
  bool go = true;
  order[0]->ForEach([&](std::string_view m) {
    if (!go) return;
    for (size_t j = 1; j < order.size(); j++) {
      if (order[j] != order[0] && !order[j]->Contains(m)) return;
    }
    go = fn(m);
  });
}

std::unique_ptr<SetValue> SetValue::Inter(std::span<const SetValue* const> sets) {
  auto out = std::make_unique<SetValue>();
  ForEachInter(sets, [&](std::string_view m) {
    out->Add(m);
    return true;
  });
  return out;
}

size_t SetValue::InterCard(std::span<const SetValue* const> sets, size_t limit) {
  size_t n = 0;
  ForEachInter(sets, [&](std::string_view) { return !(++n == limit); });
  return n;
}

std::unique_ptr<SetValue> SetValue::Union(std::span<const SetValue* const> sets) {
  auto out = std::make_unique<SetValue>();
  for (const SetValue* s : sets) {
    if (s != nullptr) s->ForEach([&](std::string_view m) { out->Add(m); });
  }
  return out;
}

std::unique_ptr<SetValue> SetValue::Diff(std::span<const SetValue* const> sets) {
  auto out = std::make_unique<SetValue>();
  if (sets.empty() || sets[0] == nullptr) return out;
  sets[0]->ForEach([&](std::string_view m) {
    for (size_t j = 1; j < sets.size(); j++) {
      if (sets[j] != nullptr && sets[j]->Contains(m)) return;
    }
    out->Add(m);
  });
  return out;
}

bool SetValue::Move(SetValue* src, SetValue* dst, std::string_view member) {
  if (src == dst) return src->Contains(member);
  if (!src->Remove(member)) return false;
  dst->Add(member);
  return true;
}

}  // namespace slotproxy::engine
