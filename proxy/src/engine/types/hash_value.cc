#include "engine/types/hash_value.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"

#include "engine/errors.h"
#include "engine/numbers.h"
#include "engine/types/type_errors.h"

namespace slotproxy::engine {

std::unique_ptr<HashValue> HashValue::Clone() const { return std::make_unique<HashValue>(*this); }

void HashValue::Convert() {
  if (!listpack_) return;
  big_.Reserve(small_.size());
  small_.ForEach([&](std::string_view field, std::string_view value) {
    big_.Insert(types::HashNode::Make(types::StableHash(field), field, value));
  });
  small_.Clear();
  listpack_ = false;
}

bool HashValue::Store(std::string_view field, std::string_view value) {
  if (listpack_) {
    if (auto e = small_.Find(field)) {
      small_.ReplaceSecond(*e, value);
      return false;
    }
    small_.Append(field, value);
    if (small_.size() > kMaxListpackEntries) Convert();
    return true;
  }
  const uint64_t hash = types::StableHash(field);
  if (types::HashNode* n = big_.Find(hash, field)) {
    if (!n->SetValue(value)) big_.Replace(n, types::HashNode::Make(hash, field, value));
    return false;
  }
  big_.Insert(types::HashNode::Make(hash, field, value));
  return true;
}

size_t HashValue::SetMany(std::span<const std::string_view> field_values) {
  if (listpack_) {
    for (std::string_view arg : field_values) {
      if (arg.size() > kMaxListpackValue) {
        Convert();
        break;
      }
    }
  }
  size_t added = 0;
  for (size_t i = 0; i + 1 < field_values.size(); i += 2) {
    if (Store(field_values[i], field_values[i + 1])) added++;
  }
  return added;
}

bool HashValue::Set(std::string_view field, std::string_view value) {
  if (listpack_ && (field.size() > kMaxListpackValue || value.size() > kMaxListpackValue)) {
    Convert();
  }
  return Store(field, value);
}

bool HashValue::SetNx(std::string_view field, std::string_view value) {
  if (Exists(field)) return false;
  return Set(field, value);
}

std::optional<std::string_view> HashValue::Get(std::string_view field) const {
  if (listpack_) {
    auto e = small_.Find(field);
    if (!e) return std::nullopt;
    return e->second;
  }
  const types::HashNode* n = big_.Find(types::StableHash(field), field);
  if (n == nullptr) return std::nullopt;
  return n->Value();
}

size_t HashValue::StrLen(std::string_view field) const {
  auto v = Get(field);
  return v ? v->size() : 0;
}

bool HashValue::Delete(std::string_view field) {
  if (listpack_) {
    auto e = small_.Find(field);
    if (!e) return false;
    small_.Erase(*e);  // keeps the insertion order of the rest, as a listpack delete does
    return true;
  }
  return big_.Erase(types::StableHash(field), field);
}

void HashValue::ForEach(absl::FunctionRef<void(std::string_view, std::string_view)> fn) const {
  if (listpack_) {
    small_.ForEach(fn);
  } else {
    big_.ForEach([&](const types::HashNode& n) { fn(n.Key(), n.Value()); });
  }
}

std::vector<std::string> HashValue::Keys() const {
  std::vector<std::string> out;
  out.reserve(Size());
  ForEach([&](std::string_view f, std::string_view) { out.emplace_back(f); });
  return out;
}

std::vector<std::string> HashValue::Values() const {
  std::vector<std::string> out;
  out.reserve(Size());
  ForEach([&](std::string_view, std::string_view v) { out.emplace_back(v); });
  return out;
}

std::vector<std::string> HashValue::GetAll() const {
  std::vector<std::string> out;
  out.reserve(Size() * 2);
  ForEach([&](std::string_view f, std::string_view v) {
    out.emplace_back(f);
    out.emplace_back(v);
  });
  return out;
}

Result<int64_t> HashValue::IncrBy(std::string_view field, int64_t incr) {
  int64_t value = 0;
  if (auto cur = Get(field)) {
    if (!ParseInt64(*cur, &value)) return Status::Error(kErrHashNotInteger);
  }
  if ((incr < 0 && value < 0 && incr < INT64_MIN - value) ||
      (incr > 0 && value > 0 && incr > INT64_MAX - value)) {
    return Status::Error(kErrIncrOverflow);
  }
  value += incr;
  char buf[kInt64Chars];
  Set(field, FormatInt64(value, buf));
  return value;
}

Result<std::string> HashValue::IncrByFloat(std::string_view field, long double incr) {
  if (!std::isfinite(incr)) return Status::Error(kErrIncrValueNanOrInf);
  long double value = 0;
  if (auto cur = Get(field)) {
    if (!ParseLongDouble(*cur, &value)) return Status::Error(kErrHashNotFloat);
  }
  value += incr;
  if (!std::isfinite(value)) return Status::Error(kErrNanOrInfinity);
  std::string text = FormatLongDoubleHuman(value);
  Set(field, text);
  return text;
}

std::pair<std::string_view, std::string_view> HashValue::RandomField() const {
  if (listpack_) {
    const auto e = small_.At(types::RandomBelow(small_.size()));
    return {e.first, e.second};
  }
  const types::HashNode* n = big_.Random();
  return {n->Key(), n->Value()};
}

void HashValue::RandomFields(
    int64_t count, absl::FunctionRef<void(std::string_view, std::string_view)> emit) const {
  const size_t size = Size();
  if (size == 0 || count == 0) return;
  if (count < 0) {
    // Repetitions allowed: independent draws. Unsigned negation keeps INT64_MIN defined.
    const uint64_t n = 0 - static_cast<uint64_t>(count);
    if (listpack_) {
      // Index the packed pairs once so each draw is O(1), not a walk.
      std::vector<std::pair<std::string_view, std::string_view>> all;
      all.reserve(size);
      small_.ForEach([&](std::string_view f, std::string_view v) { all.emplace_back(f, v); });
      for (uint64_t i = 0; i < n; i++) {
        const auto& [f, v] = all[types::RandomBelow(size)];
        emit(f, v);
      }
      return;
    }
    for (uint64_t i = 0; i < n; i++) {
      auto [f, v] = RandomField();
      emit(f, v);
    }
    return;
  }
  if (static_cast<uint64_t>(count) >= size) {
    ForEach(emit);
    return;
  }
  const size_t want = static_cast<size_t>(count);
  if (!listpack_ && want * 3 <= size) {
    // Few picks from a big hash: random draws until enough distinct ones, O(want log n).
    absl::flat_hash_set<const types::HashNode*> picked;
    while (picked.size() < want) {
      const types::HashNode* n = big_.Random();
      if (picked.insert(n).second) emit(n->Key(), n->Value());
    }
    return;
  }
  const auto picks = types::SampleIndexes(size, want);
  size_t i = 0, next = 0;
  ForEach([&](std::string_view f, std::string_view v) {
    if (next < picks.size() && picks[next] == i) {
      emit(f, v);
      next++;
    }
    i++;
  });
}

uint64_t HashValue::Scan(uint64_t cursor, size_t count, ScanMatch match,
                         std::vector<std::string>* out) const {
  auto visit = [&](std::string_view f, std::string_view v) {
    if (!match(f)) return;
    out->emplace_back(f);
    out->emplace_back(v);
  };
  if (listpack_) {
    ForEach(visit);
    return 0;
  }
  return big_.ScanSome(cursor, count, [&](const types::HashNode& n) { visit(n.Key(), n.Value()); });
}

}  // namespace slotproxy::engine
