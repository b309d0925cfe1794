// ZSetValue's ZSCAN and the multi-key operations (ZUNIONSTORE / ZINTERSTORE).
#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "engine/types/set_value.h"
#include "engine/types/zset_value.h"

namespace slotproxy::engine {
namespace {

size_t InputSize(const ZSetOpInput& in) {
  if (in.zset != nullptr) return in.zset->Size();
  return in.set != nullptr ? in.set->Size() : 0;
}

void ForEachInput(const ZSetOpInput& in, ZEmit emit) {
  if (in.zset != nullptr) {
    in.zset->ForEach(emit);
  } else if (in.set != nullptr) {
    in.set->ForEach([&](std::string_view m) { emit(m, 1.0); });
  }
}

std::optional<double> FindInput(const ZSetOpInput& in, std::string_view member) {
  if (in.zset != nullptr) return in.zset->Score(member);
  if (in.set != nullptr && in.set->Contains(member)) return 1.0;
  return std::nullopt;
}

bool SameSubject(const ZSetOpInput& a, const ZSetOpInput& b) {
  return a.zset == b.zset && a.set == b.set && (a.zset != nullptr || a.set != nullptr);
}

// zunionInterAggregate.
void Aggregate(double* target, double value, ZAggregate agg) {
  switch (agg) {
    case ZAggregate::kSum:
      *target = *target + value;
      if (std::isnan(*target)) *target = 0.0;  // +inf + -inf
      break;
    case ZAggregate::kMin:
      *target = value < *target ? value : *target;
      break;
    case ZAggregate::kMax:
      *target = value > *target ? value : *target;
      break;
  }
}

// The inputs from the smallest to the largest, as Redis's qsort (stable for equal sizes).
std::vector<ZSetOpInput> SortedBySize(std::span<const ZSetOpInput> inputs) {
  std::vector<ZSetOpInput> src(inputs.begin(), inputs.end());
  std::stable_sort(src.begin(), src.end(), [](const ZSetOpInput& a, const ZSetOpInput& b) {
    return InputSize(a) < InputSize(b);
  });
  return src;
}

}  // namespace

uint64_t ZSetValue::Scan(uint64_t cursor, size_t count, ScanMatch match,
                         std::vector<std::string>* out) const {
  if (listpack_) {
    ForEach([&](std::string_view member, double score) {
      if (!match(member)) return;
      out->emplace_back(member);
      out->push_back(FormatScoreListpack(score));
    });
    return 0;
  }
  return big_->members.ScanSome(cursor, count, [&](const Node& n) {
    if (!match(n.Member())) return;
    out->emplace_back(n.Member());
    out->push_back(FormatScoreSkiplist(n.score));
  });
}

std::unique_ptr<ZSetValue> ZSetValue::Build(std::vector<std::pair<std::string, double>> items) {
  auto out = std::make_unique<ZSetValue>();
  size_t max_len = 0;
  for (const auto& item : items) max_len = std::max(max_len, item.first.size());
  // zsetConvertToListpackIfNeeded on the finished result.
  out->listpack_ = items.size() <= kMaxListpackEntries && max_len <= kMaxListpackValue;
  if (!out->listpack_) {
    out->big_ = std::make_unique<Skiplist>();
    for (const auto& [member, score] : items) out->Insert(score, member);
    return out;
  }
  for (auto& item : items) item.second = out->Stored(item.second);
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  for (const auto& [member, score] : items) out->small_.Append(score, member);
  return out;
}

std::unique_ptr<ZSetValue> ZSetValue::Union(std::span<const ZSetOpInput> inputs, ZAggregate agg) {
  const std::vector<ZSetOpInput> src = SortedBySize(inputs);
  absl::flat_hash_map<std::string, double> acc;
  for (const ZSetOpInput& in : src) {
    ForEachInput(in, [&](std::string_view member, double s) {
      double score = in.weight * s;
      if (std::isnan(score)) score = 0;
      // Debian's absl::string_view is its own type: convert for the heterogeneous lookup.
      auto [it, inserted] = acc.try_emplace(absl::string_view(member.data(), member.size()), score);
      if (!inserted) Aggregate(&it->second, score, agg);
    });
  }
  std::vector<std::pair<std::string, double>> items(acc.begin(), acc.end());
  return Build(std::move(items));
}

std::unique_ptr<ZSetValue> ZSetValue::Inter(std::span<const ZSetOpInput> inputs, ZAggregate agg) {
  std::vector<std::pair<std::string, double>> items;
  const std::vector<ZSetOpInput> src = SortedBySize(inputs);
  if (src.empty() || InputSize(src[0]) == 0) return Build(std::move(items));
  ForEachInput(src[0], [&](std::string_view member, double s) {
    double score = src[0].weight * s;
    if (std::isnan(score)) score = 0;
    for (size_t j = 1; j < src.size(); j++) {
      double value;
      if (SameSubject(src[j], src[0])) {
        value = s * src[j].weight;
      } else if (auto found = FindInput(src[j], member)) {
        value = *found * src[j].weight;
      } else {
        return;  // not in every input
      }
      Aggregate(&score, value, agg);
    }
    items.emplace_back(member, score);
  });
  return Build(std::move(items));
}

}  // namespace slotproxy::engine
