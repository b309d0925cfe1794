#include "engine/types/packed_pairs.h"

namespace slotproxy::engine::types {
namespace {

void PutLength(std::string* out, size_t n) {
  while (n >= 0x80) {
    out->push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out->push_back(static_cast<char>(n));
}

// Reads a length-prefixed string at *pos (an offset our own writer produced) and advances *pos.
std::string_view GetString(const std::string& buf, size_t* pos) {
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(buf[(*pos)++]);
    n |= static_cast<size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  std::string_view s(buf.data() + *pos, n);
  *pos += n;
  return s;
}

std::string Encode(std::string_view s) {
  std::string out;
  PutLength(&out, s.size());
  out.append(s);
  return out;
}

}  // namespace

std::optional<PackedPairs::Entry> PackedPairs::Decode(size_t offset) const {
  if (offset >= buf_.size()) return std::nullopt;
  Entry e;
  e.offset = offset;
  size_t pos = offset;
  e.first = GetString(buf_, &pos);
  e.second_at = pos;
  e.second = GetString(buf_, &pos);
  e.end = pos;
  return e;
}

std::optional<PackedPairs::Entry> PackedPairs::Find(std::string_view first) const {
  for (auto e = Decode(0); e; e = Decode(e->end)) {
    if (e->first == first) return e;
  }
  return std::nullopt;
}

PackedPairs::Entry PackedPairs::At(size_t index) const {
  auto e = Decode(0);
  for (size_t i = 0; i < index; i++) e = Decode(e->end);
  return *e;
}

void PackedPairs::Append(std::string_view first, std::string_view second) {
  PutLength(&buf_, first.size());
  buf_.append(first);
  PutLength(&buf_, second.size());
  buf_.append(second);
  count_++;
}

void PackedPairs::ReplaceSecond(const Entry& e, std::string_view second) {
  buf_.replace(e.second_at, e.end - e.second_at, Encode(second));
}

void PackedPairs::Erase(const Entry& e) {
  buf_.erase(e.offset, e.end - e.offset);
  count_--;
  if (count_ == 0) Clear();
}

}  // namespace slotproxy::engine::types
