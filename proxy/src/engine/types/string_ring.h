// A double-ended sequence of strings in one circular buffer: the storage behind ListValue.
//
// Why not std::deque<std::string>: libstdc++'s deque allocates a 64-byte map and a 512-byte block
// as soon as it exists, so a list of two short elements would cost ~650 bytes where Redis's
// quicklist spends ~100. This ring starts at 4 slots (128 bytes), doubles when full, halves when a
// quarter full, and keeps O(1) push/pop at both ends and O(1) indexing; middle inserts and
// removals move the elements after the position (O(n), as in a quicklist node chain).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace slotproxy::engine::types {

class StringRing {
 public:
  StringRing() = default;
  StringRing(const StringRing& other);
  StringRing& operator=(const StringRing&) = delete;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Element `i` (0 = front); i < size().
  std::string& operator[](size_t i) { return buf_[(head_ + i) & (cap_ - 1)]; }
  const std::string& operator[](size_t i) const { return buf_[(head_ + i) & (cap_ - 1)]; }

  void PushFront(std::string_view s);
  void PushBack(std::string_view s);
  // Remove and return the front / back element; the ring must not be empty.
  std::string PopFront();
  std::string PopBack();
  // Inserts `s` before position `pos` (pos == size() appends).
  void Insert(size_t pos, std::string_view s);
  // Keeps the elements for which `keep(element)` is true, in order (one pass, O(n)).
  template <class Keep>
  void Filter(Keep keep) {
    size_t w = 0;
    for (size_t r = 0; r < size_; r++) {
      if (!keep((*this)[r])) continue;
      if (w != r) (*this)[w] = std::move((*this)[r]);
      w++;
    }
    while (size_ > w) PopBack();
  }
  void Clear();

 private:
  // Reallocates to `cap` slots (a power of two >= size_), front at slot 0.
  void Resize(size_t cap);
  void MaybeShrink();

  // Frees a slot array that NewSlots / Resize built: every one of its `cap` slots holds a
  // constructed string (an empty one when unused).
  struct FreeSlots {
    size_t cap;  // no initializer: the enclosing class must see it default-constructible
    void operator()(std::string* slots) const;
  };
  using Slots = std::unique_ptr<std::string[], FreeSlots>;
  // `cap` empty strings in raw storage (FreeSlots releases it).
  static Slots NewSlots(size_t cap);

  Slots buf_;
  size_t cap_ = 0;  // a power of two, or 0
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace slotproxy::engine::types
