// The nodes of the "hashtable" encodings (types::ScanTable): one malloc block per element holding
// the chain pointer, the hash and the bytes inline, like a Redis dictEntry with its sds keys but
// in one allocation. malloc (not new) so that a hash value can grow into the block's slack
// (malloc_usable_size) without a new node.
#pragma once

#include <malloc.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace slotproxy::engine::types {

namespace internal {
// malloc that reports failure like operator new.
inline void* AllocNode(size_t bytes) {
  void* p = std::malloc(bytes);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace internal

// A set member: next, hash, length, then the bytes (at offset 20, in the struct's tail padding
// and beyond, so a 20-byte member takes a 48-byte malloc chunk).
struct SetNode {
  SetNode* next;
  uint64_t hash;
  uint32_t size;  // of the member; its bytes follow

  std::string_view Key() const { return {Bytes(), size}; }

  // A new unlinked node for `bytes` with hash `hash`.
  static SetNode* Make(uint64_t hash, std::string_view bytes) {
    void* mem = internal::AllocNode(std::max(sizeof(SetNode), kHeader + bytes.size()));
    auto* n = new (mem) SetNode(hash, static_cast<uint32_t>(bytes.size()));
    if (!bytes.empty()) std::memcpy(n->Bytes(), bytes.data(), bytes.size());
    return n;
  }
  static SetNode* Copy(const SetNode& n) { return Make(n.hash, n.Key()); }
  static void Destroy(SetNode* n) { std::free(n); }

  static constexpr size_t kHeader = sizeof(SetNode*) + sizeof(uint64_t) + sizeof(uint32_t);
  SetNode(uint64_t h, uint32_t n) : next(nullptr), hash(h), size(n) {}
  char* Bytes() { return reinterpret_cast<char*>(this) + kHeader; }
  const char* Bytes() const { return reinterpret_cast<const char*>(this) + kHeader; }
};

// A hash field and its value: next, hash, the two lengths and the value's capacity, then the
// field's bytes and the value's. A value that still fits the block is overwritten in place.
struct HashNode {
  HashNode* next;
  uint64_t hash;
  uint32_t key_size;
  uint32_t value_size;
  uint32_t value_cap;  // bytes the block holds for the value

  std::string_view Key() const { return {Bytes(), key_size}; }
  std::string_view Value() const { return {Bytes() + key_size, value_size}; }

  // Overwrites the value when it fits the block: false (nothing changed) when it does not, and
  // the caller swaps in a new node (ScanTable::Replace). `value` must not point into this node.
  bool SetValue(std::string_view value) {
    if (value.size() > value_cap) return false;
    if (!value.empty()) std::memcpy(Bytes() + key_size, value.data(), value.size());
    value_size = static_cast<uint32_t>(value.size());
    return true;
  }

  // A new unlinked node for `key` (hash `hash`) holding `value`.
  static HashNode* Make(uint64_t hash, std::string_view key, std::string_view value) {
    const size_t want = std::max(sizeof(HashNode), kHeader + key.size() + value.size());
    void* mem = internal::AllocNode(want);
    const size_t usable = std::max(want, malloc_usable_size(mem));
    const size_t cap = std::min<size_t>(usable - kHeader - key.size(), UINT32_MAX);
    auto* n =
        new (mem) HashNode(hash, static_cast<uint32_t>(key.size()), static_cast<uint32_t>(cap));
    if (!key.empty()) std::memcpy(n->Bytes(), key.data(), key.size());
    n->SetValue(value);
    return n;
  }
  static HashNode* Copy(const HashNode& n) { return Make(n.hash, n.Key(), n.Value()); }
  static void Destroy(HashNode* n) { std::free(n); }

  static constexpr size_t kHeader = sizeof(HashNode*) + sizeof(uint64_t) + 3 * sizeof(uint32_t);

  HashNode(uint64_t h, uint32_t key_bytes, uint32_t cap)
      : next(nullptr), hash(h), key_size(key_bytes), value_size(0), value_cap(cap) {}
  char* Bytes() { return reinterpret_cast<char*>(this) + kHeader; }
  const char* Bytes() const { return reinterpret_cast<const char*>(this) + kHeader; }
};

// A skiplist zset member: next, hash, score, length, then the bytes. The score order
// (ZSetValue's order-statistics tree) points at these nodes.
struct ZSetNode {
  ZSetNode* next;
  uint64_t hash;
  double score;
  uint32_t size;  // of the member; its bytes follow

  std::string_view Key() const { return {Bytes(), size}; }
  std::string_view Member() const { return Key(); }

  // A new unlinked node for `member` (hash `hash`) with `score_value`.
  static ZSetNode* Make(uint64_t hash, double score_value, std::string_view member) {
    void* mem = internal::AllocNode(std::max(sizeof(ZSetNode), kHeader + member.size()));
    auto* n = new (mem) ZSetNode(hash, score_value, static_cast<uint32_t>(member.size()));
    if (!member.empty()) std::memcpy(n->Bytes(), member.data(), member.size());
    return n;
  }
  static ZSetNode* Copy(const ZSetNode& n) { return Make(n.hash, n.score, n.Key()); }
  static void Destroy(ZSetNode* n) { std::free(n); }

  static constexpr size_t kHeader =
      sizeof(ZSetNode*) + sizeof(uint64_t) + sizeof(double) + sizeof(uint32_t);
  // A node without bytes (the score order's sentinels).
  constexpr ZSetNode(uint64_t h, double s, uint32_t n)
      : next(nullptr), hash(h), score(s), size(n) {}
  char* Bytes() { return reinterpret_cast<char*>(this) + kHeader; }
  const char* Bytes() const { return reinterpret_cast<const char*>(this) + kHeader; }
};

static_assert(offsetof(SetNode, size) + sizeof(uint32_t) == SetNode::kHeader);
static_assert(offsetof(HashNode, value_cap) + sizeof(uint32_t) == HashNode::kHeader);
static_assert(offsetof(ZSetNode, size) + sizeof(uint32_t) == ZSetNode::kHeader);

}  // namespace slotproxy::engine::types
