#include "engine/types/packed_zset.h"

#include <cstring>

namespace slotproxy::engine::types {
namespace {

std::string Encode(double score, std::string_view member) {
  std::string out(sizeof(double), '\0');
  std::memcpy(out.data(), &score, sizeof(double));
  size_t n = member.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  out.append(member);
  return out;
}

}  // namespace

PackedZSet::Entry PackedZSet::At(size_t pos) const {
  Entry e;
  e.offset = pos;
  std::memcpy(&e.score, buf_.data() + pos, sizeof(double));
  pos += sizeof(double);
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto byte = static_cast<unsigned char>(buf_[pos++]);
    n |= static_cast<size_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
  }
  e.member = std::string_view(buf_.data() + pos, n);
  e.end = pos + n;
  return e;
}

std::vector<PackedZSet::Entry> PackedZSet::Decode() const {
  std::vector<Entry> out;
  out.reserve(count_);
  for (size_t pos = 0; pos < buf_.size(); pos = out.back().end) out.push_back(At(pos));
  return out;
}

std::optional<PackedZSet::Entry> PackedZSet::Find(std::string_view member) const {
  for (size_t pos = 0; pos < buf_.size();) {
    const Entry e = At(pos);
    if (e.member == member) return e;
    pos = e.end;
  }
  return std::nullopt;
}

void PackedZSet::Insert(double score, std::string_view member) {
  size_t pos = 0;
  while (pos < buf_.size()) {
    const Entry e = At(pos);
    if (e.score > score || (e.score == score && e.member > member)) break;
    pos = e.end;
  }
  buf_.insert(pos, Encode(score, member));
  count_++;
}

void PackedZSet::Append(double score, std::string_view member) {
  buf_.append(Encode(score, member));
  count_++;
}

void PackedZSet::EraseBytes(size_t begin, size_t end, size_t n) {
  buf_.erase(begin, end - begin);
  count_ -= static_cast<uint32_t>(n);
  if (count_ == 0) Clear();
}

}  // namespace slotproxy::engine::types
