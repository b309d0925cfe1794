// Pairs of byte strings packed back to back in one buffer (each string as a LEB128 length and its
// bytes), in insertion order: the "listpack" encoding of small hashes. Like Redis's listpack it
// trades O(n) lookups (n is at most a few hundred) for a few bytes of overhead per entry instead
// of two std::string objects (64 bytes) per pair.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slotproxy::engine::types {

class PackedPairs {
 public:
  // One decoded pair and where it sits in the buffer. Views are valid until the next change.
  struct Entry {
    size_t offset;     // first byte of the pair
    size_t second_at;  // first byte of the second string's length
    size_t end;        // one past the pair
    std::string_view first;
    std::string_view second;
  };

  // The number of pairs.
  size_t size() const { return count_; }
  // The pair starting at byte `offset` (an Entry's offset or end, or 0); nullopt at the end.
  std::optional<Entry> Decode(size_t offset) const;
  // The first pair whose first string equals `first`.
  std::optional<Entry> Find(std::string_view first) const;
  // The pair at position `index` (< size()), by a linear walk.
  Entry At(size_t index) const;
  // Appends a pair at the end.
  void Append(std::string_view first, std::string_view second);
  // Replaces the second string of `e`; `second` must not point into this buffer.
  void ReplaceSecond(const Entry& e, std::string_view second);
  // Removes `e`, keeping the order of the rest.
  void Erase(const Entry& e);
  // Calls fn(first, second) for every pair in order.
  template <class Fn>
  void ForEach(Fn fn) const {
    for (auto e = Decode(0); e; e = Decode(e->end)) fn(e->first, e->second);
  }
  // Drops everything and returns the memory.
  void Clear() {
    std::string().swap(buf_);
    count_ = 0;
  }

 private:
  std::string buf_;
  uint32_t count_ = 0;
};

}  // namespace slotproxy::engine::types
