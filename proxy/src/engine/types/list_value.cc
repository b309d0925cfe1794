#include "engine/types/list_value.h"

#include <algorithm>

#include "engine/types/type_errors.h"

namespace slotproxy::engine {
namespace {

// |v| without overflow for INT64_MIN.
uint64_t Magnitude(int64_t v) {
  return v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

}  // namespace

size_t ListValue::PushFront(std::span<const std::string_view> elements) {
  for (std::string_view e : elements) items_.PushFront(e);
  return items_.size();
}

size_t ListValue::PushBack(std::span<const std::string_view> elements) {
  for (std::string_view e : elements) items_.PushBack(e);
  return items_.size();
}

std::optional<std::string> ListValue::PopFront() {
  if (items_.empty()) return std::nullopt;
  return items_.PopFront();
}

std::optional<std::string> ListValue::PopBack() {
  if (items_.empty()) return std::nullopt;
  return items_.PopBack();
}

std::vector<std::string> ListValue::PopFront(size_t count) {
  std::vector<std::string> out;
  out.reserve(std::min(count, items_.size()));
  while (out.size() < count && !items_.empty()) out.push_back(*PopFront());
  return out;
}

std::vector<std::string> ListValue::PopBack(size_t count) {
  std::vector<std::string> out;
  out.reserve(std::min(count, items_.size()));
  while (out.size() < count && !items_.empty()) out.push_back(*PopBack());
  return out;
}

std::optional<std::string_view> ListValue::Index(int64_t index) const {
  const int64_t size = static_cast<int64_t>(items_.size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) return std::nullopt;
  return std::string_view(items_[static_cast<size_t>(index)]);
}

Status ListValue::Set(int64_t index, std::string_view value) {
  const int64_t size = static_cast<int64_t>(items_.size());
  if (index < 0) index += size;
  if (index < 0 || index >= size) return Status::Error(kErrIndexOutOfRange);
  items_[static_cast<size_t>(index)].assign(value);
  return Status();
}

bool ListValue::NormalizeRange(int64_t* start, int64_t* end) const {
  const int64_t size = static_cast<int64_t>(items_.size());
  if (*start < 0) *start += size;
  if (*end < 0) *end += size;
  if (*start < 0) *start = 0;
  if (*start > *end || *start >= size) return false;
  if (*end >= size) *end = size - 1;
  return true;
}

void ListValue::ForRange(int64_t start, int64_t end,
                         absl::FunctionRef<void(std::string_view)> fn) const {
  if (!NormalizeRange(&start, &end)) return;
  for (int64_t i = start; i <= end; i++) fn(items_[static_cast<size_t>(i)]);
}

std::vector<std::string> ListValue::Range(int64_t start, int64_t end) const {
  std::vector<std::string> out;
  ForRange(start, end, [&](std::string_view e) { out.emplace_back(e); });
  return out;
}

void ListValue::Trim(int64_t start, int64_t end) {
  if (!NormalizeRange(&start, &end)) {
    items_.Clear();
    return;
  }
  while (static_cast<int64_t>(items_.size()) > end + 1) items_.PopBack();
  for (int64_t i = 0; i < start; i++) items_.PopFront();
}

size_t ListValue::Remove(int64_t count, std::string_view element) {
  const uint64_t limit = count == 0 ? UINT64_MAX : Magnitude(count);
  // Which matches go: the first `limit` from the head, or the last `limit` from the tail.
  uint64_t skip = 0;
  if (count < 0) {
    uint64_t matches = 0;
    for (size_t i = 0; i < items_.size(); i++) matches += items_[i] == element ? 1 : 0;
    skip = matches > limit ? matches - limit : 0;
  }
  size_t removed = 0;
  items_.Filter([&](const std::string& e) {
    if (e != element) return true;
    if (skip > 0) {
      skip--;
      return true;
    }
    if (removed >= limit) return true;
    removed++;
    return false;
  });
  return removed;
}

int64_t ListValue::Insert(bool before, std::string_view pivot, std::string_view element) {
  for (size_t i = 0; i < items_.size(); i++) {
    if (items_[i] != pivot) continue;
    items_.Insert(before ? i : i + 1, element);
    return static_cast<int64_t>(items_.size());
  }
  return -1;
}

Result<std::vector<int64_t>> ListValue::Pos(std::string_view element, int64_t rank,
                                            std::optional<int64_t> count, int64_t maxlen) const {
  if (rank == 0) return Status::Error(kErrLposRankZero);
  if (count && *count < 0) return Status::Error(kErrLposCountNegative);
  if (maxlen < 0) return Status::Error(kErrLposMaxlenNegative);
  const bool from_tail = rank < 0;
  // Redis negates the rank in a long; INT64_MIN stays negative there, so every match qualifies.
  const uint64_t skip = from_tail ? (rank == INT64_MIN ? 1 : Magnitude(rank)) : Magnitude(rank);
  const uint64_t want = !count ? 1 : (*count == 0 ? UINT64_MAX : Magnitude(*count));
  const size_t size = items_.size();
  const size_t scan = maxlen == 0 ? size : std::min<uint64_t>(size, Magnitude(maxlen));
  std::vector<int64_t> out;
  uint64_t matches = 0;
  for (size_t n = 0; n < scan && out.size() < want; n++) {
    const size_t i = from_tail ? size - 1 - n : n;
    if (items_[i] != element) continue;
    if (++matches >= skip) out.push_back(static_cast<int64_t>(i));
  }
  return out;
}

}  // namespace slotproxy::engine
