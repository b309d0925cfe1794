// The "listpack" encoding of small sorted sets: (score, member) entries packed in one buffer in
// ascending (score, member) order, each as 8 bytes of double, a LEB128 length and the bytes.
// Every operation is a linear walk, exactly as Redis's listpack zset (at most 128 entries by
// default), at a few bytes per member instead of two tree nodes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slotproxy::engine::types {

class PackedZSet {
 public:
  // One decoded entry; views are valid until the next change.
  struct Entry {
    double score;
    std::string_view member;
    size_t offset;  // first byte of the entry
    size_t end;     // one past the entry
  };

  size_t size() const { return count_; }
  // Every entry, in order.
  std::vector<Entry> Decode() const;
  // The entry of `member`, by a linear walk.
  std::optional<Entry> Find(std::string_view member) const;
  // Inserts an absent member at its sorted position. `member` must not point into this buffer.
  void Insert(double score, std::string_view member);
  // Appends an entry that sorts after every present one (bulk building).
  void Append(double score, std::string_view member);
  // Removes the `n` entries in bytes [begin, end).
  void EraseBytes(size_t begin, size_t end, size_t n);
  // Calls fn(member, score) for every entry in order.
  template <class Fn>
  void ForEach(Fn fn) const {
    for (size_t pos = 0; pos < buf_.size();) {
      const Entry e = At(pos);
      fn(e.member, e.score);
      pos = e.end;
    }
  }
  void Clear() {
    std::string().swap(buf_);
    count_ = 0;
  }

 private:
  Entry At(size_t pos) const;

  std::string buf_;
  uint32_t count_ = 0;
};

}  // namespace slotproxy::engine::types
