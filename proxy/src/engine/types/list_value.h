// The list type (LPUSH, LRANGE, LPOS, ...). Redis 7.0 always reports "quicklist".
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "base/status.h"
#include "engine/types/string_ring.h"

namespace slotproxy::engine {

// A sequence of byte strings, stored in a types::StringRing (a circular buffer of std::string):
// O(1) push and pop at both ends (the hot LPUSH/RPOP paths), O(1) LINDEX/LSET, and O(n) inserts
// and removals in the middle, the same bounds as Redis's quicklist. Short elements live inside
// std::string (SSO), so small values cost no extra allocation, and a small list costs a few slots
// rather than std::deque's 576-byte minimum. Indexes follow Redis: negative counts from the tail
// (-1 is the last element).
class ListValue {
 public:
  ListValue() = default;

  // A deep copy (COPY).
  std::unique_ptr<ListValue> Clone() const { return std::make_unique<ListValue>(*this); }
  // LLEN.
  size_t Size() const { return items_.size(); }
  // OBJECT ENCODING: Redis 7.0 stores every list as a quicklist.
  std::string_view Encoding() const { return "quicklist"; }

  // LPUSH: pushes each element at the head in argument order (so the last ends up first).
  // Returns the new length.
  size_t PushFront(std::span<const std::string_view> elements);
  // RPUSH: appends each element at the tail. Returns the new length.
  size_t PushBack(std::span<const std::string_view> elements);
  // Single-element forms (LMOVE / RPOPLPUSH destination).
  void PushFront(std::string_view element) { items_.PushFront(element); }
  void PushBack(std::string_view element) { items_.PushBack(element); }

  // LPOP / RPOP without count: the removed element, or nullopt when empty.
  std::optional<std::string> PopFront();
  std::optional<std::string> PopBack();
  // LPOP / RPOP with count: up to `count` elements in pop order. The caller deletes the key when
  // Size() becomes 0.
  std::vector<std::string> PopFront(size_t count);
  std::vector<std::string> PopBack(size_t count);

  // LINDEX: the element at `index`, or nullopt when out of range.
  std::optional<std::string_view> Index(int64_t index) const;
  // LSET: error kErrIndexOutOfRange when `index` is out of range.
  Status Set(int64_t index, std::string_view value);

  // LRANGE with Redis's index rules (negative from the end, clamped, empty when start > end).
  std::vector<std::string> Range(int64_t start, int64_t end) const;
  // The same range, element by element, without copies.
  void ForRange(int64_t start, int64_t end, absl::FunctionRef<void(std::string_view)> fn) const;
  // LTRIM: keeps only [start, end]; an empty result leaves an empty list (the caller deletes it).
  void Trim(int64_t start, int64_t end);
  // LREM: removes up to |count| elements equal to `element`, from the head when count > 0, from
  // the tail when count < 0, all when count == 0. Returns how many were removed.
  size_t Remove(int64_t count, std::string_view element);
  // LINSERT: inserts `element` before (or after) the first `pivot` from the head. Returns the new
  // length, or -1 when the pivot is absent.
  int64_t Insert(bool before, std::string_view pivot, std::string_view element);

  // LPOS: positions (0-based from the head) of matches of `element`. `rank` (not 0) picks the
  // first match to report, negative searching from the tail; `count` is nullopt when COUNT was not
  // given (at most one position), 0 for all matches; `maxlen` 0 = no limit on compared elements.
  // Errors, checked in this order: kErrLposRankZero, kErrLposCountNegative,
  // kErrLposMaxlenNegative. (The command should raise them per option in argument order.)
  Result<std::vector<int64_t>> Pos(std::string_view element, int64_t rank,
                                   std::optional<int64_t> count, int64_t maxlen) const;

 private:
  // Clamps [start, end] to the list per LRANGE; false when the range is empty.
  bool NormalizeRange(int64_t* start, int64_t* end) const;

  types::StringRing items_;
};

}  // namespace slotproxy::engine
